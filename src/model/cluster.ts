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
