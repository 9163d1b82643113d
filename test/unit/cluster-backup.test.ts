// Cluster backup and restore without an engine: the manifest's checks (slots once each, files
// against sizes and sha256), the match of a backup's shards to a deployment's, the choice of the
// node each shard is saved on, and the refusals of restore / deploy --restore on a cluster, which
// exit 2 before the engine is asked anything.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prepareDeployRestore } from '../../src/commands/deploy-restore.js';
import { render } from '../../src/commands/render.js';
import { restore } from '../../src/commands/restore.js';
import { EXIT } from '../../src/errors.js';
import { formatSlotRanges, parseSlotRanges } from '../../src/model/cluster.js';
import { sealRdb, stagingDir } from '../../src/operations/backup-file.js';
import { chooseShardSources } from '../../src/operations/cluster-backup.js';
import {
  CLUSTER_MANIFEST_FORMAT,
  CLUSTER_MANIFEST_VERSION,
  matchShards,
  publishClusterBackup,
  shardFileName,
  slotCoverageProblems,
  verifyClusterBackup,
  type ClusterBackupManifest,
} from '../../src/operations/cluster-backup-file.js';
import { plannedShards } from '../../src/operations/cluster-restore.js';
import { FORMED, states } from '../helpers/cluster-states.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const THIRDS: [number, number][][] = [[[0, 5460]], [[5461, 10922]], [[10923, 16383]]];

/** A published cluster backup of three shards (small fake RDBs) in a new temporary directory. */
async function published(t: { after: (fn: () => Promise<void>) => void }) {
  const cwd = await makeTempDir('redis-ha-cluster-backup-');
  t.after(() => removeDir(cwd));
  const dir = join(cwd, 'b');
  const staging = await stagingDir(dir);
  const shards = await Promise.all(
    THIRDS.map(async (slots, i) => {
      const file = join(staging.dir, shardFileName(i + 1));
      await writeFile(file, Buffer.concat([Buffer.from('REDIS0010'), Buffer.alloc(100 + i, i)]));
      const sealed = await sealRdb(file);
      return {
        shard: i + 1,
        slots,
        master: { node: `redis-${i + 1}`, id: `id${i + 1}`, replOffset: 10 },
        replicas: [{ node: `redis-${i + 4}`, id: `id${i + 4}` }],
        source: { node: `redis-${i + 4}`, id: `id${i + 4}`, role: 'replica' as const, replOffset: 10 },
        savedAt: '2025-01-01T12:00:00.000Z',
        keyspace: { db0: 5 },
        keys: 5,
        rdb: { file: shardFileName(i + 1), ...sealed },
      };
    }),
  );
  const manifest: ClusterBackupManifest = {
    format: CLUSTER_MANIFEST_FORMAT,
    version: CLUSTER_MANIFEST_VERSION,
    createdAt: '2025-01-01T12:00:00.000Z',
    deployment: 'cl-unit',
    preset: 'cluster',
    persistence: 'aof',
    redisVersion: '7.0.15',
    keys: 15,
    shards,
  };
  await publishClusterBackup(staging.dir, manifest, dir);
  await staging.discard();
  return { cwd, dir, manifest };
}

describe('cluster backup: slot ranges and the manifest layout', () => {
  it('formats and parses slot ranges', () => {
    assert.equal(formatSlotRanges([[0, 10], [20, 20]]), '0-10 20');
    assert.deepEqual(parseSlotRanges('0-10 20'), [[0, 10], [20, 20]]);
    assert.equal(parseSlotRanges('10-0'), undefined);
    assert.equal(parseSlotRanges('0-16384'), undefined);
    assert.equal(parseSlotRanges('x'), undefined);
  });

  it('every slot exactly once: gaps, overlaps and impossible ranges are named', () => {
    assert.deepEqual(slotCoverageProblems(THIRDS.map((slots, i) => ({ shard: i + 1, slots }))), []);
    assert.deepEqual(slotCoverageProblems([{ shard: 1, slots: [[0, 100]] }]), ['slot 101 is in no shard']);
    assert.deepEqual(slotCoverageProblems([{ shard: 1, slots: [[0, 9000]] }, { shard: 2, slots: [[8000, 16383]] }]), ['slot 8000 is in shard 1 and shard 2']);
    assert.match(slotCoverageProblems([{ shard: 1, slots: [[5, 1]] }, { shard: 2, slots: [[0, 16383]] }])[0]!, /shard 1 has the slot range 5-1/);
  });

  it("matches the backup's shards to the deployment's by slot ranges, whoever masters them now", () => {
    const backup = THIRDS.map((slots, i) => ({ shard: i + 1, slots }));
    const live = [
      { slots: THIRDS[1]!, master: 'redis-2', replicas: ['redis-5'] },
      { slots: THIRDS[0]!, master: 'redis-4', replicas: ['redis-1'] },
      { slots: THIRDS[2]!, master: 'redis-3', replicas: ['redis-6'] },
    ];
    const { pairs, differences } = matchShards(backup, live);
    assert.deepEqual(differences, []);
    assert.deepEqual(pairs.map((p) => [p.backup, p.live.master]), [[1, 'redis-4'], [2, 'redis-2'], [3, 'redis-3']]);
  });

  it('names every difference: other ranges, another shard count', () => {
    const backup = THIRDS.map((slots, i) => ({ shard: i + 1, slots }));
    const four = plannedShards(topologyOf('cluster', { cluster: { shards: 4 } }));
    const { differences } = matchShards(backup, four);
    assert.equal(differences[0], 'the backup has 3 shards, the deployment 4');
    assert.match(differences.join('; '), /backup shard 1 \(slots 0-5460\) matches no shard of the deployment/);
    assert.match(differences.join('; '), /the deployment's shard of redis-4 \(slots 12288-16383\) is in no backup shard/);
  });
});

describe('cluster backup: the node each shard is saved on', () => {
  const t = topologyOf('cluster');

  it('a linked replica of each shard, from the live map (after a failover, the new master is the master)', () => {
    const failedOver = FORMED.map((m) =>
      m.service === 'redis-1' ? { ...m, master: 'redis-4', slots: [] } : m.service === 'redis-4' ? { ...m, master: undefined, slots: [[0, 5460]] as [number, number][] } : m,
    );
    const sources = chooseShardSources(t, states(failedOver));
    assert.deepEqual(
      sources.map((s) => [s.shard, formatSlotRanges(s.slots), s.master.node, s.master.id, s.source.node, s.source.role]),
      [
        [1, '0-5460', 'redis-4', 'id4', 'redis-1', 'replica'],
        [2, '5461-10922', 'redis-2', 'id2', 'redis-5', 'replica'],
        [3, '10923-16383', 'redis-3', 'id3', 'redis-6', 'replica'],
      ],
    );
    assert.ok(sources.every((s) => s.note === undefined));
  });

  it("the master, with a note, when its shard's replica is not linked", () => {
    const nodes = states(FORMED);
    nodes.find((n) => n.service === 'redis-5')!.replication!.linkUp = false;
    const sources = chooseShardSources(t, nodes);
    assert.equal(sources[1]!.source.node, 'redis-2');
    assert.equal(sources[1]!.source.role, 'master');
    assert.match(sources[1]!.note ?? '', /shard 2 \(5461-10922\) has no replica linked \(1 configured\): its snapshot is taken on the master redis-2/);
  });

  it("refuses (exit 1) when a shard's master does not answer, or the nodes disagree on the slot map", () => {
    const down = states(FORMED).map((n) => (n.service === 'redis-3' ? { service: n.service, hostPort: n.hostPort, reachable: false, error: 'ECONNREFUSED' } : n));
    const err = (() => {
      try {
        chooseShardSources(t, down);
      } catch (e) {
        return e as Error & { exitCode: number };
      }
      throw new Error('not refused');
    })();
    assert.equal(err.exitCode, EXIT.failed);
    assert.match(err.message, /the cluster of .* is not whole, so no backup was taken \(nothing was written\): the master redis-3 of slots 10923-16383 does not answer/);

    // redis-2 migrating slot 5461 to redis-3 (its own line of CLUSTER NODES says so).
    const moving = states(FORMED);
    moving[1]!.peers!.find((p) => p.flags.includes('myself'))!.openSlots = ['[5461->-id3]'];
    assert.throws(() => chooseShardSources(t, moving), /slots are being moved \(redis-2: \[5461->-id3\]\)/);

    const split = states(FORMED, (viewer, peer) => (viewer.service === 'redis-6' && peer.id === 'id3' ? { ...peer, slots: [[10923, 16000]] } : peer));
    assert.throws(() => chooseShardSources(t, split), /the nodes disagree on the slot map/);
  });
});

describe('cluster backup: the directory on disk', () => {
  it('private (0700, files 0600), complete, and verifies; given as the directory or its manifest', async (t) => {
    const s = await published(t);
    assert.equal(statSync(s.dir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(s.dir).sort(), ['manifest.json', 'shard-1.rdb', 'shard-2.rdb', 'shard-3.rdb']);
    for (const f of readdirSync(s.dir)) assert.equal(statSync(join(s.dir, f)).mode & 0o777, 0o600, f);
    assert.deepEqual(readdirSync(s.cwd), ['b'], 'no staging directory left');
    assert.equal((await verifyClusterBackup(s.dir)).manifest.keys, 15);
    assert.equal((await verifyClusterBackup(join(s.dir, 'manifest.json'))).dir, s.dir);
  });

  it('never publishes into a directory that appeared meanwhile', async (t) => {
    const s = await published(t);
    const staging = await stagingDir(s.dir);
    t.after(staging.discard);
    const err = await rejection(publishClusterBackup(staging.dir, s.manifest, s.dir));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /appeared while the backup ran; nothing was written/);
  });

  for (const [what, damage, expected] of [
    ['a missing manifest (an interrupted backup)', async (dir: string) => rm(join(dir, 'manifest.json')), /manifest .* is missing \(an interrupted backup\?\)/],
    ['a missing shard file', async (dir: string) => rm(join(dir, 'shard-3.rdb')), /shard-3\.rdb \(shard 3\) is missing/],
    ['a truncated shard file', async (dir: string) => writeFile(join(dir, 'shard-2.rdb'), 'REDIS'), /shard-2\.rdb \(shard 2\) has 5 bytes, its manifest says 110 \(truncated\)/],
    [
      'a byte-flipped shard file',
      async (dir: string) => {
        const bytes = await readFile(join(dir, 'shard-1.rdb'));
        bytes[50] = bytes[50]! ^ 0xff;
        await writeFile(join(dir, 'shard-1.rdb'), bytes);
      },
      /the sha256 of shard-1\.rdb \(shard 1\) [0-9a-f]{16}\.\.\. differs from the manifest's/,
    ],
    [
      'a manifest whose shards overlap',
      async (dir: string) => {
        const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ClusterBackupManifest;
        m.shards[0]!.slots = [[0, 6000]];
        await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
      },
      /its shards do not cover the slots once each \(slot 5461 is in shard 1 and shard 2\)/,
    ],
    ['the manifest of a replicated backup', async (dir: string) => writeFile(join(dir, 'manifest.json'), '{"format": "redis-ha-backup"}'), /is not a redis-ha cluster backup manifest/],
  ] as const) {
    it(`${what}: exit 2, naming it`, async (t) => {
      const s = await published(t);
      await damage(s.dir);
      const err = await rejection(verifyClusterBackup(s.dir));
      assert.equal(err.exitCode, EXIT.usage);
      assert.match(err.message, expected);
      assert.match(err.message, /nothing was touched/);
    });
  }
});

describe('restore and deploy --restore on a cluster: refusals before the engine is asked', () => {
  async function rendered(t: { after: (fn: () => Promise<void>) => void }) {
    const s = await published(t);
    const file = join(s.cwd, 'topology.yaml');
    await writeFile(file, 'preset: cluster\nname: cl-unit\nportBase: 15970\nredis:\n  image: redis-ha-local/redis:7.0\n');
    await render({ file }, { cwd: s.cwd });
    const runtime = new FakeRuntime();
    return { ...s, runtime, ctx: { runtime, io: captureIo(s.cwd), signal: new AbortController().signal } };
  }

  it('a damaged shard file: exit 2, the engine not asked', async (t) => {
    const s = await rendered(t);
    await writeFile(join(s.dir, 'shard-2.rdb'), 'REDIS');
    const err = await rejection(restore({ file: s.dir, name: 'cl-unit', yes: true }, s.ctx));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /shard-2\.rdb \(shard 2\) has 5 bytes/);
    assert.deepEqual(s.runtime.called(), []);
  });

  it('the .rdb of a replicated deployment: exit 2, saying what a cluster restores from', async (t) => {
    const s = await rendered(t);
    const err = await rejection(restore({ file: join(s.dir, 'shard-1.rdb'), name: 'cl-unit', yes: true }, s.ctx));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /is a file: a backup of a replicated deployment, not of a cluster/);
    assert.deepEqual(s.runtime.called(), []);
  });

  it('deploy --restore of a 3-shard backup into 4 shards: exit 2, nothing written, no engine asked', async (t) => {
    const s = await rendered(t);
    let asked = false;
    const err = await rejection(
      prepareDeployRestore({ preset: 'cluster', name: 'cl-four', shards: 4, restore: s.dir } as Parameters<typeof prepareDeployRestore>[0], async () => {
        asked = true;
        return s.runtime;
      }, s.cwd),
    );
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /cluster backup .* does not fit cl-four: the backup has 3 shards, the deployment 4/);
    assert.match(err.hint ?? '', /redis-ha deploy cluster --shards 3 --restore/);
    assert.equal(asked, false);
    assert.equal(existsSync(join(s.cwd, '.redis-ha', 'cl-four')), false);
  });

  it('a cluster backup into a replicated deployment: exit 2, saying it is a cluster backup', async (t) => {
    const s = await rendered(t);
    const file = join(s.cwd, 'sentinel.yaml');
    await writeFile(file, 'preset: sentinel\nname: sn-unit\nportBase: 15990\n');
    await render({ file }, { cwd: s.cwd });
    const err = await rejection(restore({ file: s.dir, name: 'sn-unit', yes: true }, s.ctx));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /it is a directory \(a cluster backup\), and this deployment is not a cluster/);
  });
});
