// `redis-ha backup`: a consistent RDB of a deployment, taken on a replica, with a manifest; of
// a cluster, a directory with one RDB per shard and a manifest (operations/cluster-backup.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { lines, type Io } from '../io.js';
import { takeBackup, type TakenBackup } from '../operations/backup.js';
import { manifestPath } from '../operations/backup-file.js';
import { UsageError } from '../errors.js';
import { readDeployment } from '../files/deployment.js';
import type { Clock } from '../wait.js';
import { probeHost } from '../model/nodes.js';
import { printJson, style, symbols } from '../report/style.js';
import { takeClusterBackup, type TakenClusterBackup } from '../operations/cluster-backup.js';
import { liveEngine, type CommandContext } from './context.js';
import { locateDeployment } from './locate.js';
import type { Deployment } from '../deployment.js';
import { formatSlotRanges } from '../model/cluster.js';

export interface BackupOptions {
  name?: string;
  dir?: string;
  /** The RDB to write; default ./<deployment>-<UTC timestamp>.rdb (a cluster: the directory, without .rdb) */
  out?: string;
  /** Seconds to wait for the BGSAVE. */
  timeout?: number;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
}

/** 2024-05-01T12:00:00.123Z -> 20240501T120000Z */
export const fileTimestamp = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export async function backup(options: BackupOptions, ctx: CommandContext & { clock?: Clock; now?: () => Date }): Promise<TakenBackup | TakenClusterBackup> {
  const { runtime, signal, io } = ctx;
  const files = await readDeployment(await locateDeployment(options, runtime, io.cwd));
  const t = files.topology;
  const cluster = t.cluster.enabled;
  const file = resolve(io.cwd, options.out ?? `${t.name}-${fileTimestamp((ctx.now ?? (() => new Date()))())}${cluster ? '' : '.rdb'}`);
  for (const path of cluster ? [file] : [file, manifestPath(file)]) {
    if (existsSync(path)) throw new UsageError(`${path} already exists; nothing was written`, 'choose another --out, or move the old backup away');
  }
  if (!existsSync(resolve(file, '..'))) throw new UsageError(`the directory of ${file} does not exist; nothing was written`, 'create it, or choose another --out');
  // On swarm the source node may run on any node: its engine (through the Swarm runtime) copies
  // the file out, and its node's address reaches its published port.
  const { runtime: engine, hostOf } = await liveEngine(ctx, files.dir, t, options);
  const d: Deployment = { topology: t, auth: files.admin, stats: files.stats, host: probeHost(t), hostOf };
  signal.throwIfAborted();
  const containers = await engine.containers(t.name);
  const timeoutMs = (options.timeout ?? 600) * 1000;
  if (cluster) return takeClusterBackup(d, engine, containers, { dir: file, timeoutMs, signal, clock: ctx.clock });
  return takeBackup(d, engine, containers, {
    file,
    timeoutMs,
    signal,
    clock: ctx.clock,
  });
}

const size = (bytes: number) => (bytes < 10_240 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(0)} KiB`);

export function printBackup(result: TakenBackup | TakenClusterBackup, json: boolean, io: Io): void {
  if ('dir' in result) return printClusterBackup(result, json, io);
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, { ok: true, file: result.file, manifest: manifestPath(result.file), note: result.note, timings: result.timings, ...result.manifest });
  if (result.note) err(style.dim(`note: ${result.note}`));
  const m = result.manifest;
  out(`${symbols.ok()} backup of ${style.bold(m.deployment)}: ${result.file} (${m.keys} keys, ${size(m.rdb.bytes)}) in ${(result.timings.totalMs / 1000).toFixed(1)} s`);
  out(`  taken on ${m.source.node} (${m.source.role}, offset ${m.source.replOffset}); master ${m.master.node} at offset ${m.master.replOffset}`);
  out(`  checked with redis-check-rdb of the deployment's image; sha256 ${m.rdb.sha256.slice(0, 16)}...`);
  out(style.dim(`  manifest ${manifestPath(result.file)}. Restore: redis-ha restore ${result.file} --name ${m.deployment} --yes`));
}

function printClusterBackup(result: TakenClusterBackup, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, { ok: true, dir: result.dir, manifest: result.manifestFile, notes: result.notes, timings: result.timings, ...result.manifest });
  for (const note of result.notes) err(style.dim(`note: ${note}`));
  const m = result.manifest;
  out(`${symbols.ok()} backup of ${style.bold(m.deployment)}: ${result.dir} (${m.shards.length} shards, ${m.keys} keys) in ${(result.timings.totalMs / 1000).toFixed(1)} s`);
  for (const s of m.shards) {
    out(`  shard ${s.shard} ${formatSlotRanges(s.slots).padEnd(12)} ${s.rdb.file}  ${String(s.keys).padStart(8)} keys  ${size(s.rdb.bytes).padEnd(10)} taken on ${s.source.node} (${s.source.role}); master ${s.master.node}`);
  }
  out(`  each checked with redis-check-rdb of the deployment's image; sha256 of each in the manifest`);
  out(style.dim(`  manifest ${result.manifestFile}. Restore: redis-ha restore ${result.dir} --name ${m.deployment} --yes`));
}
