// `redis-ha switchover`: a planned master change (see src/operations/switchover.ts), on compose
// and on swarm. A plain function: the CLI hands it the options, one AbortSignal and where to
// print progress.
import { UsageError } from '../errors.js';
import { readDeployment } from '../files/deployment.js';
import { lines, type Io } from '../io.js';
import { probeHost } from '../model/nodes.js';
import { runSwitchover, type SwitchoverResult } from '../operations/switchover.js';
import { printJson, style, symbols } from '../report/style.js';
import { availableSwarm, type CommandContext } from './context.js';
import { planClusterSwitchover, runClusterSwitchover, type ShardSwitchover } from '../operations/cluster-switchover.js';
import { ClusterWorkload } from '../failover/cluster-workload.js';
import { countShardWrites, type ShardWrites } from '../failover/cluster-metrics.js';
import { writeGapMs } from '../failover/metrics.js';
import { keySlot, liveShardRanges, shardOfSlotIn } from '../model/cluster.js';
import { liveShardsOrPlan } from '../health/cluster.js';
import { clusterClientOptions, clusterStartupNodes } from '../probes/cluster-client.js';
import { randomBytes } from 'node:crypto';
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
  /** Cluster: the shard (1-based) whose master moves; default every shard in turn. */
  shard?: number;
}

/** A cluster's switchover, with what a cluster client writing meanwhile saw. */
export interface ClusterSwitchoverReport {
  deployment: string;
  cluster: true;
  /** Writes per second of the measuring client (keys under redis-ha:switchover:, expiring, removed after). */
  rate: number;
  shards: (Omit<ShardSwitchover, 'sentAt'> & { writeGapMs: number | null; writes: ShardWrites })[];
  writes: ShardWrites;
  notes: string[];
}

/** Writes per second of the client that measures a cluster switchover. */
const PROBE_RATE = 100;

export async function switchover(options: SwitchoverOptions, context: Pick<CommandContext, 'runtime' | 'runtimeFor' | 'signal' | 'io'>): Promise<SwitchoverResult | ClusterSwitchoverReport> {
  const timeout = options.timeout ?? 60;
  if (!Number.isFinite(timeout) || timeout < 5 || timeout > 600) throw new UsageError(`--timeout ${timeout} is out of range`, 'use 5 to 600 seconds');
  if (options.to !== undefined && !/^redis-[0-9]+$/.test(options.to)) {
    throw new UsageError(`--to ${options.to}: expected a Redis node name like redis-2`, 'the node names are in `redis-ha status`');
  }
  const files = await readDeployment(await locateDeployment(options, context.runtime, context.io.cwd));
  const t = files.topology;
  if (t.cluster.enabled) return clusterSwitchover(options, files, timeout, context);
  if (options.shard !== undefined) throw new UsageError(`--shard: ${t.name} is not a cluster (preset ${t.preset}), it has one master`, 'drop --shard; --to names the replica to promote');
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

/**
 * CLUSTER FAILOVER on a replica of each shard asked for, while a cluster client (the printed
 * snippet's options) writes across every slot: the write gap and failed writes it saw per shard.
 */
async function clusterSwitchover(
  options: SwitchoverOptions,
  files: Awaited<ReturnType<typeof readDeployment>>,
  timeout: number,
  context: Pick<CommandContext, 'signal' | 'io'>,
): Promise<ClusterSwitchoverReport> {
  const t = files.topology;
  const d = { topology: t, auth: files.admin, host: probeHost(t) };
  const shards = await liveShardsOrPlan(d);
  const plan = liveShardRanges(shards);
  // Bad input is refused before the measuring client writes anything (the live shards are checked again by the operation).
  planClusterSwitchover(t, shards, { shard: options.shard });
  const workload = new ClusterWorkload(clusterStartupNodes(t), clusterClientOptions(t, files.admin), {
    rate: PROBE_RATE,
    durability: 'async',
    prefix: `redis-ha:switchover:${randomBytes(3).toString('hex')}`,
    maxMs: timeout * 1000 + 10_000,
    now: () => performance.now(),
    shardOf: (key) => shardOfSlotIn(plan, keySlot(key)),
    // Gone by themselves should this process die before it removes them.
    ttlMs: 60_000,
    removeOnStop: true,
  });
  await workload.start();
  let result;
  try {
    result = await runClusterSwitchover({
      deployment: d,
      shard: options.shard,
      to: options.to,
      timeoutMs: timeout * 1000,
      signal: context.signal,
      onStep: (step, detail) => lines(context.io).err(style.dim(`${step.padEnd(9)} ${detail}`)),
    });
    // A moment of writes after the last switch, so its gap can close.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await workload.stop();
  }
  const ops = workload.ops;
  return {
    deployment: t.name,
    cluster: true,
    rate: PROBE_RATE,
    shards: result.shards.map(({ sentAt, ...s }) => {
      const mine = ops.filter((op) => op.shard === s.shard);
      return { ...s, writeGapMs: writeGapMs(mine, 'cluster', sentAt), writes: countShardWrites(mine, (op) => op.start >= sentAt) };
    }),
    writes: countShardWrites(ops, () => true),
    notes: result.notes,
  };
}

export function formatClusterSwitchover(r: ClusterSwitchoverReport): string {
  const out = r.shards.map(
    (s) =>
      `${s.writes.failed + s.writes.indeterminate ? symbols.fail() : symbols.ok()} ${style.bold(r.deployment)} shard ${s.shard} (${s.slots}): master ${s.oldMaster} -> ${style.bold(s.newMaster)} (CLUSTER FAILOVER on ${s.newMaster})\n` +
      `  promoted ${s.promotedMs} ms, every node agreed ${s.agreedMs} ms, ${s.oldMaster} rejoined as its replica ${s.rejoinedMs} ms; a cluster client writing ${r.rate}/s saw a gap of ${ms(s.writeGapMs)} on these slots, ${s.writes.failed} failed and ${s.writes.indeterminate} indeterminate write(s)`,
  );
  out.push(`  writes in all: ${r.writes.acked} acknowledged, ${r.writes.failed} failed, ${r.writes.indeterminate} indeterminate`);
  for (const n of r.notes) out.push(`  ${style.warn(n)}`);
  return out.join('\n');
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

export function printSwitchover(r: SwitchoverResult | ClusterSwitchoverReport, json: boolean, io: Io): void {
  if (json) printJson(io.stdout, r);
  else lines(io).out('cluster' in r ? formatClusterSwitchover(r) : formatSwitchover(r));
}
