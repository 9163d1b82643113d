// Live operations on a cluster, on the real engine. A rolling deploy of a config change: a 3 x 1 cluster
// (fast profile) deployed with AOF, then deployed again with RDB persistence while a cluster
// client (the printed snippet's options) writes across every slot. Asserted: the plan (each
// replica first, then each master after a CLUSTER FAILOVER away from it), every node runs the
// new config, the client saw no failed write and every acknowledged key is there, the cluster is
// healthy; then a change of shape with the recreate strategy is refused with nothing written.
// Then `reshard`: 2000 slots and their keys moved to another shard's master while its own
// measuring client and ours write: every key there with its value, no failed write, the status
// shows the new ranges; bad input refused with nothing changed. Then a shard added and removed
// again by `deploy --shards` under writes: even shares, every key there, the removed nodes'
// containers and data gone and every node forgetting them. Then rotate-secrets and its
// --finish under an app client's writes: no failed write, old passwords refused everywhere.
// Last the client module deploy writes, imported by an application, through a switchover.
// `after` removes the deployment (through the CLI, then by label), also when a test fails.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeployResult } from '../../src/commands/deploy.js';
import { ClusterWorkload } from '../../src/failover/cluster-workload.js';
import { readDeployment } from '../../src/files/deployment.js';
import { clusterShards, keySlot, shardOfSlot } from '../../src/model/cluster.js';
import type { ReshardReport } from '../../src/commands/reshard.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import { clusterClientOptions, clusterStartupNodes } from '../../src/probes/cluster-client.js';
import { withConnection } from '../../src/probes/connect.js';
import { redisNodes } from '../../src/model/nodes.js';
import { login } from '../helpers/login.js';
import { startBackground, waitFor } from '../helpers/binaries.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { dockerAnswers, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, projectResources, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';
import { Cluster } from 'ioredis';

const NAME = 'clr-it-cluster';
const PORT_BASE = 24200;

const deployArgs = (...extra: string[]) => ['deploy', 'cluster', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', '--json', ...IMAGE_FLAGS, ...extra];

describe('live operations on a cluster: rolling deploy, reshard, shards added and removed (real engine)', { timeout: 1_200_000, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-cluster-rolling-');
  const dir = join(work.dir, '.redis-ha', NAME);
  let deployed = false;

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(NAME);
    const r = await runCli(deployArgs('--persistence', 'aof'), { cwd: work.dir });
    assert.equal(r.exitCode, 0, `deploy cluster failed:\n${r.stderr}\n${r.stdout}`);
    deployed = true;
  });

  after(async () => {
    if (deployed) await runCli(['cleanup', '--name', NAME], { cwd: work.dir }).catch(() => undefined);
    forceRemoveProject(NAME);
    assert.deepEqual(projectResources(NAME), { containers: [], networks: [], volumes: [] });
    work.remove();
  });

  it('a redis.conf change rolls one node at a time, masters after a CLUSTER FAILOVER; a cluster client writing meanwhile loses nothing', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const files = await readDeployment(dir);
    const plan = clusterShards(files.topology);
    const workload = new ClusterWorkload(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.admin), {
      rate: 100,
      durability: 'async',
      prefix: 'clr-it',
      maxMs: 300_000,
      now: () => performance.now(),
      shardOf: (key) => shardOfSlot(plan, keySlot(key)),
    });
    await workload.start();
    let r;
    try {
      r = await runCli(deployArgs('--persistence', 'rdb'), { cwd: work.dir, timeoutMs: 400_000 });
    } finally {
      await workload.stop();
    }
    assert.equal(r.exitCode, 0, `rolling deploy failed:\n${r.stderr}\n${r.stdout}`);
    const result = JSON.parse(r.stdout) as DeployResult;
    const steps = result.rollout!.plan;
    assert.deepEqual(steps.slice(0, 3), ['re-create redis-4 (replica)', 're-create redis-5 (replica)', 're-create redis-6 (replica)'], steps.join('\n'));
    for (const master of ['redis-1', 'redis-2', 'redis-3']) {
      const failover = steps.findIndex((s) => s.startsWith(`CLUSTER FAILOVER away from ${master} `));
      assert.ok(failover >= 3, `a failover away from ${master}:\n${steps.join('\n')}`);
      assert.equal(steps[failover + 1], `re-create ${master} (the old master) as a replica`, steps.join('\n'));
    }
    assert.equal(result.rollout!.clusterFailovers?.length, 3, JSON.stringify(result.rollout));

    // The client: no write failed; every acknowledged key is there.
    const counts = workload.counts;
    assert.ok(counts.ok > 100, JSON.stringify(counts));
    assert.equal(counts.failed, 0, `failed writes: ${JSON.stringify(workload.ops.filter((o) => o.outcome === 'failed').slice(0, 5))}`);
    const client = new Cluster(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.admin));
    try {
      const acked = workload.ops.filter((o) => o.outcome === 'ok');
      const values = await Promise.all(acked.map((o) => client.get(o.key)));
      const missing = acked.filter((o, i) => values[i] !== o.value).map((o) => o.key);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.length} acknowledged keys missing`);
      // Every node runs the new config (RDB: appendonly no).
      const nodes = redisNodes(files.topology);
      const appendonly = await Promise.all(nodes.map((n) => withConnection({ host: '127.0.0.1', port: n.hostPort }, files.admin, (c) => c.call('CONFIG', 'GET', 'appendonly') as Promise<string[]>)));
      assert.deepEqual(appendonly.map((x) => x[1]), Array(6).fill('no'));
      await Promise.all(acked.map((o) => client.unlink(o.key)));
    } finally {
      client.disconnect();
    }
    const status = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
    assert.equal(status.exitCode, 0, status.stdout);
  });

  it('another shape with the recreate strategy (4 shards): exit 2, nothing written, the cluster untouched', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const before = readFileSync(join(dir, 'topology.json'), 'utf8');
    const compose = readFileSync(join(dir, 'compose.yaml'), 'utf8');
    const r = await runCli(deployArgs('--persistence', 'rdb', '--shards', '4', '--strategy', 'recreate'), { cwd: work.dir });
    assert.equal(r.exitCode, 2, r.stderr);
    // --json: the error is the JSON on stdout.
    assert.match(r.stdout, /runs 3 shards x 1 replica\(s\); this deploy asks for 4 shards x 1 replica\(s\), which the recreate strategy cannot do/);
    assert.equal(readFileSync(join(dir, 'topology.json'), 'utf8'), before);
    assert.equal(readFileSync(join(dir, 'compose.yaml'), 'utf8'), compose);
    const status = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
    assert.equal(status.exitCode, 0, status.stdout);
  });

  it('reshard moves 2000 slots and their keys to another master while clients write: nothing lost, nothing failed', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const files = await readDeployment(dir);
    const shardsOf = async () => {
      const r = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
      assert.equal(r.exitCode, 0, r.stdout);
      return (JSON.parse(r.stdout) as StatusSnapshot).shards!;
    };
    const before = await shardsOf();
    const [first, second] = before;
    assert.equal(first!.slots, '0-5460');
    // Keys across every slot, as an application would have them.
    const client = new Cluster(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.admin));
    try {
      const keys = Array.from({ length: 20_000 }, (_, i) => `clr-it:data:${i}`);
      for (let i = 0; i < keys.length; i += 1000) await Promise.all(keys.slice(i, i + 1000).map((k) => client.set(k, `v-${k}`)));
      const moving = keys.filter((k) => keySlot(k) < 2000).length;

      const r = await runCli(['reshard', '--name', NAME, '--slots', '0-1999', '--to', second!.master, '--json'], { cwd: work.dir, timeoutMs: 300_000 });
      assert.equal(r.exitCode, 0, `reshard failed:\n${r.stderr}\n${r.stdout}`);
      const report = JSON.parse(r.stdout) as ReshardReport;
      assert.equal(report.slots, 2000);
      assert.deepEqual(report.moves.map((m) => [m.from, m.slots]), [[first!.master, '0-1999']]);
      // Ours, and those of its measuring client that fell in the moved slots.
      assert.ok(report.keys >= moving && report.keys < moving + report.writes.acked + report.writes.indeterminate, `${report.keys} keys moved, ${moving} of ours in those slots`);
      assert.ok(report.writes.acked > 0, JSON.stringify(report.writes));
      assert.equal(report.writes.failed, 0, JSON.stringify(report.writes));

      const values = await Promise.all(keys.map((k) => client.get(k)));
      const wrong = keys.filter((k, i) => values[i] !== `v-${k}`);
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} keys missing or wrong after the move`);
      const after = await shardsOf();
      assert.equal(after[0]!.master, second!.master, JSON.stringify(after));
      assert.equal(after[0]!.slots, `0-1999 ${second!.slots}`);
      assert.equal(after[1]!.slots, '2000-5460');
      for (let i = 0; i < keys.length; i += 1000) await Promise.all(keys.slice(i, i + 1000).map((k) => client.unlink(k)));
    } finally {
      client.disconnect();
    }
  });

  it('reshard refuses bad input with nothing moved: a reversed range, a node that is not a master, a shard left empty', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const map = async () => (JSON.parse((await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir })).stdout) as StatusSnapshot).shards!.map((s) => `${s.slots}=${s.master}`).join(', ');
    const before = await map();
    const shards = (JSON.parse((await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir })).stdout) as StatusSnapshot).shards!;
    const replica = shards[0]!.replicas[0]!.service;
    for (const [args, message] of [
      [['--slots', '100-50', '--to', shards[0]!.master], /--slots 100-50: expected a slot or a range/],
      [['--slots', '0-10', '--to', replica], new RegExp(`--to ${replica}: not a master`)],
      [['--slots', '2000-5460', '--to', shards[2]!.master], /would leave .* serving no slot/],
    ] as const) {
      const r = await runCli(['reshard', '--name', NAME, ...args, '--rate', '0'], { cwd: work.dir });
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(await map(), before);
  });

  it('a shard added (3 -> 4) and removed again (4 -> 3) by deploy --shards while a cluster client writes: even shares, every key there, no failed write, the removed nodes gone and forgotten', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const files = await readDeployment(dir);
    // A host-side client reaches nodes through the natMap, so this one is given the grown
    // topology's (redis-7 and redis-8 too): deploy prints it; docs/cluster.md says so.
    const grown = { ...files.topology, cluster: { ...files.topology.cluster, shards: 4 } };
    const client = new Cluster(clusterStartupNodes(grown), clusterClientOptions(grown, files.admin));
    const keys = Array.from({ length: 20_000 }, (_, i) => `clr-it:scale:${i}`);
    const shardsOf = async () => {
      const r = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
      assert.equal(r.exitCode, 0, r.stdout);
      return (JSON.parse(r.stdout) as StatusSnapshot).shards!;
    };
    const slotCount = (ranges: string) => ranges.split(' ').reduce((a, r) => { const [x, y = x] = r.split('-').map(Number); return a + y! - x! + 1; }, 0);
    const scaleTo = async (shards: number, prefix: string) => {
      const workload = new ClusterWorkload(clusterStartupNodes(grown), clusterClientOptions(grown, files.admin), { rate: 100, durability: 'async', prefix, maxMs: 400_000, now: () => performance.now(), shardOf: () => 1 });
      await workload.start();
      let r;
      try {
        r = await runCli(deployArgs('--persistence', 'rdb', '--shards', String(shards)), { cwd: work.dir, timeoutMs: 500_000 });
      } finally {
        await workload.stop();
      }
      assert.equal(r.exitCode, 0, `deploy --shards ${shards} failed:\n${r.stderr}\n${r.stdout}`);
      const counts = workload.counts;
      t.diagnostic(`--shards ${shards}: ${JSON.stringify(JSON.parse(r.stdout).rollout.steps)}; writes ${JSON.stringify(counts)}`);
      assert.ok(counts.ok > 50, JSON.stringify(counts));
      assert.equal(counts.failed, 0, `failed writes: ${JSON.stringify(workload.ops.filter((o) => o.outcome === 'failed').slice(0, 5))}`);
      const acked = workload.ops.filter((o) => o.outcome === 'ok');
      const values = await Promise.all(acked.map((o) => client.get(o.key)));
      assert.deepEqual(acked.filter((o, i) => values[i] !== o.value).map((o) => o.key).slice(0, 5), [], 'every acknowledged write of the client is there');
      return JSON.parse(r.stdout) as DeployResult;
    };
    try {
      for (let i = 0; i < keys.length; i += 1000) await Promise.all(keys.slice(i, i + 1000).map((k) => client.set(k, `v-${k}`)));
      const up = await scaleTo(4, 'clr-it:up');
      assert.match(up.rollout!.plan[0]!, /^add 1 shard\(s\) \(3 -> 4\): start redis-7, redis-8, move slots to even shares$/, up.rollout!.plan.join('\n'));
      const four = await shardsOf();
      assert.deepEqual(four.map((s) => slotCount(s.slots)), [4096, 4096, 4096, 4096], JSON.stringify(four));
      const added = four.find((s) => s.master === 'redis-7' || s.replicas.some((r) => r.service === 'redis-7'));
      assert.deepEqual([added?.master, ...(added?.replicas.map((r) => r.service) ?? [])].sort(), ['redis-7', 'redis-8'], JSON.stringify(four));
      let values = await Promise.all(keys.map((k) => client.get(k)));
      assert.deepEqual(keys.filter((k, i) => values[i] !== `v-${k}`).slice(0, 5), [], 'every key there after the shard was added');

      const down = await scaleTo(3, 'clr-it:down');
      assert.match(down.rollout!.plan[0]!, /^remove 1 shard\(s\) \(4 -> 3\), move slots to even shares, then remove redis-7, redis-8$/, down.rollout!.plan.join('\n'));
      const three = await shardsOf();
      assert.deepEqual(three.map((s) => slotCount(s.slots)).sort(), [5461, 5461, 5462], JSON.stringify(three));
      values = await Promise.all(keys.map((k) => client.get(k)));
      assert.deepEqual(keys.filter((k, i) => values[i] !== `v-${k}`).slice(0, 5), [], 'every key there after the shard was removed');
      // Gone: containers and data of redis-7 and redis-8; forgotten: every node knows 6 nodes.
      const left = projectResources(NAME);
      assert.deepEqual([...left.containers, ...left.volumes].filter((x) => /redis-[78]/.test(x)), [], JSON.stringify(left));
      for (const n of redisNodes((await readDeployment(dir)).topology)) {
        const info = await withConnection({ host: '127.0.0.1', port: n.hostPort }, files.admin, (c) => c.call('CLUSTER', 'INFO') as Promise<string>);
        assert.match(info, /cluster_known_nodes:6\r?\n/, `${n.name}: ${info}`);
      }
      for (let i = 0; i < keys.length; i += 1000) await Promise.all(keys.slice(i, i + 1000).map((k) => client.unlink(k)));
    } finally {
      client.disconnect();
    }
  });

  it('rotate-secrets and --finish on a cluster while an app client writes: no failed write, the old passwords refused on every node', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const users = ['admin', 'app', 'replica'] as const;
    const old = Object.fromEntries(users.map((u) => [u, readFileSync(join(dir, 'secrets', u), 'utf8').trim()]));
    const files = await readDeployment(dir);
    const workload = new ClusterWorkload(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.app), {
      rate: 100,
      durability: 'async',
      prefix: 'clr-it:rotate',
      maxMs: 300_000,
      now: () => performance.now(),
      shardOf: () => 1,
      ttlMs: 300_000,
    });
    await workload.start();
    try {
      const rotate = await runCli(['rotate-secrets', '--name', NAME, '--json'], { cwd: work.dir, timeoutMs: 300_000 });
      assert.equal(rotate.exitCode, 0, `rotate-secrets failed:\n${rotate.stderr}\n${rotate.stdout}`);
      const fin = await runCli(['rotate-secrets', '--name', NAME, '--finish', '--json'], { cwd: work.dir, timeoutMs: 300_000 });
      assert.equal(fin.exitCode, 0, `rotate-secrets --finish failed:\n${fin.stderr}\n${fin.stdout}`);
    } finally {
      await workload.stop();
    }
    assert.ok(workload.counts.ok > 0, JSON.stringify(workload.counts));
    assert.equal(workload.counts.failed, 0, `failed writes: ${JSON.stringify(workload.ops.filter((o) => o.outcome === 'failed').slice(0, 3))}`);
    for (const u of users) {
      const now = readFileSync(join(dir, 'secrets', u), 'utf8').trim();
      assert.notEqual(now, old[u], `${u} has a new password`);
      for (const n of redisNodes(files.topology)) {
        assert.equal(await login('127.0.0.1', n.hostPort, u, old[u]!), 'WRONGPASS', `${n.name}: the old ${u} password is refused`);
        assert.equal(await login('127.0.0.1', n.hostPort, u, now), 'ok', `${n.name}: the new ${u} password is accepted`);
      }
    }
    const status = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
    assert.equal(status.exitCode, 0, `replicas relinked with the new replica password: ${status.stdout}`);
  });

  it('the client module deploy writes (clients/ioredis.mjs), imported from another directory, writes through a switchover of every shard and exits when quit', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const clients = join(dir, 'clients');
    assert.match(readFileSync(join(clients, 'ioredis.mjs'), 'utf8'), /new Cluster\(STARTUP_NODES/);
    assert.match(readFileSync(join(clients, 'redis_py.py'), 'utf8'), /address_remap=lambda a: NAT\.get\(a, a\)/);
    // An application's directory with its own node_modules/ioredis (this repository's copy).
    const app = tempWorkdir('redis-ha-cluster-app-');
    t.after(() => app.remove());
    mkdirSync(join(app.dir, 'node_modules'));
    symlinkSync(join(REPO_ROOT, 'node_modules', 'ioredis'), join(app.dir, 'node_modules', 'ioredis'));
    writeFileSync(join(app.dir, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
    writeFileSync(
      join(app.dir, 'live.mjs'),
      `import { existsSync } from 'node:fs';
import { connect } from ${JSON.stringify(join(clients, 'ioredis.mjs'))};
const redis = await connect();
console.log('connected');
let ok = 0, failed = 0, i = 0;
while (!existsSync('stop')) {
  const key = 'clr-it:module:' + i++;
  try {
    await redis.set(key, 'v' + key);
    ok++;
  } catch (err) {
    failed++;
    console.log('failed', err.message);
  }
  await new Promise((r) => setTimeout(r, 10));
}
let wrong = 0;
for (let j = 0; j < i; j++) if ((await redis.get('clr-it:module:' + j)) !== 'vclr-it:module:' + j) wrong++;
for (let j = 0; j < i; j++) await redis.unlink('clr-it:module:' + j);
console.log(JSON.stringify({ ok, failed, wrong, written: i }));
await redis.quit();
`,
    );
    const node = startBackground(process.execPath, [join(app.dir, 'live.mjs')], { cwd: app.dir });
    t.after(() => node.stop());
    assert.ok(await waitFor(() => /connected/.test(node.output()), 20_000), `the module did not connect: ${node.output()}`);
    const sw = await runCli(['switchover', '--name', NAME, '--json'], { cwd: work.dir, timeoutMs: 300_000 });
    assert.equal(sw.exitCode, 0, `switchover failed:\n${sw.stderr}\n${sw.stdout}`);
    writeFileSync(join(app.dir, 'stop'), '');
    // It exits by itself once quit: no connection left open.
    assert.ok(await waitFor(() => node.exited(), 60_000), `the module's client did not finish and exit: ${node.output()}`);
    const result = JSON.parse(node.output().trim().split('\n').at(-1)!) as { ok: number; failed: number; wrong: number; written: number };
    assert.ok(result.ok > 50, node.output());
    assert.deepEqual({ failed: result.failed, wrong: result.wrong }, { failed: 0, wrong: 0 }, node.output());
  });
});
