// The ioredis clients of test-failover (the Sentinel-aware workload client with its
// failover detector, the observers' polls and Sentinel subscriptions) print nothing on
// stderr when a Sentinel or node is unreachable: every 'error' event has a listener,
// including those of the connections ioredis opens by itself to follow +switch-master.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisOptions } from 'ioredis';
import { describe, it } from 'node:test';
import { Observer } from '../../src/failover/observe.js';
import { haproxyClientOptions, Workload } from '../../src/failover/workload.js';
import { QuietSentinelConnector, sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { NO_AUTH } from '../../src/probes/connect.js';
import { redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import { requireBinary, run, startBackground, waitFor } from '../helpers/binaries.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';
import { until } from '../helpers/wait.js';

/** Everything written to stderr or console.error while `fn` runs. */
async function stderrOf(fn: () => Promise<void>): Promise<string> {
  let captured = '';
  const write = process.stderr.write.bind(process.stderr);
  const error = console.error;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured += String(chunk);
    return typeof rest.at(-1) === 'function' ? ((rest.at(-1) as () => void)(), true) : true;
  }) as typeof process.stderr.write;
  console.error = (...args: unknown[]) => {
    captured += `${args.map(String).join(' ')}\n`;
  };
  try {
    await fn();
  } finally {
    process.stderr.write = write;
    console.error = error;
  }
  return captured;
}

// Ports in this suite's range: redis-1 on 14601, sentinel-1..3 on 14701..14703.
const t = topologyOf('sentinel', { portBase: 14600, replicas: 0, auth: { enabled: false } });
const host = '127.0.0.1';
const node = redisNodes(t)[0]!;
const sentinels = sentinelNodes(t);

function observerFor(): Observer {
  return new Observer({
    nodes: [{ name: node.name, host, port: node.hostPort }],
    sentinels: sentinels.map((s) => ({ name: s.name, host, port: s.hostPort })),
    auth: NO_AUTH,
    masterName: t.sentinel.masterName,
    now: () => performance.now(),
  });
}

describe('failover clients print nothing on stderr', { concurrency: false }, () => {
  it('against closed ports: observers (polls, Sentinel subscriptions) and a direct workload client', async () => {
    const observer = observerFor();
    // (The Sentinel-aware client's connect() waits until a Sentinel answers: tested below.)
    const workload = new Workload([{ via: 'direct', options: haproxyClientOptions(host, node.hostPort, NO_AUTH) }], {
      rate: 20,
      durability: 'async',
      prefix: 'closed',
      maxMs: 10_000,
      now: () => performance.now(),
    });
    // Settled writes: each failed with an error (an op in flight has none yet).
    const settled = () => workload.ops.filter((o) => o.error !== undefined).length;
    const err = await stderrOf(async () => {
      await observer.start();
      await workload.start();
      // Each client tried, again and again: polls of the node and of every Sentinel, and writes.
      await until(
        'repeated failed polls of every node and Sentinel, and failed writes',
        () => observer.roles.length >= 5 && sentinels.every((s) => observer.sentinelViews.filter((v) => v.sentinel === s.name).length >= 5) && settled() >= 10,
        { timeoutMs: 10_000, state: () => `${observer.roles.length} polls of ${node.name}, ${observer.sentinelViews.length} of the Sentinels, ${settled()} writes settled` },
      );
      await workload.stop();
      await observer.stop();
    });
    assert.equal(err, '');
    // It did try: polls recorded as down, writes as not acknowledged.
    assert.ok(observer.roles.every((r) => r.role === 'down'));
    assert.ok(observer.sentinelViews.every((v) => v.master === undefined));
    assert.ok(workload.ops.length > 0 && workload.ops.every((o) => o.outcome !== 'ok'));
  });

  it('with a real Sentinel (two of three down), and after it is killed', async (ctx) => {
    if (!requireBinary(ctx, 'redis-server') || !requireBinary(ctx, 'redis-sentinel')) return;
    const dir = await makeTempDir('fo-clients-');
    ctx.after(() => removeDir(dir));
    const redis = startBackground('redis-server', ['--port', String(node.hostPort), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir]);
    ctx.after(() => redis.stop());
    const conf = join(dir, 'sentinel.conf');
    await writeFile(conf, `port ${sentinels[0]!.hostPort}\nbind ${host}\ndir ${dir}\nsentinel monitor ${t.sentinel.masterName} ${host} ${node.hostPort} 1\n`);
    const sentinel = startBackground('redis-sentinel', [conf]);
    ctx.after(() => sentinel.stop());
    const cli = (port: number, ...args: string[]) => run('redis-cli', ['-h', host, '-p', String(port), ...args], { timeoutMs: 3000 }).stdout.trim();
    assert.ok(
      await waitFor(() => cli(sentinels[0]!.hostPort, 'SENTINEL', 'get-master-addr-by-name', t.sentinel.masterName).includes(String(node.hostPort)), 10_000),
      `the Sentinel names the master: ${sentinel.output()}${redis.output()}`,
    );

    const observer = observerFor();
    // The connections ioredis opens to sentinel-1 (the failover detector's among them), with a
    // count of their failed attempts: the same connector, and one more 'error' listener.
    let sentinelOneErrors = 0;
    class CountingConnector extends QuietSentinelConnector {
      override connectToSentinel(endpoint: unknown, options: unknown) {
        const client = super.connectToSentinel(endpoint, options);
        if ((endpoint as { port?: number }).port === sentinels[0]!.hostPort) client.on('error', () => sentinelOneErrors++);
        return client;
      }
    }
    const workload = new Workload([{ via: 'sentinel', options: { ...sentinelClientOptions(t, NO_AUTH, host), Connector: CountingConnector as unknown as RedisOptions['Connector'] } }], {
      rate: 50,
      durability: 'async',
      prefix: 'fo-clients',
      maxMs: 20_000,
      now: () => performance.now(),
    });
    const acked = () => workload.ops.filter((o) => o.outcome === 'ok').length;
    const err = await stderrOf(async () => {
      await observer.start();
      await workload.start();
      // The client resolved the master through sentinel-1 and subscribed for +switch-master
      // on every Sentinel: sentinel-2 and -3 refuse.
      await until(
        'writes through the Sentinel-aware client acknowledged, and the observer seeing the Sentinel name the master',
        () => acked() >= 20 && observer.sentinelViews.some((v) => v.master === host),
        { timeoutMs: 10_000, state: () => `${acked()} writes acknowledged, ${observer.sentinelViews.filter((v) => v.master === host).length} views naming the master` },
      );
      await sentinel.stop();
      const errorsAtStop = sentinelOneErrors;
      const downViews = () => observer.sentinelViews.filter((v) => v.sentinel === sentinels[0]!.name && v.master === undefined).length;
      // sentinelReconnectStrategy: the detector retries the dead Sentinel within seconds.
      await until(
        'the failover detector retried the stopped sentinel-1 twice, and the observer polled it',
        () => sentinelOneErrors - errorsAtStop >= 2 && downViews() >= 5,
        { timeoutMs: 15_000, state: () => `${sentinelOneErrors - errorsAtStop} failed attempts, ${downViews()} polls unanswered` },
      );
      await workload.stop();
      await observer.stop();
    });
    assert.doesNotMatch(err, /Unhandled error event/);
    assert.equal(err, '');
  });
});
