// Run as a script (`node resubscribe-race.js <variant>`), so that an unhandled rejection ends
// this process as it would end redis-ha (Node 20's default), not the test runner. It subscribes
// through <variant>, lets the fake Sentinel drop the connection, and closes the client while the
// SUBSCRIBE that ioredis resends after the reconnect is due. Prints "settled" if it survives.
//   ioredis   a plain ioredis subscriber (ioredis's own behaviour)
//   detector  a failover-detector connection made by QuietSentinelConnector, closed as
//             FailoverDetector.cleanup() closes it
//   observer  test-failover's Observer subscribed to Sentinel events, then stopped
import { Redis } from 'ioredis';
import { Observer } from '../../src/failover/observe.js';
import { NO_AUTH } from '../../src/probes/connect.js';
import { QuietSentinelConnector } from '../../src/probes/sentinel-client.js';
import { startFakeSentinel } from './fake-sentinel.js';

const variant = process.argv[2];
const fake = await startFakeSentinel();
const endpoint = { host: '127.0.0.1', port: fake.port };
let close: () => Promise<void> | void;

if (variant === 'ioredis') {
  const client = new Redis({ ...endpoint, retryStrategy: () => 20 });
  client.on('error', () => {});
  await client.subscribe('+switch-master');
  close = () => client.disconnect();
} else if (variant === 'detector') {
  const connector = new QuietSentinelConnector({ sentinels: [endpoint], name: 'mymaster' });
  // The options SentinelConnector.initFailoverDetector passes (sentinelReconnectStrategy: fast here).
  const client = (connector as unknown as { connectToSentinel(e: unknown, o: unknown): Redis }).connectToSentinel(endpoint, { lazyConnect: true, retryStrategy: () => 20 });
  await client.subscribe('+switch-master').catch(() => {}); // as FailoverDetector.subscribe()
  close = () => client.disconnect();
} else if (variant === 'observer') {
  const observer = new Observer({ nodes: [], sentinels: [{ name: 'sentinel-1', ...endpoint }], auth: NO_AUTH, masterName: 'mymaster', now: () => performance.now() });
  await observer.start();
  close = () => observer.stop();
} else {
  throw new Error(`unknown variant ${variant}`);
}

const channels = await Promise.race([fake.held, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no SUBSCRIBE resent within 5 s')), 5000))]);
await close();
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write(`settled (resent SUBSCRIBE ${channels.join(' ')})\n`);
await fake.close();
