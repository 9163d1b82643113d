// `redis-ha restore FILE`: replace a deployment's data with a backup. Without --yes it only
// says what it would replace (exit 2). The file is verified before anything is touched. A
// cluster restores from a cluster backup directory (operations/cluster-restore.ts).
import { lines, type Io } from '../io.js';
import { resolve } from 'node:path';
import { verifyBackupFile, type BackupManifest } from '../operations/backup-file.js';
import { planRestore, restoreData, type RestoreOutcome, type RestorePlan } from '../operations/restore.js';
import { EXIT, RedisHaError } from '../errors.js';
import { readDeployment } from '../files/deployment.js';
import type { Clock } from '../wait.js';
import { probeHost } from '../model/nodes.js';
import { printJson, style, symbols } from '../report/style.js';
import { verifyClusterBackup, type ClusterBackupManifest } from '../operations/cluster-backup-file.js';
import { restoreCluster, type ClusterRestoreOutcome } from '../operations/cluster-restore.js';
import { availableSwarm, type CommandContext } from './context.js';
import { locateDeployment } from './locate.js';

export interface RestoreCommandOptions {
  file: string;
  name?: string;
  dir?: string;
  yes?: boolean;
  /** Seconds for each wait (load, sync, health). */
  timeout?: number;
  /** Print each step on stderr (off for --json). */
  progress?: boolean;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
}

export interface RestoreResult extends RestoreOutcome {
  deployment: string;
  file: string;
  backup: Pick<BackupManifest, 'createdAt' | 'deployment' | 'keys' | 'redisVersion'>;
}

export interface ClusterRestoreResult extends ClusterRestoreOutcome {
  deployment: string;
  /** The backup directory. */
  dir: string;
  backup: Pick<ClusterBackupManifest, 'createdAt' | 'deployment' | 'keys' | 'redisVersion'>;
}

/** Exit 2 without --yes: what would be replaced, as a sentence. */
export function describeLoss(plan: RestorePlan): string {
  const nodes = plan.nodes.map((n) => `${n.service} (${n.role ?? 'unreachable'}, ${n.keys === undefined ? 'key count unknown' : `${n.keys} keys`})`);
  const sentinels = plan.sentinels.length ? `; ${plan.sentinels.length} Sentinel(s) are stopped and started again` : '';
  return `restore would replace ALL data of deployment ${plan.deployment}: ${nodes.join(', ')}${sentinels}`;
}

export async function restore(options: RestoreCommandOptions, ctx: CommandContext & { clock?: Clock }): Promise<RestoreResult | ClusterRestoreResult> {
  const { signal, io } = ctx;
  const file = resolve(io.cwd, options.file);
  const files = await readDeployment(await locateDeployment(options, ctx.runtime, io.cwd));
  const t = files.topology;
  // The file first: a damaged backup is refused before the deployment is even looked at.
  const backup = t.cluster.enabled ? { cluster: await verifyClusterBackup(file) } : { single: await verifyBackupFile(file) };
  const manifest = backup.cluster?.manifest ?? backup.single!;
  // On swarm: every node ready and active (else exit 1 naming it), each service at its node's address.
  let runtime = ctx.runtime;
  let hostOf: ((service: string) => string) | undefined;
  if (t.target === 'swarm') ({ runtime, hostOf } = await availableSwarm(ctx, files.dir, t, options.nodeHost, 'restore'));
  else await runtime.checkEngine();
  const d = { topology: t, auth: files.admin, stats: files.stats, host: probeHost(t), hostOf };
  if (!options.yes) {
    throw new RedisHaError(
      `${describeLoss(await planRestore(d))}, with the ${manifest.keys} keys of ${file} (taken ${manifest.createdAt} from ${manifest.deployment}); nothing was changed`,
      EXIT.usage,
      `add --yes to go ahead: redis-ha restore ${options.file} --name ${t.name} --yes`,
    );
  }
  // From here on the restore runs to its end: a Ctrl-C halfway would leave nodes stopped.
  signal.throwIfAborted();
  const say = (text: string) => (options.progress === false ? undefined : lines(io).err(style.dim(`  ${text}`)));
  const restoreOptions = { timeoutMs: (options.timeout ?? 120) * 1000, clock: ctx.clock, onStep: say };
  const summary = { createdAt: manifest.createdAt, deployment: manifest.deployment, keys: manifest.keys, redisVersion: manifest.redisVersion };
  if (backup.cluster) {
    const { dir, manifest: m } = backup.cluster;
    return { deployment: t.name, dir, backup: summary, ...(await restoreCluster(d, runtime, dir, m, restoreOptions)) };
  }
  return { deployment: t.name, file, backup: summary, ...(await restoreData(d, runtime, file, backup.single!, restoreOptions)) };
}

export function printRestore(result: RestoreResult | ClusterRestoreResult, json: boolean, io: Io): void {
  const { out } = lines(io);
  if (json) return printJson(io.stdout, { ok: true, ...result });
  if ('dir' in result) {
    out(`${symbols.ok()} restored ${style.bold(result.deployment)} from ${result.dir} in ${(result.timings.totalMs / 1000).toFixed(1)} s: ${result.keys} keys in ${result.shards.length} shards, cluster_state:ok on every node`);
    for (const s of result.shards) {
      out(`  shard ${s.shard} ${s.slots.padEnd(12)} ${String(s.keys).padStart(8)} keys  ${s.nodes.map((n) => `${n.node} ${n.digest}`).join(', ')}`);
    }
    out(style.dim(`  backup taken ${result.backup.createdAt} from ${result.backup.deployment} (Redis ${result.backup.redisVersion})`));
    return;
  }
  out(`${symbols.ok()} restored ${style.bold(result.deployment)} from ${result.file} in ${(result.timings.totalMs / 1000).toFixed(1)} s: ${result.keys} keys, master ${result.master}`);
  for (const n of result.nodes) out(`  ${n.node.padEnd(10)} ${String(n.keys).padEnd(10)} keys  digest ${n.digest}`);
  out(style.dim(`  backup taken ${result.backup.createdAt} from ${result.backup.deployment} (Redis ${result.backup.redisVersion})`));
}
