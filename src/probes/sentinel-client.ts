// The ioredis options redis-ha recommends for clients on the Docker host, used by the
// failover workload and printed in the connection snippets, so users get what was tested.
import type { Redis, RedisOptions } from 'ioredis';
import { natMap, probeHost, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { Credentials } from './connect.js';

export function sentinelClientOptions(t: Topology, auth: Credentials, host = probeHost(t)): RedisOptions {
  return {
    sentinels: sentinelNodes(t).map((s) => ({ host, port: s.hostPort })),
    name: t.sentinel.masterName,
    username: auth.username,
    password: auth.password,
    sentinelUsername: auth.username,
    sentinelPassword: auth.password,
    // Sentinels announce in-network names (redis-2:6379); map them to the published ports.
    natMap: natMap(t, host),
    // Sentinels discovered through others are announced by in-network name: unreachable here.
    updateSentinels: false,
    // Subscribe to +switch-master on the Sentinels: reconnect to the new master at once.
    failoverDetector: true,
    connectTimeout: 500,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    // Reconnect fast while a failover is in progress: every retry asks the Sentinels again,
    // which answer within ms on the host; a 100 ms cap finds the new master right after
    // the Sentinels publish it instead of up to 500 ms later.
    retryStrategy: (times: number) => Math.min(50 * times, 100),
    sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
    // A demoted master answers READONLY: reconnect (asking Sentinel again) and resend.
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/**
 * ioredis (5 and 6) ends a Sentinel client for good when the failover detector fires while
 * the client is still reconnecting (the aborted connect attempt sets the status to "end"),
 * and every later command fails with "Connection is closed.". Connect again unless the
 * client was closed on purpose. Returns the function to call before closing it.
 */
export function keepConnected(redis: Redis, retryMs = 100): () => void {
  let closing = false;
  redis.on('end', () => {
    if (!closing) setTimeout(() => !closing && redis.connect().catch(() => undefined), retryMs);
  });
  return () => {
    closing = true;
  };
}
