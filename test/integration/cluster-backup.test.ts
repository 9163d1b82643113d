// backup, restore and deploy --restore of a cluster (3 x 1, fast profile, local images) on the
// real engine: keys of several types across every slot; a backup writes one RDB per shard, taken
// on its replica, with a manifest naming slots, node ids, key counts and sha256; damaged or
// mismatched backups are refused before anything is touched; the data is changed and a shard's
// master moved (switchover), then the restore gives every shard the backup's keys on its nodes as
// they are now, with each node's cluster identity (nodes.conf) kept; a second cluster (persistence
// rdb) starts from the same backup; a cluster missing a shard is not backed up. `after` removes
// both deployments, also on failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import type { DeployResult } from '../../src/commands/deploy.js';
import type { ClusterRestoreResult } from '../../src/commands/restore.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import type { Topology } from '../../src/model/schema.js';
import type { ClusterBackupManifest } from '../../src/operations/cluster-backup-file.js';
import type { ClusterRestoreOutcome } from '../../src/operations/cluster-restore.js';
import { clusterClientOptions, clusterStartupNodes } from '../../src/probes/cluster-client.js';
import type { Credentials } from '../../src/probes/connect.js';
import { digestKeyspace } from '../../src/probes/keyspace.js';
import { IMAGE_FLAGS, dockerAnswers, dockerSuiteSkip, forceRemoveProject, projectContainerIds, projectResources, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const A = { name: 'cbk-a', portBase: 24700 };
const B = { name: 'cbk-b', portBase: 24800 };
const NODES = 6;
const TIMEOUT = 600_000;

const readUser = (cwd: string, name: string, username: string): Credentials => ({
  username,
  password: readFileSync(join(cwd, '.redis-ha', name, 'secrets', username), 'utf8').trim(),
});

async function onNode<T>(port: number, auth: Credentials, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, ...auth, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Each node's own view: id, role, DBSIZE. */
async function nodes(portBase: number, auth: Credentials) {
  return Promise.all(
    Array.from({ length: NODES }, (_, i) =>
      onNode(portBase + 1 + i, auth, async (r) => ({
        node: `redis-${i + 1}`,
        id: (await r.call('CLUSTER', 'MYID')) as string,
        role: ((await r.call('ROLE')) as string[])[0],
        keys: await r.dbsize(),
        state: /cluster_state:(\w+)/.exec((await r.call('CLUSTER', 'INFO')) as string)?.[1],
      })),
    ),
  );
}

/** Keys of five types spread over every slot through the cluster client; how many. */
async function writeKeys(c: Cluster, prefix: string, n: number): Promise<number> {
  // A cluster pipeline must stay in one slot: plain commands, a batch at a time.
  for (let i = 0; i < n; i += 50) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + 50); j++) {
      batch.push(
        c.set(`${prefix}:s:${j}`, `value-${j}`),
        c.hset(`${prefix}:h:${j}`, { a: String(j), b: 'x'.repeat(j % 40) }),
        c.rpush(`${prefix}:l:${j}`, 'a', String(j)),
        c.sadd(`${prefix}:set:${j}`, 'x', `y${j}`),
        c.zadd(`${prefix}:z:${j}`, j, `m${j}`),
      );
    }
    await Promise.all(batch);
  }
  return n * 5;
}

async function statusOf(cwd: string, name: string): Promise<{ exitCode: number; snapshot: StatusSnapshot }> {
  const r = await runCli(['status', '--name', name, '--json'], { cwd });
  return { exitCode: r.exitCode, snapshot: JSON.parse(r.stdout) as StatusSnapshot };
}

async function waitHealthy(cwd: string, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await statusOf(cwd, name);
    if (s.exitCode === 0 && s.snapshot.healthy) return;
    assert.ok(Date.now() < deadline, `${name} not healthy: ${JSON.stringify(s.snapshot.checks)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every container of a project: id, state and start time (a restart changes the start time). */
function containerStates(project: string): string[] {
  const r = spawnSync('docker', ['inspect', '--format', '{{.Id}} {{.State.Status}} {{.State.StartedAt}}', ...projectContainerIds(project)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('cluster backup and restore on the real engine', { timeout: TIMEOUT, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-cluster-backup-');
  const backupDir = join(work.dir, 'a-backup');
  let deployed: DeployResult | undefined;
  let topology: Topology;
  let admin: Credentials = {};
  let client: Cluster | undefined;
  let keys = 0;
  /** Keys per node (redis-1..6) before the backup. */
  let before0: Awaited<ReturnType<typeof nodes>> = [];
  const digests = new Map<string, string>();

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(A.name);
    forceRemoveProject(B.name);
    const r = await runCli(['deploy', 'cluster', '--name', A.name, '--port-base', String(A.portBase), '--profile', 'fast', '--json', ...IMAGE_FLAGS], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout}`);
    deployed = JSON.parse(r.stdout) as DeployResult;
    topology = JSON.parse(readFileSync(join(work.dir, '.redis-ha', A.name, 'topology.json'), 'utf8')) as Topology;
    admin = readUser(work.dir, A.name, 'admin');
    client = new Cluster(clusterStartupNodes(topology), { ...clusterClientOptions(topology, readUser(work.dir, A.name, 'app')), natMap: deployed.natMap });
    client.on('error', () => undefined);
    keys = await writeKeys(client, 'before', 600);
    await waitHealthy(work.dir, A.name, 30_000);
    before0 = await nodes(A.portBase, admin);
    for (const i of [1, 2, 3]) digests.set(`redis-${i}`, (await digestKeyspace({ host: '127.0.0.1', port: A.portBase + i }, admin)).digest);
  });

  after(async () => {
    client?.disconnect();
    for (const d of [A, B]) {
      if (deployed) await runCli(['cleanup', '--name', d.name], { cwd: work.dir }).catch(() => undefined);
      forceRemoveProject(d.name);
      assert.deepEqual(projectResources(d.name), { containers: [], networks: [], volumes: [] });
    }
    work.remove();
  });

  it('backup writes one RDB per shard, taken on its replica, and a manifest naming slots, node ids, counts and checksums', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const r = await runCli(['backup', '--name', A.name, '--out', backupDir, '--json'], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `backup failed:\n${r.stderr}\n${r.stdout}`);
    const m = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as ClusterBackupManifest;
    assert.deepEqual(readdirSync(backupDir).sort(), ['manifest.json', 'shard-1.rdb', 'shard-2.rdb', 'shard-3.rdb']);
    assert.equal(statSync(backupDir).mode & 0o777, 0o700);
    assert.equal(m.format, 'redis-ha-cluster-backup');
    assert.equal(m.deployment, A.name);
    assert.equal(m.preset, 'cluster');
    assert.match(m.redisVersion, /^7\./);
    assert.equal(m.keys, keys);
    assert.deepEqual(
      m.shards.map((s) => [s.shard, s.slots, s.master.node, s.source.node, s.source.role, s.replicas.map((x) => x.node)]),
      [
        [1, [[0, 5460]], 'redis-1', 'redis-4', 'replica', ['redis-4']],
        [2, [[5461, 10922]], 'redis-2', 'redis-5', 'replica', ['redis-5']],
        [3, [[10923, 16383]], 'redis-3', 'redis-6', 'replica', ['redis-6']],
      ],
    );
    const idOf = new Map(before0.map((n) => [n.node, n.id]));
    for (const s of m.shards) {
      assert.equal(s.master.id, idOf.get(s.master.node));
      assert.equal(s.source.id, idOf.get(s.source.node));
      assert.equal(s.keys, before0.find((n) => n.node === s.master.node)!.keys, `shard ${s.shard} keys`);
      assert.deepEqual(s.keyspace, { db0: s.keys });
      const bytes = readFileSync(join(backupDir, s.rdb.file));
      assert.equal(s.rdb.bytes, bytes.length);
      assert.equal(s.rdb.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(statSync(join(backupDir, s.rdb.file)).mode & 0o777, 0o600);
    }
    assert.equal(statSync(join(backupDir, 'manifest.json')).mode & 0o777, 0o600);
    const json = JSON.parse(r.stdout) as { ok: boolean; dir: string; notes: string[]; timings: { totalMs: number } };
    assert.equal(json.ok, true);
    assert.equal(json.dir, backupDir);
    assert.deepEqual(json.notes, []);
    // No secret in what the command printed.
    assert.equal((r.stdout + r.stderr).includes(admin.password!), false);
    t.diagnostic(`cluster backup of ${keys} keys: ${json.timings.totalMs} ms`);
  });

  it('refuses damaged and mismatched backups, and a replicated backup, before anything is touched', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const states = containerStates(A.name);
    assert.equal(states.length, NODES);
    const flipped = join(work.dir, 'flipped');
    cpSync(backupDir, flipped, { recursive: true });
    const bytes = readFileSync(join(flipped, 'shard-2.rdb'));
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(join(flipped, 'shard-2.rdb'), bytes);
    // Other slot ranges than the deployment's (still every slot once).
    const moved = join(work.dir, 'moved');
    cpSync(backupDir, moved, { recursive: true });
    const m = JSON.parse(readFileSync(join(moved, 'manifest.json'), 'utf8')) as ClusterBackupManifest;
    m.shards[0]!.slots = [[0, 5000]];
    m.shards[1]!.slots = [[5001, 10922]];
    writeFileSync(join(moved, 'manifest.json'), JSON.stringify(m));
    const single = join(work.dir, 'single.rdb');
    writeFileSync(single, readFileSync(join(backupDir, 'shard-1.rdb')));
    for (const [path, expected] of [
      [flipped, /the sha256 of shard-2\.rdb \(shard 2\) [0-9a-f]{16}\.\.\. differs from the manifest's/],
      [moved, /does not fit cbk-a: backup shard 1 \(slots 0-5000\) matches no shard of the deployment; backup shard 2 \(slots 5001-10922\) matches no shard/],
      [single, /is a file: a backup of a replicated deployment, not of a cluster/],
    ] as const) {
      const r = await runCli(['restore', path, '--name', A.name, '--yes'], { cwd: work.dir });
      assert.equal(r.exitCode, 2, `${path}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.match(r.stderr, /nothing was touched/);
      t.diagnostic(r.stderr.split('\n').find((l) => l.startsWith('redis-ha:')) ?? r.stderr);
      assert.deepEqual(containerStates(A.name), states, `${path}: containers changed`);
    }
    const r = await runCli(['restore', backupDir, '--name', A.name], { cwd: work.dir });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /restore would replace ALL data of deployment cbk-a: redis-1 \(master, \d+ keys\)/);
    assert.deepEqual(containerStates(A.name), states);
  });

  it('restore --yes after the data changed and shard 1 switched over: every shard back to the backup, node ids and slot map kept', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    await writeKeys(client!, 'after', 100);
    await client!.del('before:s:1');
    await client!.del('before:h:2');
    const sw = await runCli(['switchover', '--name', A.name, '--shard', '1'], { cwd: work.dir });
    assert.equal(sw.exitCode, 0, sw.stderr);
    const moved = await nodes(A.portBase, admin);
    assert.equal(moved.find((n) => n.node === 'redis-4')!.role, 'master', 'redis-4 masters shard 1 now');

    const r = await runCli(['restore', backupDir, '--name', A.name, '--yes', '--json'], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `restore failed:\n${r.stderr}\n${r.stdout}`);
    const result = JSON.parse(r.stdout) as ClusterRestoreResult;
    assert.equal(result.keys, keys);
    assert.deepEqual(result.shards.map((s) => [s.shard, s.slots, s.master]), [
      [1, '0-5460', 'redis-4'],
      [2, '5461-10922', 'redis-2'],
      [3, '10923-16383', 'redis-3'],
    ]);
    // Checked independently of the command's own comparison.
    const now = await nodes(A.portBase, admin);
    assert.deepEqual(now.map((n) => n.id), before0.map((n) => n.id), 'every node keeps its cluster id (nodes.conf)');
    assert.ok(now.every((n) => n.state === 'ok'), JSON.stringify(now));
    const shardOf = (node: string) => [['redis-1', 'redis-4'], ['redis-2', 'redis-5'], ['redis-3', 'redis-6']].findIndex((s) => s.includes(node));
    for (const n of now) assert.equal(n.keys, before0.find((b) => b.node === n.node)!.keys, `${n.node} keys`);
    for (const [i, master] of ['redis-4', 'redis-2', 'redis-3'].entries()) {
      const digest = (await digestKeyspace({ host: '127.0.0.1', port: A.portBase + Number(master.slice(6)) }, admin)).digest;
      assert.equal(digest, digests.get(`redis-${i + 1}`), `shard ${i + 1} digest`);
      assert.equal(shardOf(master), i);
    }
    // The cluster client reads the old values and not the later ones.
    assert.equal(await client!.get('before:s:1'), 'value-1');
    assert.equal(await client!.exists('after:s:5'), 0);
    const status = await statusOf(work.dir, A.name);
    assert.equal(status.exitCode, 0, JSON.stringify(status.snapshot.checks));
    t.diagnostic(`cluster restore of ${keys} keys: ${JSON.stringify(result.timings)}`);
  });

  it('deploy --restore starts a new cluster (3 x 0, persistence rdb) from the backup; its backup is taken on the masters, with notes; other shards are refused', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const refused = await runCli(['deploy', 'cluster', '--name', B.name, '--port-base', String(B.portBase), '--shards', '4', '--restore', backupDir, ...IMAGE_FLAGS], { cwd: work.dir });
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.match(refused.stderr, /the backup has 3 shards, the deployment 4/);
    assert.deepEqual(projectResources(B.name), { containers: [], networks: [], volumes: [] });
    assert.equal(existsSync(join(work.dir, '.redis-ha', B.name)), false);

    const r = await runCli(
      ['deploy', 'cluster', '--name', B.name, '--port-base', String(B.portBase), '--profile', 'fast', '--replicas-per-shard', '0', '--persistence', 'rdb', '--restore', backupDir, '--json', ...IMAGE_FLAGS],
      { cwd: work.dir },
    );
    assert.equal(r.exitCode, 0, `deploy --restore failed:\n${r.stderr}\n${r.stdout}`);
    const result = JSON.parse(r.stdout) as DeployResult;
    const restored = result.restored as ClusterRestoreOutcome & { file: string };
    assert.equal(restored.keys, keys);
    const authB = readUser(work.dir, B.name, 'admin');
    for (const i of [1, 2, 3]) {
      const digest = await digestKeyspace({ host: '127.0.0.1', port: B.portBase + i }, authB);
      assert.equal(digest.keys, before0[i - 1]!.keys, `${B.name} redis-${i} keys`);
      assert.equal(digest.digest, digests.get(`redis-${i}`), `${B.name} redis-${i} digest`);
    }
    t.diagnostic(`deploy --restore: healthy ${result.timings.totalMs} ms, restore ${restored.timings.totalMs} ms`);

    const out = join(work.dir, 'b-backup');
    const b = await runCli(['backup', '--name', B.name, '--out', out, '--json'], { cwd: work.dir });
    assert.equal(b.exitCode, 0, b.stderr);
    const json = JSON.parse(b.stdout) as ClusterBackupManifest & { notes: string[] };
    assert.deepEqual(json.shards.map((s) => [s.source.node, s.source.role, s.keys]), [1, 2, 3].map((i) => [`redis-${i}`, 'master', before0[i - 1]!.keys]));
    assert.equal(json.notes.length, 3);
    assert.match(json.notes[0]!, /shard 1 \(0-5460\) has no replicas: its snapshot is taken on the master redis-1/);
  });

  it('backup of a cluster with a shard down is refused (exit 1), nothing written', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const ids = ['redis-3', 'redis-6'].map((s) =>
      spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${A.name}`, '--filter', `label=com.docker.compose.service=${s}`], { encoding: 'utf8' }).stdout.trim(),
    );
    assert.equal(spawnSync('docker', ['stop', '-t', '1', ...ids]).status, 0);
    try {
      const out = join(work.dir, 'down-backup');
      const r = await runCli(['backup', '--name', A.name, '--out', out], { cwd: work.dir });
      assert.equal(r.exitCode, 1, r.stderr);
      assert.match(r.stderr, /the cluster of cbk-a is not whole, so no backup was taken \(nothing was written\): the master redis-3 of slots 10923-16383 does not answer/);
      assert.equal(existsSync(out), false);
      assert.deepEqual(readdirSync(work.dir).filter((f) => f.includes('down-backup')), []);
    } finally {
      spawnSync('docker', ['start', ...ids]);
    }
  });
});
