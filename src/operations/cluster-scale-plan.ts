// Adding or removing shards of a live Redis Cluster (pure, no I/O): from the shards as the
// cluster serves them, the nodes that run and the nodes the topology wants, which shards are
// drained (their slots moved to the shards that stay), which nodes become the masters of new
// shards, which nodes are given a master (CLUSTER REPLICATE), which are removed, and the slot
// moves that leave every master with its share (16384 / shards, split as the creation splits
// them). Node names stay as they are: a grown cluster's new nodes are the next names
// (redis-7, redis-8 for 3 x 1 -> 4 x 1), and a shrunk one keeps redis-1..N, so the shards that
// stay are the ones that keep the most nodes, and a node that stays but lost its shard becomes
// a replica of a shard that lacks one.
import { UsageError } from '../errors.js';
import type { ShardStatus } from '../health/cluster.js';
import { CLUSTER_SLOTS, parseSlotRanges } from '../model/cluster.js';

export interface ScaleShard {
  master: string;
  replicas: string[];
  slots: [number, number][];
}

/** The shards as status reports them (health/cluster.ts checkCluster), as the plan takes them. */
export const scaleShards = (shards: readonly ShardStatus[]): ScaleShard[] =>
  shards.map((s) => ({ master: s.master, replicas: s.replicas.map((r) => r.service), slots: parseSlotRanges(s.slots) ?? [] }));

export interface ScaleInput {
  /** The shards as the cluster serves them (masters with slots, their replicas). */
  shards: ScaleShard[];
  /** Every Redis node that runs now (empty masters and nodes not yet in the cluster too). */
  running: string[];
  /** The Redis nodes of the topology. */
  wanted: string[];
  /** The topology's shards and replicas per shard. */
  target: { shards: number; replicasPerShard: number };
}

export interface SlotMove {
  from: string;
  to: string;
  slots: [number, number][];
}

export interface ScalePlan {
  /** Nodes to start (not running yet). */
  start: string[];
  /** Masters of new shards (they serve nothing yet). */
  newMasters: string[];
  /** Masters whose shards go: every slot of theirs moves to the masters that stay. */
  drain: string[];
  /** CLUSTER REPLICATE: a node of a new shard, or one that stays but lost its shard. */
  replicate: { node: string; master: string }[];
  /** Nodes the deployment no longer has: stopped, their data removed, forgotten by the others. */
  remove: string[];
  /** Slot moves, giver by giver, that leave every master that stays with its share. */
  moves: SlotMove[];
}

const index = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1));
const byIndex = (a: string, b: string) => index(a) - index(b);
const count = (ranges: [number, number][]) => ranges.reduce((a, [x, y]) => a + y - x + 1, 0);

/** Each of `n` masters' share of the slots, in order, as the creation splits them (model/cluster.ts). */
export function slotShares(n: number): number[] {
  const per = CLUSTER_SLOTS / n;
  const bounds = Array.from({ length: n + 1 }, (_, i) => (i === n ? CLUSTER_SLOTS : Math.round(per * i)));
  return bounds.slice(1).map((b, i) => b - bounds[i]!);
}

/**
 * The moves that leave `keep[i]` with `shares[i]` slots: every master over its share (and every
 * drained master, whose share is 0) gives its highest slots to the masters under theirs, in order.
 */
export function rebalanceMoves(holders: { master: string; slots: [number, number][] }[], keep: string[], shares: number[]): SlotMove[] {
  const slotsOf = new Map(holders.map((h) => [h.master, h.slots.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)).sort((x, y) => x - y)]));
  const shareOf = new Map(keep.map((m, i) => [m, shares[i]!]));
  const need = keep.map((m) => ({ master: m, missing: shareOf.get(m)! - (slotsOf.get(m)?.length ?? 0) })).filter((x) => x.missing > 0);
  const givers = [...slotsOf.keys()].map((m) => ({ master: m, excess: (slotsOf.get(m)?.length ?? 0) - (shareOf.get(m) ?? 0) })).filter((x) => x.excess > 0);
  const moves: SlotMove[] = [];
  for (const g of givers) {
    const own = slotsOf.get(g.master)!;
    let give = own.slice(own.length - g.excess);
    for (const r of need) {
      if (!give.length) break;
      if (r.missing <= 0) continue;
      const part = give.slice(0, r.missing);
      give = give.slice(part.length);
      r.missing -= part.length;
      moves.push({ from: g.master, to: r.master, slots: toRanges(part) });
    }
  }
  return moves;
}

/** Sorted slots into inclusive ranges. */
export function toRanges(slots: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of slots) {
    const last = out.at(-1);
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

/** The plan, or a UsageError when the live cluster cannot become the topology's by moving slots. */
export function planShardChange(input: ScaleInput): ScalePlan {
  const { shards, target } = input;
  const wanted = new Set(input.wanted);
  const running = new Set(input.running);
  const remove = input.running.filter((n) => !wanted.has(n)).sort(byIndex);
  const start = input.wanted.filter((n) => !running.has(n)).sort(byIndex);
  const removed = new Set(remove);
  // The shards that go: first any whose master the topology no longer has, then the ones with
  // the most nodes going, then the highest-numbered master.
  const score = (s: ScaleShard) => (removed.has(s.master) ? 1000 : 0) + [s.master, ...s.replicas].filter((n) => removed.has(n)).length;
  const ranked = [...shards].sort((a, b) => score(b) - score(a) || byIndex(b.master, a.master));
  const drained = ranked.slice(0, Math.max(0, shards.length - target.shards));
  const kept = shards.filter((s) => !drained.includes(s));
  const goingMaster = kept.find((s) => removed.has(s.master));
  if (goingMaster) {
    throw new UsageError(
      `${goingMaster.master} is the master of a shard that stays (slots ${formatRanges(goingMaster.slots)}) and is not a node of the new topology; nothing was changed`,
      `move that shard's master to one of its replicas first (\`redis-ha switchover --shard ...\`), then deploy again`,
    );
  }
  // Nodes that need a role: every wanted node that is neither a kept master nor one of the first
  // replicasPerShard replicas of a kept shard.
  const placed = new Set<string>();
  const deficits: { master: string; missing: number }[] = [];
  for (const s of kept) {
    placed.add(s.master);
    const stay = s.replicas.filter((r) => wanted.has(r)).sort(byIndex).slice(0, target.replicasPerShard);
    for (const r of stay) placed.add(r);
    deficits.push({ master: s.master, missing: target.replicasPerShard - stay.length });
  }
  const pool = input.wanted.filter((n) => !placed.has(n)).sort(byIndex);
  const newCount = target.shards - kept.length;
  const needed = newCount * (1 + target.replicasPerShard) + deficits.reduce((a, d) => a + d.missing, 0);
  if (pool.length !== needed) {
    throw new UsageError(
      `the live cluster (${shards.length} shards, nodes ${input.running.slice().sort(byIndex).join(', ')}) cannot become ${target.shards} shards x ${target.replicasPerShard} replica(s) of ${input.wanted.length} nodes by moving slots: ${pool.length} node(s) would need a role, ${needed} are wanted; nothing was changed`,
      'keep replicasPerShard as the cluster was deployed with; change the shards only',
    );
  }
  const newMasters = pool.slice(0, newCount);
  const rest = pool.slice(newCount);
  const replicate: ScalePlan['replicate'] = [];
  // Shards that stay first (each keeps its replicas count), then the new shards round-robin.
  for (const d of deficits) for (let i = 0; i < d.missing; i++) replicate.push({ node: rest.shift()!, master: d.master });
  for (let r = 0; r < target.replicasPerShard; r++) for (const m of newMasters) replicate.push({ node: rest.shift()!, master: m });
  const keep = [...kept.map((s) => s.master), ...newMasters];
  const moves = rebalanceMoves(shards, keep, slotShares(target.shards));
  return { start, newMasters, drain: drained.map((s) => s.master), replicate, remove, moves };
}

const formatRanges = (r: [number, number][]) => r.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(' ');

/** Slots a move carries. */
export const moveSlotCount = (m: SlotMove) => count(m.slots);
