// backup / restore / deploy --restore in-process against a fake Runtime: every refusal exits 2
// and touches nothing (the fake records no stop, start, copy into a volume, exec or up), and
// the small pure parts (redis-check-rdb output, INFO keyspace, the choice of the source node,
// the manifest check). Nothing answers on the deployment's ports (15950+): the key counts of
// the refusal are "unknown", which is what an operator sees for a node that is down.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCheckRdb } from '../../src/operations/check-rdb.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, manifestPath, publishBackup, sealRdb, stagingDir, verifyBackupFile, type BackupManifest } from '../../src/operations/backup-file.js';
import { chooseSource } from '../../src/operations/backup.js';
import { backup, fileTimestamp } from '../../src/commands/backup.js';
import { deploy } from '../../src/commands/deploy.js';
import { render } from '../../src/commands/render.js';
import { restore } from '../../src/commands/restore.js';
import { EXIT } from '../../src/errors.js';
import type { NodeStatus } from '../../src/probes/deployment.js';
import { parseKeyspace } from '../../src/probes/keyspace.js';
import { containersFor, FakeRuntime, type Call } from '../helpers/fake-runtime.js';
import { FakeSwarm, swarmContainersFor } from '../helpers/fake-swarm.js';
import { holdsFor } from '../../src/operations/holds.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const NAME = 'bk-unit';
const PORT_BASE = 15950;
/** Runtime methods that change something. A refusal must call none of them. */
const ACTIONS: Call['method'][] = ['containerAction', 'copyTo', 'exec', 'up', 'down', 'stopServices', 'removeServices', 'removeContainers', 'removeVolume', 'removeNetwork', 'disconnect', 'connect', 'pullImage'];

const RDB_OK = `[offset 0] Checking RDB file /tmp/x.rdb
[offset 27] AUX FIELD redis-ver = '7.0.15'
[offset 116] Checksum OK
[offset 116] \\o/ RDB looks OK! \\o/
[info] 3 keys read
[info] 0 expires
[info] 0 already expired`;
const RDB_CRC = `[offset 0] Checking RDB file /tmp/x.rdb
[offset 82] Selecting DB ID 0
--- RDB ERROR DETECTED ---
[offset 116] RDB CRC error
[additional info] While doing: check-sum
[info] 2 keys read
[info] 0 expires
[info] 0 already expired`;

/** A rendered sentinel deployment (its containers in the fake) and a valid backup pair of `keys` keys. */
async function setup(t: { after: (fn: () => Promise<void>) => void }, keys = 3) {
  const cwd = await makeTempDir('redis-ha-cmd-backup-');
  t.after(() => removeDir(cwd));
  const file = join(cwd, 'topology.yaml');
  await writeFile(file, `preset: sentinel\nname: ${NAME}\nportBase: ${PORT_BASE}\nredis:\n  image: redis-ha-local/redis:7.0\n`);
  const rendered = await render({ file }, { cwd });
  const runtime = new FakeRuntime();
  runtime.containersOf.set(NAME, containersFor(rendered.topology));
  const rdb = join(cwd, 'b.rdb');
  const staging = await stagingDir(rdb);
  const staged = join(staging.dir, 'dump.rdb');
  await writeFile(staged, Buffer.concat([Buffer.from('REDIS0010'), Buffer.alloc(200, 7)]));
  const sealed = await sealRdb(staged);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    createdAt: '2025-01-01T12:00:00.000Z',
    deployment: NAME,
    preset: 'sentinel',
    persistence: 'aof',
    source: { node: 'redis-2', role: 'replica', replOffset: 100 },
    master: { node: 'redis-1', replOffset: 100 },
    keyspace: { db0: keys },
    keys,
    redisVersion: '7.0.15',
    rdb: { file: 'b.rdb', ...sealed },
  };
  await publishBackup(staged, manifest, rdb);
  await staging.discard();
  return { cwd, runtime, rdb, io: captureIo(cwd), topology: rendered.topology, fileTopology: file };
}

const ctx = (s: { runtime: FakeRuntime; io: ReturnType<typeof captureIo> }) => ({ runtime: s.runtime, io: s.io, signal: new AbortController().signal });

describe('restore refusals against a fake runtime', () => {
  it('without --yes: exit 2, says what it would replace, and touches nothing', async (t) => {
    const s = await setup(t);
    const err = await rejection(restore({ file: s.rdb, name: NAME }, ctx(s)));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /restore would replace ALL data of deployment bk-unit/);
    assert.match(err.message, /redis-1 \(unreachable, key count unknown\), redis-2 .*redis-3/);
    assert.match(err.message, /3 Sentinel\(s\) are stopped and started again/);
    assert.match(err.message, /with the 3 keys of .*b\.rdb .*nothing was changed/);
    assert.match(err.hint ?? '', /--yes/);
    assert.deepEqual(s.runtime.called(...ACTIONS), [], `actions: ${s.runtime.called().join(', ')}`);
  });

  for (const [what, damage, expected] of [
    ['a truncated file', async (rdb: string) => writeFile(rdb, (await readFile(rdb)).subarray(0, 100)), /has 100 bytes, its manifest says 209 \(truncated\)/],
    [
      'a byte-flipped file',
      async (rdb: string) => {
        const bytes = await readFile(rdb);
        bytes[150] = bytes[150]! ^ 0xff;
        await writeFile(rdb, bytes);
      },
      /its sha256 [0-9a-f]{16}\.\.\. differs from the manifest's/,
    ],
    ['a missing manifest', async (rdb: string) => rm(manifestPath(rdb)), /manifest .*b\.rdb\.json is missing/],
    ['a manifest that is not JSON', async (rdb: string) => writeFile(manifestPath(rdb), '{"format": '), /is not valid JSON/],
    ['a manifest of something else', async (rdb: string) => writeFile(manifestPath(rdb), '{"format": "other"}'), /is not a redis-ha backup manifest/],
  ] as const) {
    it(`${what}: exit 2 with --yes, naming the problem, before the engine is asked anything`, async (t) => {
      const s = await setup(t);
      await damage(s.rdb);
      const err = await rejection(restore({ file: s.rdb, name: NAME, yes: true }, ctx(s)));
      assert.equal(err.exitCode, EXIT.usage);
      assert.match(err.message, expected);
      assert.match(err.message, /nothing was touched/);
      assert.deepEqual(s.runtime.called(...ACTIONS, 'checkEngine', 'containers'), []);
    });
  }

  it("a file the image's redis-check-rdb refuses (manifest matching): exit 2, only the check ran, no node stopped", async (t) => {
    const s = await setup(t);
    s.runtime.script.exec = async (_id, argv) =>
      argv[0] === 'redis-check-rdb' ? { stdout: RDB_CRC, stderr: '', exitCode: 1 } : { stdout: '', stderr: '', exitCode: 0 };
    const err = await rejection(restore({ file: s.rdb, name: NAME, yes: true, progress: false }, ctx(s)));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /refused by redis-check-rdb of redis-ha-local\/redis:7\.0: \[offset 116\] RDB CRC error; \[additional info\] While doing: check-sum; nothing was touched/);
    const calls = s.runtime.calls.filter((c) => ACTIONS.includes(c.method));
    // The file went to a hidden temporary name in the data volume (the only place `docker cp`
    // reaches in a read-only container), owned by the redis user, was checked there and removed.
    assert.deepEqual(calls.map((c) => c.method), ['copyTo', 'exec', 'exec']);
    assert.match(String(calls[0]!.args[2]), /^\/data\/\.redis-ha-check-[0-9a-f]+\.rdb$/);
    assert.deepEqual(calls[0]!.args[3], { owner: { uid: 999, gid: 999 } });
    assert.deepEqual((calls[1]!.args[1] as string[])[0], 'redis-check-rdb');
    assert.deepEqual(calls[2]!.args[1], ['rm', '-f', calls[0]!.args[2]]);
  });

  it('a file holding another key count than its manifest says: exit 2, no node stopped', async (t) => {
    const s = await setup(t, 5);
    s.runtime.script.exec = async (_id, argv) =>
      argv[0] === 'redis-check-rdb' ? { stdout: RDB_OK, stderr: '', exitCode: 0 } : { stdout: '', stderr: '', exitCode: 0 };
    const err = await rejection(restore({ file: s.rdb, name: NAME, yes: true, progress: false }, ctx(s)));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /it holds 3 keys, its manifest says 5/);
    assert.deepEqual(s.runtime.called('containerAction', 'up', 'down'), []);
  });

  it('a node that is not running: refused before anything is touched (exit 1)', async (t) => {
    const s = await setup(t);
    const list = s.runtime.containersOf.get(NAME)!;
    list[1] = { ...list[1]!, state: 'exited', exitCode: 137 };
    const err = await rejection(restore({ file: s.rdb, name: NAME, yes: true, progress: false }, ctx(s)));
    assert.equal(err.exitCode, EXIT.failed);
    assert.match(err.message, /redis-2 is not running; nothing was touched/);
    assert.deepEqual(s.runtime.called(...ACTIONS), []);
  });
});

describe('restore on swarm', () => {
  async function swarmSetup(t: { after: (fn: () => Promise<void>) => void }) {
    const cwd = await makeTempDir('redis-ha-cmd-restore-swarm-');
    t.after(() => removeDir(cwd));
    const s = await setup(t);
    const out = join(cwd, 'sw');
    const rendered = await render({ preset: 'sentinel', name: 'bk-swarm', target: 'swarm', portBase: PORT_BASE, out }, { cwd });
    const runtime = new FakeSwarm();
    runtime.containersOf.set('bk-swarm', swarmContainersFor(rendered.topology));
    return { ...s, runtime, out };
  }

  it('a node drained or down: exit 1 naming it, before any node is touched', async (t) => {
    const s = await swarmSetup(t);
    s.runtime.nodeList[2]!.availability = 'drain';
    const err = await rejection(restore({ file: s.rdb, dir: s.out, yes: true, progress: false }, ctx(s)));
    assert.equal(err.exitCode, EXIT.failed);
    assert.match(err.message, /node node3 is drain; no restore of bk-swarm while a node is not ready and active \(nothing was changed\)/);
    assert.deepEqual(s.runtime.called(...ACTIONS, 'scaleService'), []);
  });

  it('holds a service at 0 replicas and lets it run again at its count (compose: stop / start)', async (t) => {
    const s = await swarmSetup(t);
    const sentinel = s.runtime.containersOf.get('bk-swarm')!.find((c) => c.service === 'sentinel-2')!;
    s.runtime.replicas.set('bk-swarm_sentinel-2', 1);
    const holds = holdsFor(s.runtime, 'bk-swarm', { timeoutMs: 1000 });
    await holds.stop(sentinel);
    assert.equal((await s.runtime.inspect([sentinel.id]))[0]?.state, 'exited');
    await holds.start(sentinel);
    assert.deepEqual(
      s.runtime.calls.filter((c) => c.method === 'scaleService').map((c) => c.args),
      [['bk-swarm', 'sentinel-2', 0], ['bk-swarm', 'sentinel-2', 1]],
    );
    assert.equal(s.runtime.containersOf.get('bk-swarm')!.find((c) => c.service === 'sentinel-2')!.state, 'running');
    await assert.rejects(holds.start({ ...sentinel, service: 'sentinel-3' }), /sentinel-3 was not held down by this operation/);

    const compose = new FakeRuntime();
    compose.containersOf.set(NAME, containersFor(s.topology));
    const c = compose.containersOf.get(NAME)![0]!;
    const composeHolds = holdsFor(compose, NAME, { timeoutMs: 1000 });
    await composeHolds.stop(c);
    await composeHolds.start(c);
    assert.deepEqual(compose.calls.filter((x) => x.method === 'containerAction').map((x) => x.args[0]), ['stop', 'start']);
  });
});

describe('deploy --restore refusals', () => {
  it('onto a deployment that exists: exit 2, says use restore, renders and starts nothing', async (t) => {
    const s = await setup(t);
    const other = await makeTempDir('redis-ha-cmd-backup-cwd-');
    t.after(() => removeDir(other));
    s.runtime.volumesOf.set(NAME, [`${NAME}_redis-1-data`]);
    const err = await rejection(deploy({ file: s.fileTopology, restore: s.rdb, progress: false }, { ...ctx(s), io: captureIo(other) }));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /deployment bk-unit already exists \(6 container\(s\) and 1 data volume\(s\)\); deploy --restore only starts a new deployment/);
    assert.match(err.hint ?? '', /redis-ha restore .* --name bk-unit --yes/);
    assert.deepEqual(s.runtime.called(...ACTIONS), []);
    assert.equal(existsSync(join(other, '.redis-ha')), false, 'nothing rendered');
  });

  it('a truncated backup: exit 2 before the engine is asked anything', async (t) => {
    const s = await setup(t);
    await writeFile(s.rdb, 'REDIS');
    const err = await rejection(deploy({ file: s.fileTopology, name: 'bk-unit-new', restore: s.rdb, progress: false }, ctx(s)));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /truncated/);
    assert.deepEqual(s.runtime.called(), []);
  });

  it('--no-wait with --restore: exit 2', async (t) => {
    const s = await setup(t);
    const err = await rejection(deploy({ file: s.fileTopology, name: 'bk-unit-new', restore: s.rdb, wait: false, progress: false }, ctx(s)));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /--no-wait/);
    assert.deepEqual(s.runtime.called(), []);
  });
});

describe('backup refusals', () => {
  it('an --out that exists: exit 2, the old file untouched, the engine not asked', async (t) => {
    const s = await setup(t);
    const before = await readFile(s.rdb);
    const err = await rejection(backup({ name: NAME, out: s.rdb }, ctx(s)));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /b\.rdb already exists; nothing was written/);
    assert.deepEqual(await readFile(s.rdb), before);
    assert.deepEqual(s.runtime.called(), []);
  });

  it('no master answers: exit 1 naming the nodes, and no file left behind', async (t) => {
    const s = await setup(t);
    const out = join(s.cwd, 'new.rdb');
    const err = await rejection(backup({ name: NAME, out }, ctx(s)));
    assert.equal(err.exitCode, EXIT.failed);
    assert.match(err.message, /no node answers as master \(redis-1: .*redis-2: .*redis-3: /);
    assert.equal(existsSync(out), false);
    assert.equal(existsSync(manifestPath(out)), false);
    assert.deepEqual(s.runtime.called(...ACTIONS, 'copyFrom'), []);
  });
});

describe('backup pieces', () => {
  it('a published backup is mode 0600 with its manifest, and verifies', async (t) => {
    const s = await setup(t);
    assert.equal(statSync(s.rdb).mode & 0o777, 0o600);
    assert.equal(statSync(manifestPath(s.rdb)).mode & 0o777, 0o600);
    const m = await verifyBackupFile(s.rdb);
    assert.equal(m.rdb.bytes, 209);
    assert.deepEqual(readdirSync(s.cwd).filter((f) => f.includes('partial')), [], 'no staging dir left');
  });

  it('publishing never replaces a file that appeared meanwhile', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-backup-');
    t.after(() => removeDir(cwd));
    const final = join(cwd, 'x.rdb');
    const staging = await stagingDir(final);
    t.after(staging.discard);
    await writeFile(join(staging.dir, 'dump.rdb'), 'REDIS');
    await writeFile(final, 'someone else');
    const err = await rejection(publishBackup(join(staging.dir, 'dump.rdb'), {} as BackupManifest, final));
    assert.equal(err.exitCode, EXIT.usage);
    assert.equal(await readFile(final, 'utf8'), 'someone else');
    assert.equal(existsSync(manifestPath(final)), false);
  });

  it('parses redis-check-rdb: OK with the key count, and the problem lines of an error', () => {
    assert.deepEqual(parseCheckRdb(RDB_OK, 0).ok, true);
    assert.equal(parseCheckRdb(RDB_OK, 0).keysRead, 3);
    const bad = parseCheckRdb(RDB_CRC, 1);
    assert.equal(bad.ok, false);
    assert.equal(bad.problem, '[offset 116] RDB CRC error; [additional info] While doing: check-sum');
    assert.equal(parseCheckRdb('', 127).problem, 'redis-check-rdb exited 127');
  });

  it('parses INFO keyspace per database', () => {
    assert.deepEqual(parseKeyspace('# Keyspace\r\ndb0:keys=12,expires=1,avg_ttl=0\r\ndb3:keys=4,expires=0,avg_ttl=0\r\n'), { db0: 12, db3: 4 });
    assert.deepEqual(parseKeyspace('# Keyspace\r\n'), {});
  });

  it('names files by UTC time', () => {
    assert.equal(fileTimestamp(new Date('2025-03-04T05:06:07.890Z')), '20250304T050607Z');
  });

  const node = (service: string, extra: Partial<NodeStatus>): NodeStatus => ({ service, hostPort: 1, reachable: true, ...extra });
  it('takes the linked replica furthest along, never the master while one is linked', () => {
    const nodes = [
      node('redis-1', { role: 'slave', master: 'redis-2:6379', linkUp: true, offset: 90 }),
      node('redis-2', { role: 'master', offset: 100 }),
      node('redis-3', { role: 'slave', master: 'redis-2:6379', linkUp: true, offset: 99 }),
      node('redis-4', { role: 'slave', master: 'redis-2:6379', linkUp: false, offset: 100 }),
    ];
    const choice = chooseSource(nodes);
    assert.equal(choice.master.service, 'redis-2');
    assert.equal(choice.source.service, 'redis-3');
    assert.equal(choice.note, undefined);
  });

  it('takes the master, with a note, when no replica is linked; refuses two masters', () => {
    const alone = chooseSource([node('redis-1', { role: 'master', offset: 5 })]);
    assert.equal(alone.source.service, 'redis-1');
    assert.match(alone.note ?? '', /no replicas: the snapshot is taken on the master redis-1/);
    assert.throws(
      () => chooseSource([node('redis-1', { role: 'master' }), node('redis-2', { role: 'master' })]),
      /2 nodes say they are master \(redis-1, redis-2\)/,
    );
  });
});
