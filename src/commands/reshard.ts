// `redis-ha reshard`: moves a range of hash slots, with their keys, to another master of a live
// cluster (operations/cluster-reshard.ts), while a cluster client made with the printed
// snippet's options writes across every slot: the write gap and failed writes it saw.
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { ClusterWorkload } from '../failover/cluster-workload.js';
import { countShardWrites, type ShardWrites } from '../failover/cluster-metrics.js';
import { SLOW_OP_MS, writeGapMs } from '../failover/metrics.js';
import type { Op } from '../failover/recording.js';
import { readDeployment } from '../files/deployment.js';
import { lines, type Io } from '../io.js';
import { keySlot, liveShardRanges, shardOfSlotIn } from '../model/cluster.js';
import { liveShardsOrPlan } from '../health/cluster.js';
import { probeHost } from '../model/nodes.js';
import { parseSlotRange, runReshard, type ReshardResult } from '../operations/cluster-reshard.js';
import { clusterClientOptions, clusterStartupNodes } from '../probes/cluster-client.js';
import { printJson, style, symbols } from '../report/style.js';
import type { CommandContext } from './context.js';
import { locateDeployment } from './locate.js';

export interface ReshardCommandOptions {
  name?: string;
  dir?: string;
  /** "FIRST-LAST" or one slot. */
  slots: string;
  /** The master that serves them afterwards, e.g. redis-2. */
  to: string;
  /** Seconds for the whole move. */
  timeout?: number;
  /** Writes per second of the measuring client (0: none). */
  rate?: number;
}

export interface ReshardReport extends ReshardResult {
  rate: number;
  /**
   * test-failover's write gap, from the start of the move: until the client's writes were
   * steady again (no failed, indeterminate or slow write within a second of the last one).
   */
  writeGapMs: number | null;
  /** The longest stretch between two acknowledged writes of the client. */
  longestAckGapMs: number | null;
  /** Writes acknowledged but slower than SLOW_OP_MS (500 ms). */
  slowWrites: number;
  writes: ShardWrites;
}

/** The longest time between two consecutive acknowledged writes (by their acknowledgement). Pure. */
export function longestAckGap(ops: readonly Op[]): number | null {
  const ends = ops.filter((o) => o.outcome === 'ok').map((o) => o.end).sort((a, b) => a - b);
  if (ends.length < 2) return null;
  let longest = 0;
  for (let i = 1; i < ends.length; i++) longest = Math.max(longest, ends[i]! - ends[i - 1]!);
  return Math.round(longest);
}

const DEFAULT_RATE = 100;

export async function reshard(options: ReshardCommandOptions, context: Pick<CommandContext, 'runtime' | 'signal' | 'io'>): Promise<ReshardReport> {
  const timeout = options.timeout ?? 600;
  if (!Number.isFinite(timeout) || timeout < 5 || timeout > 3600) throw new UsageError(`--timeout ${timeout} is out of range`, 'use 5 to 3600 seconds');
  const rate = options.rate ?? DEFAULT_RATE;
  if (!Number.isInteger(rate) || rate < 0 || rate > 2000) throw new UsageError(`--rate ${rate} is out of range`, 'use 0 (no measuring client) to 2000 writes per second');
  const slots = parseSlotRange(options.slots);
  if (!/^redis-[0-9]+$/.test(options.to)) throw new UsageError(`--to ${options.to}: expected a Redis node name like redis-2`, 'the masters are in `redis-ha status`');
  const files = await readDeployment(await locateDeployment(options, context.runtime, context.io.cwd));
  const t = files.topology;
  if (!t.cluster.enabled) throw new UsageError(`${t.name} is not a cluster (preset ${t.preset}): it has no slots to move`, 'reshard takes a deployment of the cluster preset');
  if (t.target === 'swarm') throw new UsageError(`reshard is not available on swarm yet (${t.name} is a stack); nothing was changed`, 'on compose it is');
  const d = { topology: t, auth: files.admin, host: probeHost(t) };
  // Which shard a key's slot is in, as the cluster serves now (the writes are counted in all).
  const plan = liveShardRanges(await liveShardsOrPlan(d));
  const workload = rate
    ? new ClusterWorkload(clusterStartupNodes(t), clusterClientOptions(t, files.admin), {
        rate,
        durability: 'async',
        prefix: `redis-ha:reshard:${randomBytes(3).toString('hex')}`,
        maxMs: timeout * 1000 + 10_000,
        now: () => performance.now(),
        shardOf: (key) => shardOfSlotIn(plan, keySlot(key)),
        // Gone by themselves should this process die before it removes them.
        ttlMs: 60_000,
        removeOnStop: true,
      })
    : undefined;
  await workload?.start();
  const started = performance.now();
  let result: ReshardResult;
  try {
    result = await runReshard({
      deployment: d,
      slots,
      to: options.to,
      timeoutMs: timeout * 1000,
      signal: context.signal,
      onProgress: (p) => {
        if (p.slotsDone % 256 === 0 || p.slotsDone === p.slots) lines(context.io).err(style.dim(`moved ${p.slotsDone} of ${p.slots} slot(s), ${p.keys} key(s)`));
      },
    });
    // A moment of writes after the last slot, so a gap can close.
    if (workload) await new Promise((r) => setTimeout(r, 500));
  } finally {
    await workload?.stop();
  }
  const ops = workload?.ops ?? [];
  return {
    ...result,
    rate,
    writeGapMs: workload ? writeGapMs(ops, 'cluster', started) : null,
    longestAckGapMs: workload ? longestAckGap(ops) : null,
    slowWrites: ops.filter((o) => o.outcome === 'ok' && o.end - o.start > SLOW_OP_MS).length,
    writes: countShardWrites(ops, () => true),
  };
}

export function formatReshard(r: ReshardReport): string {
  const clean = r.writes.failed + r.writes.indeterminate === 0;
  const out = [
    r.slots
      ? `${clean ? symbols.ok() : symbols.fail()} ${style.bold(r.deployment)}: ${r.slots} slot(s) and ${r.keys} key(s) moved to ${style.bold(r.to)} in ${r.movedMs} ms; every node agreed after ${r.agreedMs} ms`
      : `${symbols.ok()} ${style.bold(r.deployment)}: ${r.to} already serves every slot asked for; nothing moved`,
    ...r.moves.map((m) => `  from ${m.from}: slots ${m.slots} (${m.slotCount}), ${m.keys} key(s)`),
  ];
  if (r.rate) {
    out.push(
      `  a cluster client writing ${r.rate}/s meanwhile: ${r.writes.acked} acknowledged (${r.slowWrites} slower than ${SLOW_OP_MS} ms), ${r.writes.failed} failed, ${r.writes.indeterminate} indeterminate; ` +
        `longest wait between two acknowledged writes ${r.longestAckGapMs === null ? '-' : `${r.longestAckGapMs} ms`}, steady again ${r.writeGapMs === null ? '-' : `${r.writeGapMs} ms`} after the start`,
    );
  }
  return out.join('\n');
}

export function printReshard(r: ReshardReport, json: boolean, io: Io): void {
  if (json) printJson(io.stdout, r);
  else lines(io).out(formatReshard(r));
}
