// backup, restore and deploy --restore against the real engine (sentinel preset, fast profile,
// local images): keys of every type, a backup taken on a replica with its manifest, the data
// changed, then restored; every node must hold the backup's key count and keyspace digest. A
// second deployment starts from the same backup (persistence rdb: the other on-disk layout).
// Damaged files are refused before anything is touched: container ids, states and start times
// and the data stay as they were. `after` removes both deployments, also on failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { BackupManifest } from '../../src/operations/backup-file.js';
import type { DeployResult } from '../../src/commands/deploy.js';
import type { RestoreResult } from '../../src/commands/restore.js';
import type { Credentials } from '../../src/probes/connect.js';
import { digestKeyspace } from '../../src/probes/keyspace.js';
import { IMAGE_FLAGS, dockerAnswers, dockerSuiteSkip, forceRemoveProject, projectContainerIds, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const A = { name: 'bk-it-a', portBase: 15000 };
const B = { name: 'bk-it-b', portBase: 15400 };
const NODES = 3;
const TIMEOUT = 300_000;

/** redis-ha's own user (admin), as the rendered secrets/ hold it. */
const adminAuth = (cwd: string, name: string): Credentials => ({
  username: 'admin',
  password: readFileSync(join(cwd, '.redis-ha', name, 'secrets', 'admin'), 'utf8').trim(),
});

function client(port: number, auth: Credentials): Redis {
  const r = new Redis({ host: '127.0.0.1', port, username: auth.username, password: auth.password, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  r.on('error', () => undefined);
  return r;
}

/** Every container of a project: id, state and start time (a restart changes the start time). */
function containerStates(project: string): string[] {
  const ids = projectContainerIds(project);
  const r = spawnSync('docker', ['inspect', '--format', '{{.Id}} {{.State.Status}} {{.State.StartedAt}}', ...ids], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** Keys of six types in db0 and a few in db2; returns how many. */
async function writeKeys(r: Redis, prefix: string, n: number): Promise<number> {
  const p = r.pipeline();
  for (let i = 0; i < n; i++) {
    p.set(`${prefix}:s:${i}`, `value-${i}`);
    p.hset(`${prefix}:h:${i}`, { a: String(i), b: 'x'.repeat(i % 50) });
    p.rpush(`${prefix}:l:${i}`, 'a', 'b', String(i));
    p.sadd(`${prefix}:set:${i}`, 'x', 'y', `z${i}`);
    p.zadd(`${prefix}:z:${i}`, 1, 'a', i, `b${i}`);
    if (i % 10 === 0) p.xadd(`${prefix}:x:${i}`, '*', 'f', String(i));
  }
  await p.exec();
  const db2 = client(r.options.port as number, { username: r.options.username, password: r.options.password });
  await db2.select(2);
  await db2.set(`${prefix}:db2:a`, '1');
  await db2.sadd(`${prefix}:db2:b`, 'm');
  db2.disconnect();
  return n * 5 + Math.ceil(n / 10) + 2;
}

async function nodeDigests(portBase: number, pass: Credentials) {
  return Promise.all(Array.from({ length: NODES }, (_, i) => digestKeyspace({ host: '127.0.0.1', port: portBase + 1 + i }, pass)));
}

/** The master's offset reached by every replica (so a digest is taken of settled data). */
async function waitReplicated(portBase: number, pass: Credentials): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const offsets = await Promise.all(
      Array.from({ length: NODES }, async (_, i) => {
        const r = client(portBase + 1 + i, pass);
        try {
          const info = await r.info('replication');
          return Number(info.match(/(?:master_repl_offset|slave_repl_offset):(\d+)/)?.[1] ?? -1);
        } finally {
          r.disconnect();
        }
      }),
    );
    if (offsets.every((o) => o === offsets[0])) return;
    assert.ok(Date.now() < deadline, `replicas did not catch up: ${offsets.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** BGREWRITEAOF on a node and wait until it is done and succeeded. */
async function rewriteAof(port: number, auth: Credentials): Promise<void> {
  const r = client(port, auth);
  try {
    await r.call('BGREWRITEAOF');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const info = await r.info('persistence');
      if (info.includes('aof_rewrite_in_progress:0') && info.includes('aof_rewrite_scheduled:0')) {
        assert.match(info, /aof_last_bgrewrite_status:ok/, info);
        assert.match(info, /aof_last_write_status:ok/, info);
        return;
      }
      assert.ok(Date.now() < deadline, `BGREWRITEAOF did not finish: ${info}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    r.disconnect();
  }
}

describe('backup and restore on the real engine', { timeout: TIMEOUT, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-backup-');
  let passA: Credentials = {};
  let keys = 0;
  let reference = '';
  const file = join(work.dir, 'a.rdb');
  let deployedA = false;

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(A.name);
    forceRemoveProject(B.name);
    const r = await runCli(['deploy', 'sentinel', '--name', A.name, '--port-base', String(A.portBase), '--profile', 'fast', '--json', ...IMAGE_FLAGS], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout}`);
    deployedA = true;
    passA = adminAuth(work.dir, A.name);
    const master = client(A.portBase + 1, passA);
    try {
      keys = await writeKeys(master, 'before', 400);
    } finally {
      master.disconnect();
    }
    await waitReplicated(A.portBase, passA);
    const digests = await nodeDigests(A.portBase, passA);
    assert.ok(digests.every((x) => x.keys === keys && x.digest === digests[0]!.digest), `nodes differ before the backup: ${JSON.stringify(digests)}`);
    reference = digests[0]!.digest;
  });

  after(async () => {
    for (const d of [A, B]) {
      if (deployedA) await runCli(['cleanup', '--name', d.name], { cwd: work.dir }).catch(() => undefined);
      forceRemoveProject(d.name);
    }
    work.remove();
  });

  it('backup writes an RDB taken on a replica (0600) and a manifest that describes it', async (t) => {
    if (!requireDocker(t)) return;
    const r = await runCli(['backup', '--name', A.name, '--out', file, '--json'], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `backup failed:\n${r.stderr}\n${r.stdout}`);
    const m = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as BackupManifest;
    assert.equal(m.format, 'redis-ha-backup');
    assert.equal(m.version, 1);
    assert.equal(m.deployment, A.name);
    assert.equal(m.preset, 'sentinel');
    assert.equal(m.source.role, 'replica');
    assert.match(m.source.node, /^redis-[23]$/);
    assert.equal(m.master.node, 'redis-1');
    assert.ok(m.master.replOffset > 0 && m.source.replOffset === m.master.replOffset, JSON.stringify(m));
    assert.equal(m.keys, keys);
    assert.deepEqual(m.keyspace, { db0: keys - 2, db2: 2 });
    assert.match(m.redisVersion, /^7\./);
    const bytes = readFileSync(file);
    assert.equal(m.rdb.bytes, bytes.length);
    assert.equal(m.rdb.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(bytes.subarray(0, 5).toString(), 'REDIS');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(`${file}.json`).mode & 0o777, 0o600);
    const json = JSON.parse(r.stdout) as { ok: boolean; file: string; timings: { totalMs: number } };
    assert.equal(json.ok, true);
    assert.equal(json.file, file);
    t.diagnostic(`backup of ${keys} keys (${bytes.length} bytes): ${json.timings.totalMs} ms`);
  });

  it('refuses damaged files before anything is touched (truncated, byte-flipped, flipped with a matching manifest)', async (t) => {
    if (!requireDocker(t)) return;
    const master = client(A.portBase + 1, passA);
    try {
      await writeKeys(master, 'after', 50);
      await master.del('before:s:1', 'before:h:2', 'before:l:3');
    } finally {
      master.disconnect();
    }
    await waitReplicated(A.portBase, passA);
    const changed = await nodeDigests(A.portBase, passA);
    assert.notEqual(changed[0]!.digest, reference, 'the data changed after the backup');
    const states = containerStates(A.name);
    assert.equal(states.length, 6);

    const bytes = readFileSync(file);
    const truncated = join(work.dir, 'truncated.rdb');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    copyFileSync(`${file}.json`, `${truncated}.json`);
    const flipped = join(work.dir, 'flipped.rdb');
    const flippedBytes = Buffer.from(bytes);
    const middle = Math.floor(bytes.length / 2);
    flippedBytes[middle] = flippedBytes[middle]! ^ 0xff;
    writeFileSync(flipped, flippedBytes);
    copyFileSync(`${file}.json`, `${flipped}.json`);
    // The same damage with a manifest rewritten to match: only redis-check-rdb can tell.
    const disguised = join(work.dir, 'disguised.rdb');
    writeFileSync(disguised, flippedBytes);
    const m = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as BackupManifest;
    m.rdb.sha256 = createHash('sha256').update(flippedBytes).digest('hex');
    writeFileSync(`${disguised}.json`, JSON.stringify(m));

    for (const [path, expected] of [
      [truncated, /truncated/],
      [flipped, /sha256 .* differs from the manifest's/],
      [disguised, /refused by redis-check-rdb of redis-ha-local\/redis:7\.0: .*(CRC|error|Unexpected|Invalid|Unknown)/i],
    ] as const) {
      const r = await runCli(['restore', path, '--name', A.name, '--yes'], { cwd: work.dir });
      assert.equal(r.exitCode, 2, `${path}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.match(r.stderr, /nothing was touched/);
      t.diagnostic(r.stderr.split('\n').find((l) => l.startsWith('redis-ha:')) ?? r.stderr);
      assert.deepEqual(containerStates(A.name), states, `${path}: containers changed`);
    }
    // Without --yes a good file only says what it would replace.
    const r = await runCli(['restore', file, '--name', A.name], { cwd: work.dir });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`restore would replace ALL data of deployment ${A.name}: redis-1 \\(master, ${changed[0]!.keys} keys\\)`));
    assert.deepEqual(containerStates(A.name), states);
    assert.deepEqual((await nodeDigests(A.portBase, passA)).map((x) => x.digest), changed.map((x) => x.digest), 'data untouched');
  });

  it('restore --yes gives every node the backup key count and digest, and leaves the deployment healthy', async (t) => {
    if (!requireDocker(t)) return;
    const r = await runCli(['restore', file, '--name', A.name, '--yes', '--json'], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `restore failed:\n${r.stderr}\n${r.stdout}`);
    const result = JSON.parse(r.stdout) as RestoreResult;
    assert.equal(result.keys, keys);
    assert.equal(result.master, 'redis-1');
    // Checked independently of the command's own comparison.
    const digests = await nodeDigests(A.portBase, passA);
    for (const [i, x] of digests.entries()) {
      assert.equal(x.keys, keys, `redis-${i + 1} keys`);
      assert.equal(x.digest, reference, `redis-${i + 1} digest`);
    }
    const status = await runCli(['status', '--name', A.name], { cwd: work.dir });
    assert.equal(status.exitCode, 0, status.stdout);
    // Persistence survives: the AOF written from the backup is what a restarted master loads.
    const id = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${A.name}`, '--filter', 'label=com.docker.compose.service=redis-1'], { encoding: 'utf8' }).stdout.trim();
    const ls = spawnSync('docker', ['exec', id, 'ls', '/data/appendonlydir'], { encoding: 'utf8' }).stdout;
    assert.match(ls, /appendonly\.aof\.1\.base\.rdb/);
    // Owned by the redis user (999, the containers are not root), not by root as a plain `docker cp` makes it.
    const owners = spawnSync('docker', ['exec', id, 'ls', '-lnA', '/data', '/data/appendonlydir'], { encoding: 'utf8' }).stdout;
    for (const line of owners.split('\n').filter((l) => /^[-d]/.test(l))) assert.match(line, /^\S+\s+\d+\s+999\s/, `not owned by 999: ${line}\n${owners}`);
    // No temporary copy of redis-check-rdb left in the data volume.
    assert.doesNotMatch(owners, /redis-ha-check/);
    // Redis can write into the restored AOF directory: a rewrite replaces the base file.
    await rewriteAof(A.portBase + 1, passA);
    const after = spawnSync('docker', ['exec', id, 'ls', '/data/appendonlydir'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(after, /appendonly\.aof\.1\.base\.rdb/, after);
    assert.match(after, /appendonly\.aof\.\d+\.base\.rdb/, after);
    t.diagnostic(`restore of ${keys} keys: ${JSON.stringify(result.timings)}`);
  });

  it('deploy --restore starts a new deployment (persistence rdb) with the same count and digest; refuses an existing one', async (t) => {
    if (!requireDocker(t)) return;
    const again = await runCli(['deploy', 'sentinel', '--name', A.name, '--port-base', String(A.portBase), '--restore', file, ...IMAGE_FLAGS], { cwd: work.dir });
    assert.equal(again.exitCode, 2, again.stderr);
    assert.match(again.stderr, new RegExp(`deployment ${A.name} already exists \\(6 container\\(s\\) and 6 data volume\\(s\\)\\); deploy --restore only starts a new deployment; nothing was changed`));
    assert.match(again.stderr, /hint: to replace its data: redis-ha restore .* --yes/);
    const r = await runCli(
      ['deploy', 'sentinel', '--name', B.name, '--port-base', String(B.portBase), '--profile', 'fast', '--persistence', 'rdb', '--restore', file, '--json', ...IMAGE_FLAGS],
      { cwd: work.dir },
    );
    assert.equal(r.exitCode, 0, `deploy --restore failed:\n${r.stderr}\n${r.stdout}`);
    const result = JSON.parse(r.stdout) as DeployResult;
    assert.equal(result.restored?.keys, keys);
    const digests = await nodeDigests(B.portBase, adminAuth(work.dir, B.name));
    for (const [i, x] of digests.entries()) {
      assert.equal(x.keys, keys, `redis-${i + 1} keys`);
      assert.equal(x.digest, reference, `redis-${i + 1} digest`);
    }
    // The restored dump.rdb is the redis user's, and Redis can save over it.
    const id = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${B.name}`, '--filter', 'label=com.docker.compose.service=redis-1'], { encoding: 'utf8' }).stdout.trim();
    const before = spawnSync('docker', ['exec', id, 'ls', '-lnA', '/data'], { encoding: 'utf8' }).stdout;
    assert.match(before, /^-rw-------\s+\d+\s+999\s.*dump\.rdb$/m, before);
    assert.doesNotMatch(before, /redis-ha-check/);
    const master = client(B.portBase + 1, adminAuth(work.dir, B.name));
    try {
      const last = Number((await master.info('persistence')).match(/rdb_saves:(\d+)/)?.[1]);
      await master.call('BGSAVE');
      const deadline = Date.now() + 20_000;
      for (;;) {
        const info = await master.info('persistence');
        if (Number(info.match(/rdb_saves:(\d+)/)?.[1]) > last && info.includes('rdb_bgsave_in_progress:0')) {
          assert.match(info, /rdb_last_bgsave_status:ok/);
          break;
        }
        assert.ok(Date.now() < deadline, `BGSAVE did not finish: ${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      master.disconnect();
    }
    t.diagnostic(`deploy --restore: healthy ${result.timings.totalMs} ms, restore ${result.restored?.timings.totalMs} ms`);
  });
});
