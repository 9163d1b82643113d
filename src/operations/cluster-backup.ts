// Backing up a Redis Cluster: one RDB per shard, each saved on a replica of the shard (the
// master only when the shard has no replica linked), all shards at once, each checked by the
// image's redis-check-rdb, then published as one directory with a manifest
// (cluster-backup-file.ts). The shards and their masters are read from the cluster itself, not
// from the creation plan: a failover moves a shard's master.
//
// The shards are saved together but not at one instant: a write that spans shards (there is
// none in one command, a cluster has no cross-slot commands) may be in one file and not another.
import { FailedError } from '../errors.js';
import type { Deployment } from '../deployment.js';
import { checkCluster } from '../health/cluster.js';
import { CLUSTER_SLOTS, formatSlotRanges, parseSlotRanges } from '../model/cluster.js';
import { probeCluster, type ClusterNodeState, type ClusterPeer } from '../probes/cluster.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import type { Clock } from '../wait.js';
import { forgetSnapshot, snapshotNode } from './backup.js';
import { stagingDir } from './backup-file.js';
import { CLUSTER_MANIFEST_FORMAT, CLUSTER_MANIFEST_VERSION, clusterManifestPath, publishClusterBackup, shardFileName, type ClusterBackupManifest, type ShardBackup } from './cluster-backup-file.js';

const slotMapById = (peers: ClusterPeer[]) =>
  peers
    .filter((p) => p.flags.includes('master') && p.slots.length)
    .map((p) => `${formatSlotRanges(p.slots)}=${p.id}`)
    .sort()
    .join(',');

export interface ShardSource {
  shard: number;
  slots: [number, number][];
  master: { node: string; id: string };
  replicas: { node: string; id: string }[];
  source: { node: string; id: string; role: 'master' | 'replica' };
  /** Why the master itself is the source, if it is. */
  note?: string;
}

/**
 * Each shard as the cluster serves it now and the node to save it on: the linked replica least
 * behind, else the master (with a note). Refuses (exit 1) a cluster whose slots are not all
 * served by answering masters agreeing on one map: such a backup would miss keys.
 */
export function chooseShardSources(t: Deployment['topology'], nodes: ClusterNodeState[]): ShardSource[] {
  const { verdict, shards } = checkCluster(t, nodes, { caughtUp: false });
  const idOf = new Map(nodes.flatMap((n) => (n.myid ? [[n.service, n.myid] as const] : [])));
  const problems: string[] = [];
  const served = shards.reduce((sum, s) => sum + (parseSlotRanges(s.slots) ?? []).reduce((a, [x, y]) => a + y - x + 1, 0), 0);
  if (served !== CLUSTER_SLOTS) problems.push(`${served} of ${CLUSTER_SLOTS} slots are served`);
  if (shards.length !== t.cluster.shards) problems.push(`${shards.length} shard(s) serve slots, the topology has ${t.cluster.shards}`);
  for (const s of shards) if (!idOf.has(s.master)) problems.push(`the master ${s.master} of slots ${s.slots} does not answer`);
  // A slot being moved has keys on two nodes: the shard files would not match the slot map.
  const moving = nodes.filter((n) => n.peers?.find((p) => p.flags.includes('myself'))?.openSlots?.length);
  if (moving.length) problems.push(`slots are being moved (${moving.map((n) => `${n.service}: ${n.peers!.find((p) => p.flags.includes('myself'))!.openSlots!.join(' ')}`).join('; ')})`);
  const notOk = nodes.filter((n) => n.reachable && n.info?.state !== 'ok');
  if (notOk.length) problems.push(`${notOk.map((n) => `${n.service} says cluster_state:${n.info?.state}`).join(', ')}`);
  // One slot map on every answering node (by node id), else a failover or migration is under way.
  const maps = new Set(nodes.filter((n) => n.reachable).map((n) => slotMapById(n.peers ?? [])));
  if (maps.size > 1) problems.push(`the nodes disagree on the slot map (${verdict.detail})`);
  if (problems.length) {
    throw new FailedError(
      `the cluster of ${t.name} is not whole, so no backup was taken (nothing was written): ${problems.length ? problems.join('; ') : verdict.detail}`,
      `see \`redis-ha status --name ${t.name}\`, fix what it names, then back up again`,
    );
  }
  return shards.map((s, i) => {
    const replicas = s.replicas.filter((r) => idOf.has(r.service)).map((r) => ({ node: r.service, id: idOf.get(r.service)! }));
    const linked = s.replicas.filter((r) => r.linkUp && idOf.has(r.service)).sort((a, b) => (a.lagBytes ?? Infinity) - (b.lagBytes ?? Infinity));
    const master = { node: s.master, id: idOf.get(s.master)! };
    const base = { shard: i + 1, slots: parseSlotRanges(s.slots)!, master, replicas };
    if (linked.length) return { ...base, source: { node: linked[0]!.service, id: idOf.get(linked[0]!.service)!, role: 'replica' as const } };
    const configured = t.cluster.replicasPerShard;
    return {
      ...base,
      source: { ...master, role: 'master' as const },
      note: `shard ${i + 1} (${s.slots}) ${configured ? `has no replica linked (${configured} configured)` : 'has no replicas'}: its snapshot is taken on the master ${s.master} (BGSAVE forks it)`,
    };
  });
}

export interface TakenClusterBackup {
  dir: string;
  manifestFile: string;
  manifest: ClusterBackupManifest;
  notes: string[];
  /** Per shard (in shard order) the save, copy and redis-check-rdb times; all shards run at once. */
  timings: { totalMs: number; shards: { saveMs: number; copyMs: number; checkMs: number }[] };
}

/** `redis-ha backup` of a cluster after the deployment was located: sources, saves, copies, checks, publish. */
export async function takeClusterBackup(
  d: Deployment,
  runtime: Runtime,
  containers: ContainerInfo[],
  options: { dir: string; timeoutMs: number; signal?: AbortSignal; clock?: Clock },
): Promise<TakenClusterBackup> {
  const t0 = performance.now();
  const t = d.topology;
  const nodes = await probeCluster(d);
  const sources = chooseShardSources(t, nodes);
  const offsetOf = new Map(nodes.map((n) => [n.service, n.replication?.offset ?? 0]));
  const staging = await stagingDir(options.dir);
  try {
    const snapshots = await Promise.all(sources.map((s) => snapshotNode(d, runtime, containers, s.source.node, `${staging.dir}/${shardFileName(s.shard)}`, options)));
    const shards: ShardBackup[] = sources.map((s, i) => {
      const snap = snapshots[i]!;
      return {
        shard: s.shard,
        slots: s.slots,
        master: { ...s.master, replOffset: offsetOf.get(s.master.node) ?? 0 },
        replicas: s.replicas,
        source: { ...s.source, replOffset: snap.replOffset },
        savedAt: snap.savedAt,
        keyspace: snap.keyspace,
        keys: snap.keys,
        rdb: { file: shardFileName(s.shard), bytes: snap.bytes, sha256: snap.sha256 },
      };
    });
    const manifest: ClusterBackupManifest = {
      format: CLUSTER_MANIFEST_FORMAT,
      version: CLUSTER_MANIFEST_VERSION,
      createdAt: snapshots.map((x) => x.savedAt).sort().at(-1)!,
      deployment: t.name,
      preset: t.preset,
      persistence: t.redis.persistence,
      redisVersion: snapshots[0]!.redisVersion,
      keys: shards.reduce((a, s) => a + s.keys, 0),
      shards,
    };
    options.signal?.throwIfAborted();
    await publishClusterBackup(staging.dir, manifest, options.dir);
    for (const snap of snapshots) await forgetSnapshot(d, runtime, snap);
    return {
      dir: options.dir,
      manifestFile: clusterManifestPath(options.dir),
      manifest,
      notes: sources.flatMap((s) => (s.note ? [s.note] : [])),
      timings: { totalMs: Math.round(performance.now() - t0), shards: snapshots.map((x) => x.timings) },
    };
  } finally {
    await staging.discard();
  }
}
