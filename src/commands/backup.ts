// `redis-ha backup`: a consistent RDB of a deployment, taken on a replica, with a manifest.
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
import { liveEngine, refuseOnCluster, type CommandContext } from './context.js';
import { locateDeployment } from './locate.js';
import type { Deployment } from '../deployment.js';

export interface BackupOptions {
  name?: string;
  dir?: string;
  /** The RDB to write; default ./<deployment>-<UTC timestamp>.rdb */
  out?: string;
  /** Seconds to wait for the BGSAVE. */
  timeout?: number;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
}

/** 2024-05-01T12:00:00.123Z -> 20240501T120000Z */
export const fileTimestamp = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export async function backup(options: BackupOptions, ctx: CommandContext & { clock?: Clock; now?: () => Date }): Promise<TakenBackup> {
  const { runtime, signal, io } = ctx;
  const files = await readDeployment(await locateDeployment(options, runtime, io.cwd));
  refuseOnCluster(files.topology, 'backup');
  const t = files.topology;
  const file = resolve(io.cwd, options.out ?? `${t.name}-${fileTimestamp((ctx.now ?? (() => new Date()))())}.rdb`);
  for (const path of [file, manifestPath(file)]) {
    if (existsSync(path)) throw new UsageError(`${path} already exists; nothing was written`, 'choose another --out, or move the old backup away');
  }
  if (!existsSync(resolve(file, '..'))) throw new UsageError(`the directory of ${file} does not exist; nothing was written`, 'create it, or choose another --out');
  // On swarm the source node may run on any node: its engine (through the Swarm runtime) copies
  // the file out, and its node's address reaches its published port.
  const { runtime: engine, hostOf } = await liveEngine(ctx, files.dir, t, options);
  const d: Deployment = { topology: t, auth: files.admin, stats: files.stats, host: probeHost(t), hostOf };
  signal.throwIfAborted();
  const containers = await engine.containers(t.name);
  return takeBackup(d, engine, containers, {
    file,
    timeoutMs: (options.timeout ?? 600) * 1000,
    signal,
    clock: ctx.clock,
  });
}

export function printBackup(result: TakenBackup, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, { ok: true, file: result.file, manifest: manifestPath(result.file), note: result.note, timings: result.timings, ...result.manifest });
  if (result.note) err(style.dim(`note: ${result.note}`));
  const m = result.manifest;
  out(`${symbols.ok()} backup of ${style.bold(m.deployment)}: ${result.file} (${m.keys} keys, ${m.rdb.bytes < 10_240 ? `${m.rdb.bytes} bytes` : `${(m.rdb.bytes / 1024).toFixed(0)} KiB`}) in ${(result.timings.totalMs / 1000).toFixed(1)} s`);
  out(`  taken on ${m.source.node} (${m.source.role}, offset ${m.source.replOffset}); master ${m.master.node} at offset ${m.master.replOffset}`);
  out(`  checked with redis-check-rdb of the deployment's image; sha256 ${m.rdb.sha256.slice(0, 16)}...`);
  out(style.dim(`  manifest ${manifestPath(result.file)}. Restore: redis-ha restore ${result.file} --name ${m.deployment} --yes`));
}
