// Figures of a cluster scenario from what it recorded (pure): when the nodes agreed on a new
// master for the shard, when they flagged a lost shard failed, when the cluster was whole again,
// and the write gaps on the failed shard's slots and on the other shards' slots.
import type { ClusterSample } from './cluster-observe.js';
import { writeGapMs } from './metrics.js';
import type { Op } from './recording.js';

/** A sample older than this no longer says what the node thinks now. */
const FRESH_MS = 1000;

/**
 * ms from `from` to the first moment the latest answer of every node in `nodes` that answered
 * lately meets `ok` (at least half of them answering), or null.
 */
function firstAgreement(samples: readonly ClusterSample[], nodes: readonly string[], from: number, ok: (s: ClusterSample) => boolean): number | null {
  const latest = new Map<string, ClusterSample>();
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  for (const s of sorted) {
    if (!nodes.includes(s.node)) continue;
    latest.set(s.node, s);
    if (s.t < from) continue;
    const answering = [...latest.values()].filter((x) => x.state !== undefined && s.t - x.t <= FRESH_MS && x.t >= from);
    if (answering.length * 2 >= nodes.length && answering.length > 0 && answering.every(ok)) return Math.round(s.t - from);
  }
  return null;
}

/**
 * Failover time: from the fault until every other node that answers says cluster_state:ok and
 * names another node of the shard (`candidates`) as the master of its slots.
 */
export function clusterFailoverMs(
  samples: readonly ClusterSample[],
  o: { faultAt: number; shardIndex: number; observers: readonly string[]; candidates: readonly string[] },
): number | null {
  return firstAgreement(samples, o.observers, o.faultAt, (s) => s.state === 'ok' && o.candidates.includes(s.owners?.[o.shardIndex] ?? ''));
}

/** From `from` (the heal) until every node answers cluster_state:ok, every shard served, none flagged failed. */
export function clusterRecoveredMs(samples: readonly ClusterSample[], o: { from: number; nodes: readonly string[] }): number | null {
  const whole = (s: ClusterSample) => s.state === 'ok' && (s.owners ?? []).every((x) => x !== undefined) && !(s.failed ?? []).length;
  const latest = new Map<string, ClusterSample>();
  for (const s of [...samples].filter((x) => x.t >= o.from && o.nodes.includes(x.node)).sort((a, b) => a.t - b.t)) {
    latest.set(s.node, s);
    const ready = [...latest.values()].filter((x) => whole(x) && s.t - x.t <= FRESH_MS);
    if (ready.length === o.nodes.length) return Math.round(s.t - o.from);
  }
  return null;
}

/** From the fault until a surviving node flags every lost node `fail`, or null. */
export function lostFlaggedMs(samples: readonly ClusterSample[], o: { faultAt: number; lost: readonly string[] }): number | null {
  const hit = [...samples]
    .filter((s) => s.t >= o.faultAt && !o.lost.includes(s.node) && o.lost.every((n) => s.failed?.includes(n)))
    .sort((a, b) => a.t - b.t)[0];
  return hit ? Math.round(hit.t - o.faultAt) : null;
}

export interface ShardWrites {
  acked: number;
  failed: number;
  indeterminate: number;
}

/** Outcomes of the writes `pick` selects. */
export function countShardWrites(ops: readonly Op[], pick: (o: Op) => boolean): ShardWrites {
  const c: ShardWrites = { acked: 0, failed: 0, indeterminate: 0 };
  for (const o of ops) if (pick(o)) c[o.outcome === 'ok' ? 'acked' : o.outcome]++;
  return c;
}

/**
 * The write gap (metrics.ts writeGapMs) on the keys of the faulted shard(s) and on the others'.
 * `faulted` empty: no shard (null for it); every shard: null for the others.
 */
export function shardWriteGaps(ops: Op[], faulted: readonly number[], faultAt: number): { failedShard: number | null; otherShards: number | null } {
  const inFaulted = (o: Op) => o.shard !== undefined && faulted.includes(o.shard);
  const mine = ops.filter(inFaulted);
  const others = ops.filter((o) => !inFaulted(o));
  return {
    failedShard: mine.length ? writeGapMs(mine, 'cluster', faultAt) : null,
    otherShards: others.length ? writeGapMs(others, 'cluster', faultAt) : null,
  };
}
