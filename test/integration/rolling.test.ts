// Changing a live `full` deployment against the real engine: the drift check (clean, then a
// hand-made drift), a rolling deploy of a redis.conf change under a write load (Sentinel
// client and HAProxy) with no acknowledged write lost and the recreate strategy measured
// beside it, a profile change default -> fast applied live (and the next kill-master switching
// in the fast profile's time), a hitless HAProxy reload under a long-lived connection, Ctrl-C
// after the first node of a rollout, scale up and down (the down removing the current master).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { deploy } from '../../src/commands/deploy.js';
import type { Deployment } from '../../src/deployment.js';
import { EXIT, RedisHaError } from '../../src/errors.js';
import { readKeyspace } from '../../src/failover/verify.js';
import { haproxyClientOptions, Workload, type WorkloadPath } from '../../src/failover/workload.js';
import { readDeployment } from '../../src/files/deployment.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import { probeHost, redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import { pairsToRecord, withConnection } from '../../src/probes/connect.js';
import { sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { ComposeRuntime } from '../../src/runtime/compose.js';
import { containerId, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, LOCAL_IMAGES, projectContainerIds, requireDocker, runCli } from '../helpers/docker.js';
import { until, untilAcked } from '../helpers/wait.js';

const NAME = 'ro-full';
const PORT_BASE = 16000;

describe('rolling deploy, drift and scaling on full', { concurrency: false, skip: dockerSuiteSkip() }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ro-it-'));
  const file = join(cwd, 'topology.yaml');
  let d: Deployment | undefined;
  let deployError = '';

  /** The topology file: full with our name, ports and local images, and the fields under test. */
  const writeTopology = (o: { profile?: string; maxmemory?: string; replicas?: number; checkIntervalMs?: number; sentinels?: [number, number] }) =>
    writeFile(
      file,
      [
        'preset: full',
        `name: ${NAME}`,
        `portBase: ${PORT_BASE}`,
        `profile: ${o.profile ?? 'default'}`,
        `replicas: ${o.replicas ?? 2}`,
        ...(o.sentinels ? ['sentinel:', `  count: ${o.sentinels[0]}`, `  quorum: ${o.sentinels[1]}`] : []),
        'redis:',
        `  image: ${LOCAL_IMAGES.redis}`,
        `  maxmemory: ${o.maxmemory ?? 0}`,
        'haproxy:',
        `  image: ${LOCAL_IMAGES.haproxy}`,
        ...(o.checkIntervalMs ? [`  checkIntervalMs: ${o.checkIntervalMs}`] : []),
        'exporter:',
        `  image: ${LOCAL_IMAGES.exporter}`,
        'monitoring:',
        '  prometheus:',
        `    image: ${LOCAL_IMAGES.prometheus}`,
        '',
      ].join('\n'),
    );
  const redeploy = (args: string[] = []) => runCli(['deploy', '--file', file, '--json', ...args], { cwd, timeoutMs: 300_000 });
  const statusJson = async () => {
    const r = await runCli(['status', '--name', NAME, '--json'], { cwd });
    return { exitCode: r.exitCode, s: JSON.parse(r.stdout) as StatusSnapshot, stderr: r.stderr };
  };
  const reload = async () => {
    const files = await readDeployment(join(cwd, '.redis-ha', NAME));
    d = { topology: files.topology, auth: files.admin, host: probeHost(files.topology) };
    return d;
  };
  const nodePort = (name: string) => [...redisNodes(d!.topology), ...sentinelNodes(d!.topology)].find((n) => n.name === name)!.hostPort;
  const on = <T>(name: string, fn: (r: Redis) => Promise<T>) => withConnection({ host: d!.host, port: nodePort(name) }, d!.auth, fn);
  const masterOf = () => on('sentinel-1', async (r) => ((await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[])[0]!);

  /** Each Sentinel's view (master, flags, TILT) and its last log lines: what a failed wait prints. */
  const sentinelsState = async () => {
    const parts = await Promise.all(
      sentinelNodes(d!.topology).map(async (s) => {
        const view = await on(s.name, async (x) => {
          const m = pairsToRecord(await x.call('SENTINEL', 'MASTER', 'mymaster'));
          const tilt = /sentinel_tilt:(\d+)/.exec(await x.info('sentinel'))?.[1];
          return `names ${m.ip}, flags ${m.flags}, config-epoch ${m['config-epoch']}, replicas ${m['num-slaves']}, other Sentinels ${m['num-other-sentinels']}, tilt ${tilt}`;
        }).catch((err: Error) => err.message);
        const logs = spawnSync('docker', ['logs', '--tail', '40', containerId(NAME, s.name)], { encoding: 'utf8' });
        return `--- ${s.name}: ${view}\n${logs.stdout}${logs.stderr}`;
      }),
    );
    return parts.join('\n');
  };

  before(async () => {
    await writeTopology({});
    const r = await runCli(['deploy', '--file', file, '--json', ...IMAGE_FLAGS], { cwd, timeoutMs: 300_000 });
    if (r.exitCode !== 0) deployError = r.stderr.slice(-3000);
    else await reload();
  });

  after(async () => {
    await runCli(['cleanup', '--name', NAME], { cwd, timeoutMs: 180_000 });
    forceRemoveProject(NAME);
    rmSync(cwd, { recursive: true, force: true });
  });

  const ready = (t: TestContext) => {
    if (!requireDocker(t)) return false;
    assert.ok(d, `deploy failed: ${deployError}`);
    return true;
  };

  /** Runs `action` under a write load on the Sentinel client and the HAProxy write port. */
  async function underLoad(action: () => Promise<void>) {
    const paths: WorkloadPath[] = [
      { via: 'sentinel', options: sentinelClientOptions(d!.topology, d!.auth, d!.host) },
      { via: 'haproxy', options: haproxyClientOptions(d!.host, d!.topology.haproxy.writePort, d!.auth) },
    ];
    const prefix = `ro-${Date.now()}`;
    const workload = new Workload(paths, { rate: 200, durability: 'async', prefix, maxMs: 300_000, now: () => performance.now() });
    const vias = paths.map((p) => p.via);
    await workload.start();
    try {
      await untilAcked('before the change', workload, vias);
      await action();
      // Writes resume on both paths once the change is done (and are in the keyspace read below).
      await untilAcked('after the change', workload, vias, { since: performance.now() });
    } finally {
      await workload.stop();
    }
    const master = await masterOf();
    const { keys } = await readKeyspace(master, { host: d!.host, port: nodePort(master) }, d!.auth, `tf:${prefix}:*`);
    const acked = workload.ops.filter((o) => o.outcome === 'ok');
    const per = (via: string) => {
      const ops = workload.ops.filter((o) => o.via === via);
      return { total: ops.length, failed: ops.filter((o) => o.outcome === 'failed').length, indeterminate: ops.filter((o) => o.outcome === 'indeterminate').length };
    };
    return { acked: acked.length, lost: acked.filter((o) => !keys.has(o.key)).map((o) => o.key), sentinel: per('sentinel'), haproxy: per('haproxy') };
  }

  it('a clean deployment shows no drift', { timeout: 60_000 }, async (t) => {
    if (!ready(t)) return;
    const { exitCode, s } = await statusJson();
    assert.equal(exitCode, 0, JSON.stringify(s.checks));
    assert.deepEqual(s.drift, []);
    assert.ok(s.checks.some((c) => c.name === 'drift' && c.ok));
  });

  it('a hand-made drift (CONFIG SET maxmemory, SENTINEL SET down-after) makes status exit 1 naming node and setting', { timeout: 60_000 }, async (t) => {
    if (!ready(t)) return;
    await on('redis-2', (r) => r.config('SET', 'maxmemory', '12345678'));
    await on('sentinel-3', (r) => r.call('SENTINEL', 'SET', 'mymaster', 'down-after-milliseconds', '4321'));
    try {
      const { exitCode, s } = await statusJson();
      assert.equal(exitCode, 1);
      assert.deepEqual(
        s.drift.map((x) => `${x.service} ${x.setting} ${x.live} ${x.rendered}`).sort(),
        ['redis-2 maxmemory 12345678 0', 'sentinel-3 down-after-milliseconds 4321 5000'],
      );
      const text = await runCli(['status', '--name', NAME], { cwd });
      assert.equal(text.exitCode, 1);
      assert.match(text.stdout, /redis-2 +maxmemory 12345678 \(rendered 0\)/);
      assert.match(text.stdout, /sentinel-3 +down-after-milliseconds 4321 \(rendered 5000\)/);
    } finally {
      await on('redis-2', (r) => r.config('SET', 'maxmemory', '0'));
    }
    // A deploy of the same topology sets the Sentinel back live (no container re-created).
    const ids = projectContainerIds(NAME);
    const r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
    assert.deepEqual(JSON.parse(r.stdout).rollout.plan, ['SENTINEL SET down-after-milliseconds 5000 on sentinel-3']);
    assert.deepEqual(projectContainerIds(NAME), ids);
    assert.equal((await statusJson()).exitCode, 0);
  });

  const figures: Record<string, unknown> = {};
  after(() => {
    if (Object.keys(figures).length) console.log(`# rolling figures: ${JSON.stringify(figures)}`);
  });

  it('rolling deploy of maxmemory under load: replicas, then a switchover, then the old master; 0 acknowledged writes lost', { timeout: 300_000 }, async (t) => {
    if (!ready(t)) return;
    const masterBefore = await masterOf();
    await writeTopology({ maxmemory: '256mb' });
    let r: Awaited<ReturnType<typeof redeploy>> | undefined;
    const load = await underLoad(async () => {
      r = await redeploy();
    });
    assert.equal(r!.exitCode, 0, r!.stderr.slice(-3000));
    const result = JSON.parse(r!.stdout);
    figures.rolling = { ...load, steps: result.rollout.steps, switchover: result.rollout.switchovers[0]?.timings };
    t.diagnostic(`rolling: ${JSON.stringify(figures.rolling)}`);
    const replicas = redisNodes(d!.topology).map((n) => n.name).filter((n) => n !== masterBefore);
    assert.deepEqual(result.rollout.plan, [
      ...replicas.map((n) => `re-create ${n} (replica)`),
      `switchover away from ${masterBefore} (${masterBefore} runs an old config)`,
      `re-create ${masterBefore} (the old master) as a replica`,
    ]);
    assert.deepEqual(load.lost, [], 'no acknowledged write lost');
    assert.ok(load.acked > 1000, `writes were acknowledged (${load.acked})`);
    assert.notEqual(await masterOf(), masterBefore);
    for (const n of redisNodes(d!.topology)) assert.equal(await on(n.name, async (x) => ((await x.config('GET', 'maxmemory')) as string[])[1]), String(256 * 1024 * 1024), n.name);
    const { exitCode, s } = await statusJson();
    assert.equal(exitCode, 0, JSON.stringify(s.checks.filter((c) => !c.ok)));
  });

  it('recreate strategy of the next maxmemory change under the same load (measured beside rolling)', { timeout: 300_000 }, async (t) => {
    if (!ready(t)) return;
    await writeTopology({ maxmemory: '128mb' });
    let r: Awaited<ReturnType<typeof redeploy>> | undefined;
    const load = await underLoad(async () => {
      r = await redeploy(['--strategy', 'recreate']);
    });
    assert.equal(r!.exitCode, 0, r!.stderr.slice(-3000));
    figures.recreate = load;
    t.diagnostic(`recreate: ${JSON.stringify(load)}`);
    assert.deepEqual(load.lost, [], 'no acknowledged write lost');
    const { exitCode } = await statusJson();
    assert.equal(exitCode, 0);
  });

  it('profile default -> fast: every Sentinel says down-after 1000 when deploy returns, nothing restarted; kill-master then fails over', { timeout: 180_000 }, async (t) => {
    if (!ready(t)) return;
    await writeTopology({ profile: 'fast', maxmemory: '128mb' });
    // Prometheus is re-created (its scrape and rule interval follow the profile); nothing else.
    // containerId() is docker's short id, projectContainerIds() the full ones.
    const withoutPrometheus = () => projectContainerIds(NAME).filter((id) => !id.startsWith(containerId(NAME, 'prometheus')));
    const ids = withoutPrometheus();
    const prometheusBefore = containerId(NAME, 'prometheus');
    const r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
    for (const s of sentinelNodes(d!.topology)) {
      const m = await on(s.name, async (x) => pairsToRecord(await x.call('SENTINEL', 'MASTER', 'mymaster')));
      assert.equal(m['down-after-milliseconds'], '1000', s.name);
      assert.equal(m['failover-timeout'], '6000', s.name);
    }
    assert.deepEqual(withoutPrometheus(), ids, 'no Redis, Sentinel, HAProxy or exporter container re-created');
    assert.notEqual(containerId(NAME, 'prometheus'), prometheusBefore, 'Prometheus re-created with the fast interval');
    assert.deepEqual(JSON.parse(r.stdout).rollout.plan, ['SENTINEL SET down-after-milliseconds 1000, failover-timeout 6000 on sentinel-1, sentinel-2, sentinel-3', 're-create prometheus (prometheus)']);
    await reload();
    // The next kill-master: the Sentinels switch in the fast profile's time (down-after 1 s).
    const master = await masterOf();
    const killedAt = performance.now();
    spawnSync('docker', ['kill', containerId(NAME, master)], { stdio: 'ignore' });
    let switchedMs: number;
    let lagging: string[] = [];
    try {
      // A majority of the Sentinels, not one: one that missed the hello can lag. 60 s: a
      // Sentinel starved for 2 s on a loaded machine enters TILT (30 s without acting).
      await until(
        'a majority of the Sentinels name a new master after the kill',
        async () => {
          const views = await Promise.all(sentinelNodes(d!.topology).map((s) => on(s.name, (x) => x.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).catch(() => undefined)));
          lagging = sentinelNodes(d!.topology).filter((_, i) => !Array.isArray(views[i]) || views[i][0] === master).map((s) => s.name);
          return views.length - lagging.length > views.length / 2;
        },
        { timeoutMs: 60_000 },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await sentinelsState()}`);
      });
      switchedMs = performance.now() - killedAt;
      // A Sentinel behind the majority must catch up (the deploy below checks that all agree).
      if (switchedMs > 20_000 || lagging.length) t.diagnostic(`switch after ${Math.round(switchedMs)} ms, ${lagging.join(', ') || 'none'} not yet following:\n${await sentinelsState()}`);
    } finally {
      spawnSync('docker', ['start', containerId(NAME, master)], { stdio: 'ignore' });
    }
    // That the fast settings are live is asserted above (every Sentinel's down-after); how fast
    // the switch is depends on the machine's load, so it is a figure, not a verdict.
    figures.killMasterAfterProfileChangeMs = Math.round(switchedMs);
    t.diagnostic(`switch-master ${Math.round(switchedMs)} ms after the kill (fast profile: ~2.5 s on a quiet machine, default ~6.5 s)`);
    const settled = await runCli(['deploy', '--file', file, '--json'], { cwd, timeoutMs: 180_000 });
    assert.equal(settled.exitCode, 0, settled.stderr.slice(-2000));
  });

  it('a HAProxy config change is a hitless reload: a long-lived connection through the write port survives', { timeout: 180_000 }, async (t) => {
    if (!ready(t)) return;
    const haproxyId = containerId(NAME, 'haproxy');
    const conn = new Redis({ ...haproxyClientOptions(d!.host, d!.topology.haproxy.writePort, d!.auth), retryStrategy: () => null, autoResubscribe: false });
    conn.on('error', () => undefined);
    t.after(() => conn.disconnect());
    const clientId = await conn.client('ID');
    await writeTopology({ profile: 'fast', maxmemory: '128mb', checkIntervalMs: 400 });
    const r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
    assert.deepEqual(JSON.parse(r.stdout).rollout.plan, ['reload HAProxy with its new config (master-worker, no connection dropped)']);
    assert.equal(containerId(NAME, 'haproxy'), haproxyId, 'HAProxy was not re-created');
    assert.equal(await conn.client('ID'), clientId, 'the same connection, through the old worker');
    assert.equal(await conn.set('ro:hitless', '1'), 'OK');
    const { exitCode, s } = await statusJson();
    assert.equal(exitCode, 0, JSON.stringify(s.drift));
  });

  it('Ctrl-C after the first node: stops there, healthy, names the nodes still on the old config', { timeout: 300_000 }, async (t) => {
    if (!ready(t)) return;
    await writeTopology({ profile: 'fast', maxmemory: '64mb', checkIntervalMs: 400 });
    const abort = new AbortController();
    let stderr = '';
    const io = {
      stdout: { write: () => true },
      stderr: {
        write: (text: string) => {
          stderr += text;
          // The task list prints a line when a step ends: abort after the first node.
          if (/re-create redis-\d+ \(replica\)/.test(text) && !abort.signal.aborted) abort.abort();
          return true;
        },
      },
      live: false,
      columns: 100,
      cwd,
    };
    const err = await deploy({ file, progress: true, timeout: 120 }, { runtime: new ComposeRuntime(process.env), signal: abort.signal, io }).then(
      () => assert.fail('expected the deploy to be interrupted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RedisHaError, String(err));
    assert.equal(err.exitCode, EXIT.interrupted, stderr.slice(-2000));
    assert.match(err.message, /after 1 of 4 steps; the deployment is healthy/, err.message);
    const notDone = err.message.match(/still on the old config \(or not yet added \/ removed\): (.*)$/)?.[1]?.split(', ') ?? [];
    assert.equal(notDone.length, 2, err.message);
    const { s } = await statusJson();
    assert.deepEqual(s.checks.filter((c) => !c.ok).map((c) => c.name), ['drift'], JSON.stringify(s.checks));
    assert.deepEqual([...new Set(s.drift.map((x) => x.service))].sort(), [...notDone].sort(), 'drift names exactly the nodes not done');
    // Deploying again finishes the rollout.
    const r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
    assert.equal(JSON.parse(r.stdout).rollout.plan.length, 3, r.stdout);
    assert.equal((await statusJson()).exitCode, 0);
  });

  it('scale up replicas 2 -> 3: only redis-4 is added and every Sentinel sees it', { timeout: 180_000 }, async (t) => {
    if (!ready(t)) return;
    await writeTopology({ profile: 'fast', maxmemory: '64mb', checkIntervalMs: 400, replicas: 3 });
    const ids = projectContainerIds(NAME);
    const r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
    assert.deepEqual(JSON.parse(r.stdout).rollout.plan, [
      'add redis-4 (new replica)',
      'reload HAProxy with its new config (master-worker, no connection dropped)',
      're-create exporter (exporter)',
      're-create prometheus (prometheus)',
    ]);
    const after = projectContainerIds(NAME);
    assert.equal(after.length, ids.length + 1);
    const recreated = ids.filter((id) => !after.includes(id));
    assert.equal(recreated.length, 2, 'only the exporter (its password file names the new node) and Prometheus (its targets) were re-created');
    assert.equal(after.filter((id) => ids.includes(id)).length, ids.length - 2, 'every other container kept');
    await reload();
    for (const s of sentinelNodes(d!.topology)) {
      const replicas = await on(s.name, async (x) => ((await x.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).map(pairsToRecord).map((y) => y.ip));
      assert.ok(replicas.includes('redis-4'), `${s.name} sees redis-4: ${replicas.join(', ')}`);
    }
  });

  it('scale down 3 -> 2 replicas while redis-4 is master: switchover first, removed, no Sentinel remembers it', { timeout: 240_000 }, async (t) => {
    if (!ready(t)) return;
    const sw = await runCli(['switchover', '--name', NAME, '--to', 'redis-4', '--json'], { cwd, timeoutMs: 120_000 });
    assert.equal(sw.exitCode, 0, sw.stderr.slice(-2000));
    assert.equal(await masterOf(), 'redis-4');
    await writeTopology({ profile: 'fast', maxmemory: '64mb', checkIntervalMs: 400, replicas: 2 });
    const load = await underLoad(async () => {
      const r = await redeploy();
      assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
      assert.deepEqual(JSON.parse(r.stdout).rollout.plan, [
        'switchover away from redis-4 (redis-4 is removed (replicas: 2))',
        'remove redis-4',
        'SENTINEL RESET on each Sentinel, one at a time (forget redis-4)',
        'reload HAProxy with its new config (master-worker, no connection dropped)',
        're-create exporter (exporter)',
        're-create prometheus (prometheus)',
      ]);
    });
    figures.scaleDownRemovingMaster = load;
    assert.deepEqual(load.lost, []);
    await reload();
    assert.notEqual(await masterOf(), 'redis-4');
    for (const s of sentinelNodes(d!.topology)) {
      const replicas = await on(s.name, async (x) => ((await x.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).map(pairsToRecord).map((y) => y.ip));
      assert.ok(!replicas.includes('redis-4'), `${s.name} still lists redis-4: ${replicas.join(', ')}`);
      assert.equal(replicas.length, 2, `${s.name}: ${replicas.join(', ')}`);
    }
    assert.equal(projectContainerIds(NAME).length, 9, 'redis-1..3, sentinel-1..3, haproxy, exporter, prometheus');
    const { exitCode, s } = await statusJson();
    assert.equal(exitCode, 0, JSON.stringify(s.checks.filter((c) => !c.ok)));
  });

  it('Sentinels 3 -> 5 -> 3 (quorum 2 -> 3 -> 2): the removed ones are in no Sentinel list', { timeout: 300_000 }, async (t) => {
    if (!ready(t)) return;
    await writeTopology({ profile: 'fast', maxmemory: '64mb', checkIntervalMs: 400, sentinels: [5, 3] });
    let r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
    await reload();
    for (const s of sentinelNodes(d!.topology)) {
      const m = await on(s.name, async (x) => pairsToRecord(await x.call('SENTINEL', 'MASTER', 'mymaster')));
      assert.equal(m.quorum, '3', s.name);
      assert.equal(m['num-other-sentinels'], '4', s.name);
    }
    await writeTopology({ profile: 'fast', maxmemory: '64mb', checkIntervalMs: 400, sentinels: [3, 2] });
    r = await redeploy();
    assert.equal(r.exitCode, 0, `${r.stderr.slice(-2000)}${r.stdout.slice(-3000)}`);
    await reload();
    for (const s of sentinelNodes(d!.topology)) {
      const peers = await on(s.name, async (x) => ((await x.call('SENTINEL', 'SENTINELS', 'mymaster')) as unknown[]).map(pairsToRecord).map((y) => y.ip));
      assert.deepEqual(peers.sort(), sentinelNodes(d!.topology).map((n) => n.name).filter((n) => n !== s.name).sort(), s.name);
      const m = await on(s.name, async (x) => pairsToRecord(await x.call('SENTINEL', 'MASTER', 'mymaster')));
      assert.equal(m.quorum, '2', s.name);
    }
    assert.equal((await statusJson()).exitCode, 0);
  });
});
