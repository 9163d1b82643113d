// `redis-ha switchover`: a planned master change (see src/operations/switchover.ts), on compose
// and on swarm. A plain function: the CLI hands it the options, one AbortSignal and where to
// print progress.
import { UsageError } from '../errors.js';
import { readDeployment } from '../files/deployment.js';
import { lines, type Io } from '../io.js';
import { probeHost } from '../model/nodes.js';
import { runSwitchover, type SwitchoverResult } from '../operations/switchover.js';
import { printJson, style, symbols } from '../report/style.js';
import { availableSwarm, refuseOnCluster, type CommandContext } from './context.js';
import { locateDeployment } from './locate.js';

export interface SwitchoverOptions {
  name?: string;
  dir?: string;
  /** The replica to promote, e.g. redis-2. */
  to?: string;
  /** Seconds for the whole operation. */
  timeout?: number;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
}

export async function switchover(options: SwitchoverOptions, context: Pick<CommandContext, 'runtime' | 'runtimeFor' | 'signal' | 'io'>): Promise<SwitchoverResult> {
  const timeout = options.timeout ?? 60;
  if (!Number.isFinite(timeout) || timeout < 5 || timeout > 600) throw new UsageError(`--timeout ${timeout} is out of range`, 'use 5 to 600 seconds');
  if (options.to !== undefined && !/^redis-[0-9]+$/.test(options.to)) {
    throw new UsageError(`--to ${options.to}: expected a Redis node name like redis-2`, 'the node names are in `redis-ha status`');
  }
  const files = await readDeployment(await locateDeployment(options, context.runtime, context.io.cwd));
  refuseOnCluster(files.topology, 'switchover');
  const t = files.topology;
  // On swarm each node answers at the address of the swarm node that runs its task.
  const hostOf = t.target === 'swarm' ? (await availableSwarm(context, files.dir, t, options.nodeHost, 'switchover')).hostOf : undefined;
  return runSwitchover({
    deployment: { topology: t, auth: files.admin, host: probeHost(t), hostOf },
    to: options.to,
    timeoutMs: timeout * 1000,
    signal: context.signal,
    // Progress on stderr, so --json keeps stdout clean.
    onStep: (step, detail) => lines(context.io).err(style.dim(`${step.padEnd(9)} ${detail}`)),
  });
}

const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);

export function formatSwitchover(r: SwitchoverResult): string {
  const t = r.timings;
  const lines = [
    `${symbols.ok()} ${style.bold(r.deployment)}: master ${r.oldMaster} -> ${style.bold(r.newMaster)} (SENTINEL FAILOVER on ${r.sentinel})`,
    `  writes paused ${ms(t.pausedMs)}: catch-up ${ms(t.catchUpMs)}, Sentinel switch ${ms(t.sentinelSwitchMs)}, HAProxy agreed ${ms(t.haproxyAgreeMs)} later; total ${ms(t.totalMs)}${t.steerMs ? ` (steering ${ms(t.steerMs)} before the pause)` : ''}`,
    `  ${r.oldMaster} rejoined as a replica: ${r.resync.kind === 'partial' ? style.ok('partial resync') : style.warn(`${r.resync.kind} resync`)} (${r.resync.partial} partial, ${r.resync.full} full on ${r.newMaster})`,
  ];
  if (r.steered.length) lines.push(`  replica-priority restored on ${r.steered.map((s) => `${s.node} (${s.priority})`).join(', ')}`);
  for (const n of r.notes) lines.push(`  ${style.warn(n)}`);
  return lines.join('\n');
}

export function printSwitchover(r: SwitchoverResult, json: boolean, io: Io): void {
  if (json) printJson(io.stdout, r);
  else lines(io).out(formatSwitchover(r));
}
