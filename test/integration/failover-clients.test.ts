// The ioredis clients of test-failover (the Sentinel-aware workload client with its
// failover detector, the observers' polls and Sentinel subscriptions) print nothing on
// stderr when a Sentinel or node is unreachable: every 'error' event has a listener,
// including those of the connections ioredis opens by itself to follow +switch-master.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Observer } from '../../src/failover/observe.js';
import { haproxyClientOptions, Workload } from '../../src/failover/workload.js';
import { sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { NO_AUTH } from '../../src/probes/connect.js';
import { redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import { requireBinary, run, startBackground, waitFor } from '../helpers/binaries.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const err = await stderrOf(async () => {
      await observer.start();
      await workload.start();
      await sleep(2000);
      await workload.stop();
      await observer.stop();
    });
    assert.equal(err, '');
    // It did try: polls recorded as down, writes as not acknowledged.
    assert.ok(observer.roles.length > 0 && observer.roles.every((r) => r.role === 'down'));
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
    const workload = new Workload([{ via: 'sentinel', options: sentinelClientOptions(t, NO_AUTH, host) }], {
      rate: 50,
      durability: 'async',
      prefix: 'fo-clients',
      maxMs: 20_000,
      now: () => performance.now(),
    });
    let acked = 0;
    const err = await stderrOf(async () => {
      await observer.start();
      await workload.start();
      // The client resolved the master through sentinel-1 and subscribed for +switch-master
      // on every Sentinel: sentinel-2 and -3 refuse.
      await sleep(2500);
      acked = workload.ops.filter((o) => o.outcome === 'ok').length;
      await sentinel.stop();
      // sentinelReconnectStrategy: the detector retries the dead Sentinel within seconds.
      await sleep(3000);
      await workload.stop();
      await observer.stop();
    });
    assert.ok(acked > 0, 'writes through the Sentinel-aware client were acknowledged');
    assert.ok(observer.sentinelViews.some((v) => v.master === host), 'the observer saw the Sentinel name the master');
    assert.doesNotMatch(err, /Unhandled error event/);
    assert.equal(err, '');
  });
});
