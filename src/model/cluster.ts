// Redis Cluster's layout (the cluster preset): which node starts as the master of which shard,
// its replicas, and the slots each shard serves. Pure: shared by synth, the cluster creation
// and the health checks, so all three agree on one plan.
import type { Topology } from './schema.js';

/** Every key maps to one of these slots (CRC16(key) mod 16384). */
export const CLUSTER_SLOTS = 16384;
/** A node's cluster bus port is its client port plus this (Redis's fixed offset; the bus is not published on the host). */
export const CLUSTER_BUS_OFFSET = 10000;

export interface ShardPlan {
  /** 1-based. */
  shard: number;
  /** The node that starts as the shard's master (after a failover one of its replicas is). */
  master: string;
  replicas: string[];
  /** First and last slot, inclusive. */
  slots: [number, number];
}

/**
 * The shards of a cluster topology: `redis-1..redis-<shards>` start as masters, the next nodes
 * are their replicas round-robin (redis-<shards+1> of shard 1, ...), so a shard's nodes are
 * never one node. Slots are split as `redis-cli --cluster create` splits them (3 shards: 0-5460,
 * 5461-10922, 10923-16383).
 */
export function clusterShards(t: Pick<Topology, 'cluster'>): ShardPlan[] {
  const { shards, replicasPerShard } = t.cluster;
  const perShard = CLUSTER_SLOTS / shards;
  let first = 0;
  return Array.from({ length: shards }, (_, s) => {
    const last = s === shards - 1 ? CLUSTER_SLOTS - 1 : Math.round(perShard * (s + 1) - 1);
    const plan: ShardPlan = {
      shard: s + 1,
      master: `redis-${s + 1}`,
      replicas: Array.from({ length: replicasPerShard }, (_, r) => `redis-${shards + r * shards + s + 1}`),
      slots: [first, last],
    };
    first = last + 1;
    return plan;
  });
}

/** How many Redis nodes a cluster topology runs. */
export const clusterNodeCount = (t: Pick<Topology, 'cluster'>) => t.cluster.shards * (1 + t.cluster.replicasPerShard);

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The slot of a key, as Redis computes it: only the `{hash tag}` when the key has a non-empty one. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(new TextEncoder().encode(hashed)) % CLUSTER_SLOTS;
}

/** A shard as it serves now: after a reshard its ranges are no longer the creation plan's. */
export interface ShardRanges {
  shard: number;
  ranges: [number, number][];
}

/** The live shards (in slot order, as status lists them) with their ranges, numbered from 1. Pure. */
export const liveShardRanges = (shards: readonly { slots: string }[]): ShardRanges[] => shards.map((s, i) => ({ shard: i + 1, ranges: parseSlotRanges(s.slots) ?? [] }));

/** The shard (1-based) that serves `slot` now. */
export function shardOfSlotIn(shards: readonly ShardRanges[], slot: number): number {
  const s = shards.find((x) => x.ranges.some(([a, b]) => a <= slot && slot <= b));
  if (!s) throw new Error(`slot ${slot} is in no shard's ranges`);
  return s.shard;
}

/** The shard (1-based) whose slot range holds `slot`. */
export function shardOfSlot(shards: readonly Pick<ShardPlan, 'shard' | 'slots'>[], slot: number): number {
  const s = shards.find((x) => x.slots[0] <= slot && slot <= x.slots[1]);
  if (!s) throw new Error(`slot ${slot} is in no shard's range`);
  return s.shard;
}

/** Slot ranges as CLUSTER NODES and status print them: [[0, 10], [20, 20]] -> "0-10 20". */
export const formatSlotRanges = (ranges: readonly (readonly [number, number])[]) => ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(' ');

/** "0-10 20" -> [[0, 10], [20, 20]]; undefined for anything else. */
export function parseSlotRanges(text: string): [number, number][] | undefined {
  const ranges = text
    .trim()
    .split(/\s+/)
    .map((part) => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      return m ? ([Number(m[1]), Number(m[2] ?? m[1])] as [number, number]) : undefined;
    });
  return ranges.every((r) => r !== undefined && r[0] <= r[1] && r[1] < CLUSTER_SLOTS) ? (ranges as [number, number][]) : undefined;
}
