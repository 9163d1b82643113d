// Restoring a cluster backup (cluster-backup-file.ts) into a running cluster deployment: each
// shard's RDB onto the node that is that shard's master now, its replicas full-synced from it.
// The same steps as restore.ts (its helpers), shard by shard at once, with what differs in a
// cluster:
// - The shards must match: every backup shard's slot ranges served by one shard of the
//   deployment, and no other shard (else exit 2, nothing touched). A node keeps only the keys of
//   its own slots, so an RDB on a node serving other slots would lose keys or be refused.
// - The cluster's identity stays: only the data files are removed, never nodes.conf (the node's
//   id, its shard, the slot map, the epochs); an RDB holds none of it.
// - No Sentinels to stop: the cluster fails over by itself. A master stopped longer than
//   cluster-node-timeout while a replica runs would be replaced by it (with the old data), so
//   every replica is stopped first and started only after its master has loaded the backup.
//   Meanwhile the shards answer CLUSTERDOWN: a restore is downtime.
// - Verified after: cluster_state:ok on every node (the health check), each shard's master with
//   the manifest's key count for it, each replica with its master's count and keyspace digest.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressOf, type Deployment } from '../deployment.js';
import { FailedError, UsageError } from '../errors.js';
import { checkCluster } from '../health/cluster.js';
import { waitHealthy } from '../health/wait-healthy.js';
import { clusterShards, formatSlotRanges, parseSlotRanges } from '../model/cluster.js';
import { redisNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { probeCluster } from '../probes/cluster.js';
import { digestKeyspace } from '../probes/keyspace.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { matchShards, type ClusterBackupManifest, type LiveShard, type ShardBackup } from './cluster-backup-file.js';
import { dataOwner } from './data-owner.js';
import { holdsFor } from './holds.js';
import { checkBackupRdb, clearNodeData, dropLoadedFile, readDataLayout, runningNodes, stageData, waitLoaded, waitSaveDone, type RestoreOptions } from './restore.js';

export interface ClusterRestoreOutcome {
  keys: number;
  shards: { shard: number; slots: string; master: string; keys: number; nodes: { node: string; keys: number; digest: string }[] }[];
  /** Milliseconds from the start until each step was done. */
  timings: { checkedMs: number; stoppedMs: number; mastersLoadedMs: number; healthyMs: number; totalMs: number };
}

/** The shards a new deployment of `t` will serve (its creation plan). */
export const plannedShards = (t: Pick<Topology, 'cluster'>): LiveShard[] => clusterShards(t).map((s) => ({ slots: [s.slots], master: s.master, replicas: s.replicas }));

/** Exit 2 when the backup's shards are not the deployment's: what differs and what to do. */
export function refuseMismatch(t: Topology, dir: string, manifest: ClusterBackupManifest, live: LiveShard[]): { backup: ShardBackup; live: LiveShard }[] {
  const { pairs, differences } = matchShards(manifest.shards, live);
  if (differences.length) {
    throw new UsageError(
      `cluster backup ${dir} does not fit ${t.name}: ${differences.join('; ')}; nothing was touched`,
      `restore into a cluster with the backup's shards (${manifest.shards.map((s) => formatSlotRanges(s.slots)).join(', ')}): e.g. a new one, \`redis-ha deploy cluster --shards ${manifest.shards.length} --restore ${dir}\``,
    );
  }
  return pairs.map((p) => ({ backup: manifest.shards.find((s) => s.shard === p.backup)!, live: p.live }));
}

export async function restoreCluster(d: Deployment, runtime: Runtime, dir: string, manifest: ClusterBackupManifest, options: RestoreOptions): Promise<ClusterRestoreOutcome> {
  const t = d.topology;
  const say = options.onStep ?? (() => undefined);
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const byService = await runningNodes(runtime, t);
  const redis = redisNodes(t);
  const endpointOf = (service: string) => ({ host: addressOf(d, service), port: redis.find((n) => n.name === service)!.hostPort });
  const checker = byService.get(redis[0]!.name)!;
  say(`checking ${manifest.shards.length} shard files with redis-check-rdb of ${t.redis.image} (in ${checker.service})`);
  await Promise.all(manifest.shards.map((s) => checkBackupRdb(runtime, checker, t.redis.image, join(dir, s.rdb.file), s.keys)));
  const checkedMs = ms();

  // The shards as the cluster serves them now (a failover moves a shard's master).
  const { verdict, shards } = checkCluster(t, await probeCluster(d), { caughtUp: false });
  if (!verdict.ok) {
    throw new FailedError(`the cluster of ${t.name} is not healthy: ${verdict.detail}; nothing was touched`, `see \`redis-ha status --name ${t.name}\`, fix what it names, then restore again`);
  }
  const live = shards.map((s) => ({ slots: parseSlotRanges(s.slots) ?? [], master: s.master, replicas: s.replicas.map((r) => r.service) }));
  const pairs = refuseMismatch(t, dir, manifest, live);
  const layout = await readDataLayout(endpointOf(pairs[0]!.live.master), d.auth);

  const staging = await mkdtemp(join(tmpdir(), 'redis-ha-restore-'));
  const holds = holdsFor(runtime, t.name, { timeoutMs: options.timeoutMs, clock: options.clock });
  const stopped = new Set<ContainerInfo>();
  const stop = (c: ContainerInfo) => {
    stopped.add(c);
    return holds.stop(c);
  };
  const start = async (c: ContainerInfo) => {
    await holds.start(c);
    stopped.delete(c);
  };
  let step = 'staging the shard files';
  try {
    const staged = await Promise.all(
      pairs.map(async (p) => {
        const at = join(staging, `shard-${p.backup.shard}`);
        await mkdir(at, { mode: 0o700 });
        return stageData(at, join(dir, p.backup.rdb.file), layout, t.redis.persistence);
      }),
    );
    step = 'clearing the data of every node';
    say(`clearing the data of ${redis.map((n) => n.name).join(', ')} (nodes.conf kept) and stopping them, replicas first`);
    await Promise.all(redis.map((n) => clearNodeData(runtime, byService.get(n.name)!, endpointOf(n.name), d.auth, layout)));
    step = 'stopping the replicas';
    const replicas = pairs.flatMap((p) => p.live.replicas).map((s) => byService.get(s)!);
    await Promise.all(replicas.map(stop));

    step = 'putting each shard file into its master';
    await Promise.all(
      pairs.map(async (p, i) => {
        const master = byService.get(p.live.master)!;
        await waitSaveDone(p.live.master, endpointOf(p.live.master), d.auth, options);
        say(`shard ${p.backup.shard} (${formatSlotRanges(p.backup.slots)}): ${p.backup.rdb.file} into ${p.live.master}'s volume as ${staged[i]!.target}`);
        // Owned by the user Redis runs as: it must read the RDB and, with AOF, write into the directory.
        await runtime.copyTo(master.id, staged[i]!.source, staged[i]!.target, { owner: dataOwner(master) });
      }),
    );
    step = 'stopping the masters';
    await Promise.all(pairs.map((p) => stop(byService.get(p.live.master)!)));
    const stoppedMs = ms();

    step = 'starting the masters';
    say(`starting ${pairs.map((p) => `${p.live.master} (${p.backup.keys} keys)`).join(', ')}`);
    await Promise.all(
      pairs.map(async (p, i) => {
        await start(byService.get(p.live.master)!);
        await waitLoaded(p.live.master, endpointOf(p.live.master), d.auth, p.backup.keys, options);
        await dropLoadedFile(runtime, t, p.live.master, staged[i]!.target);
      }),
    );
    const mastersLoadedMs = ms();

    step = 'starting the replicas';
    if (replicas.length) say(`starting ${replicas.map((c) => c.service).join(', ')} (full sync from their masters)`);
    await Promise.all(replicas.map(start));
    step = 'waiting until healthy';
    await waitHealthy(runtime, d, { caughtUp: true, timeoutMs: options.timeoutMs, failFast: false, condition: `${t.name} to become healthy (cluster_state:ok everywhere, replicas caught up)`, clock: options.clock });
    const healthyMs = ms();

    step = 'comparing every node with the backup';
    say('comparing the key count and keyspace digest of every node with its shard');
    const result = await Promise.all(
      pairs.map(async (p) => {
        const nodes = await Promise.all(
          [p.live.master, ...p.live.replicas].map(async (node) => ({ node, ...(await digestKeyspace(endpointOf(node), d.auth, undefined, { clusterReplica: node !== p.live.master })) })),
        );
        return { p, nodes };
      }),
    );
    const off = result.flatMap(({ p, nodes }) =>
      nodes.filter((x) => x.keys !== p.backup.keys || x.digest !== nodes[0]!.digest).map((x) => `${x.node} (shard ${p.backup.shard}) has ${x.keys} keys, digest ${x.digest}; the backup ${p.backup.keys} keys, ${p.live.master} digest ${nodes[0]!.digest}`),
    );
    if (off.length) throw new FailedError(`after the restore ${off.join('; ')}`);
    return {
      keys: manifest.keys,
      shards: result.map(({ p, nodes }) => ({
        shard: p.backup.shard,
        slots: formatSlotRanges(p.backup.slots),
        master: p.live.master,
        keys: p.backup.keys,
        nodes: nodes.map((x) => ({ node: x.node, keys: x.keys, digest: x.digest })),
      })),
      timings: { checkedMs, stoppedMs, mastersLoadedMs, healthyMs, totalMs: ms() },
    };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // Never leave the cluster stopped: start what this restore stopped (masters first), then say where it failed.
    const order = [...stopped].sort((a, b) => Number(replicasOf(pairs).has(a.service)) - Number(replicasOf(pairs).has(b.service)));
    const restarted: string[] = [];
    for (const c of order) if (await holds.start(c).then(() => true, () => false)) restarted.push(c.service);
    throw new FailedError(
      `restore of ${t.name} failed while ${step}: ${(err as Error).message}${restarted.length ? `; started again: ${restarted.join(', ')}` : ''}`,
      `the data may be partly restored: check with \`redis-ha status --name ${t.name}\` and run the restore again`,
      { cause: err },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

const replicasOf = (pairs: { live: LiveShard }[]) => new Set(pairs.flatMap((p) => p.live.replicas));
