// `deploy --restore FILE`: a NEW deployment that starts from a backup.
//
// It deploys as usual (empty), then runs the same restore as `redis-ha restore --yes`. Placing
// the RDB into redis-1's volume before its first start would save a few seconds, but needs
// the target's Redis version before any container exists (AOF layout) and the image's
// redis-check-rdb before any container runs; one restore path, tested once, is worth more.
// Nothing is written or started before the file is verified and the deployment is known to be
// new; a file the image's redis-check-rdb refuses removes the fresh deployment again. On swarm
// the same: the deployment is looked for through the swarm (every node's engine). A cluster
// starts from a cluster backup directory whose shards are the new cluster's (checked against
// its creation plan before anything is written).
import { resolve } from 'node:path';
import { verifyBackupFile, type BackupManifest } from '../operations/backup-file.js';
import { restoreData, type RestoreOutcome } from '../operations/restore.js';
import { UsageError } from '../errors.js';
import type { Deployment } from '../deployment.js';
import { loadTopology } from '../model/load.js';
import type { Topology } from '../model/schema.js';
import type { ProjectSpec, Runtime } from '../runtime/runtime.js';
import { lines, type Io } from '../io.js';
import { style } from '../report/style.js';
import { toLoadOptions, type TopologyArgs } from './topology-options.js';
import { verifyClusterBackup, type ClusterBackupManifest } from '../operations/cluster-backup-file.js';
import { plannedShards, refuseMismatch, restoreCluster, type ClusterRestoreOutcome } from '../operations/cluster-restore.js';

export type PendingRestore = { file: string; manifest: BackupManifest; cluster?: undefined } | { file: string; cluster: ClusterBackupManifest };

/**
 * Before deploy writes anything: the backup verified, the deployment new (asked of the engine
 * the topology targets: `engineFor`).
 */
export async function prepareDeployRestore(
  options: TopologyArgs & { restore: string; wait?: boolean },
  engineFor: (t: Topology) => Promise<Runtime>,
  cwd: string,
): Promise<PendingRestore> {
  if (options.wait === false) throw new UsageError('--restore cannot be combined with --no-wait; nothing was changed', 'drop --no-wait: the restore needs a healthy deployment');
  const file = resolve(cwd, options.restore);
  const { topology } = await loadTopology(toLoadOptions(options, cwd));
  let pending: PendingRestore;
  if (topology.cluster.enabled) {
    const { dir, manifest } = await verifyClusterBackup(file);
    refuseMismatch(topology, dir, manifest, plannedShards(topology));
    pending = { file: dir, cluster: manifest };
  } else {
    pending = { file, manifest: await verifyBackupFile(file) };
  }
  const runtime = await engineFor(topology);
  await runtime.checkEngine();
  const [containers, volumes] = await Promise.all([runtime.containers(topology.name), runtime.volumes(topology.name)]);
  if (containers.length || volumes.length) {
    const what = [containers.length ? `${containers.length} container(s)` : '', volumes.length ? `${volumes.length} data volume(s)` : ''].filter(Boolean).join(' and ');
    throw new UsageError(
      `deployment ${topology.name} already exists (${what}); deploy --restore only starts a new deployment; nothing was changed`,
      `to replace its data: redis-ha restore ${options.restore} --name ${topology.name} --yes`,
    );
  }
  return pending;
}

/** After the new deployment is healthy: the restore; a refused file removes the new deployment. */
export async function restoreNewDeployment(
  pending: PendingRestore,
  d: Deployment,
  project: ProjectSpec,
  ctx: { runtime: Runtime; io: Io; progress: boolean; timeoutMs: number },
): Promise<RestoreOutcome | ClusterRestoreOutcome> {
  const say = (text: string) => (ctx.progress ? lines(ctx.io).err(style.dim(`  restore: ${text}`)) : undefined);
  try {
    const options = { timeoutMs: ctx.timeoutMs, onStep: say };
    return pending.cluster ? await restoreCluster(d, ctx.runtime, pending.file, pending.cluster, options) : await restoreData(d, ctx.runtime, pending.file, pending.manifest, options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const removed = await ctx.runtime.down(project, { volumes: true }).then(() => true, () => false);
    throw new UsageError(
      `${err.message.replace(/; nothing was touched$/, '')}; ${removed ? `the new deployment ${d.topology.name} was removed again` : `removing the new deployment ${d.topology.name} failed`}`,
      err.hint,
    );
  }
}
