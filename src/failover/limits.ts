// The failover gate (pure): limits a CI job sets on test-failover's figures, checked per
// scenario. A limit on a figure the scenario does not measure is "not applicable", never a pass.
import { UsageError } from '../errors.js';
import type { Topology } from '../model/schema.js';
import type { ScenarioResult } from './run.js';
import type { ClusterScenarioResult } from './cluster-run.js';
import type { GapGate } from './cluster-scenarios.js';
import type { Durability } from './workload.js';

export interface Limits {
  /** On each client path that goes through the failover (Sentinel client, HAProxy; on a cluster the faulted shard's slots and the others'). */
  maxWriteGapMs?: number;
  maxLostAcked?: number;
  maxFailedWrites?: number;
}

/** The figure a limit holds, as the flag names it (and the JUnit property). */
export type LimitName = 'max-write-gap-ms' | 'max-lost-acked' | 'max-failed-writes';

export interface LimitCheck {
  limit: LimitName;
  /** The client path (a cluster: whose slots), for write gaps. */
  path?: GapPath;
  max: number;
  /** The figure; null when the scenario did not measure it (verdict not-applicable) or no write recovered. */
  value: number | null;
  verdict: 'pass' | 'fail' | 'not-applicable';
  /** Why it failed or does not apply. */
  reason?: string;
}

const FLAG: Record<keyof Limits, LimitName> = { maxWriteGapMs: 'max-write-gap-ms', maxLostAcked: 'max-lost-acked', maxFailedWrites: 'max-failed-writes' };

export type GapPath = 'sentinel-client' | 'haproxy' | 'failed-shard' | 'other-shards';

/** The client paths a write gap is measured on, for this topology (a cluster: the cluster client, on the faulted shard's slots and on the others'). */
export function gapPaths(t: Topology): GapPath[] {
  if (t.cluster.enabled) return ['failed-shard', 'other-shards'];
  return [...(t.sentinel.enabled ? (['sentinel-client'] as const) : []), ...(t.haproxy.enabled ? (['haproxy'] as const) : [])];
}

type Figures = Pick<ScenarioResult, 'timings' | 'writes'> | Pick<ClusterScenarioResult, 'timings' | 'writes'>;

/** The write gap of a path in a scenario's figures (null: not measured). */
function gapOf(r: Figures, path: GapPath): number | null {
  const x = r.timings;
  if ('failedShardWriteGapMs' in x) return path === 'failed-shard' ? x.failedShardWriteGapMs : path === 'other-shards' ? x.otherShardsWriteGapMs : null;
  return path === 'haproxy' ? x.haproxyWriteGapMs : path === 'sentinel-client' ? x.sentinelClientWriteGapMs : null;
}

/**
 * The limits of a run, checked before anything is touched: whole numbers from 0; a write-gap
 * limit needs a path that goes through the failover (Sentinel or HAProxy). `--durability wait`
 * sets --max-lost-acked 0 unless given: each acknowledged write was on a replica.
 */
export function parseLimits(o: Limits, durability: Durability, t: Topology): Limits {
  const limits: Limits = {};
  for (const key of Object.keys(FLAG) as (keyof Limits)[]) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new UsageError(`--${FLAG[key]} ${String(v)} is not a whole number from 0`, `give a limit such as --${FLAG[key]} ${key === 'maxWriteGapMs' ? 5000 : 0}`);
    }
    limits[key] = v;
  }
  if (limits.maxWriteGapMs !== undefined && !gapPaths(t).length) {
    throw new UsageError(
      `--max-write-gap-ms: deployment "${t.name}" (preset ${t.preset}) has no client path that follows a failover (no Sentinels, no HAProxy), so no scenario measures a write gap`,
      'drop the limit, or gate on --max-failed-writes / --max-lost-acked',
    );
  }
  if (limits.maxLostAcked === undefined && durability === 'wait') limits.maxLostAcked = 0;
  return limits;
}

/**
 * The limits checked against one scenario's figures. `notGated`: the cluster scenario's gaps
 * that mean nothing to gate (a lost shard's slots are down until healed), with the reason.
 */
export function checkLimits(r: Figures, limits: Limits, t: Topology, notGated: GapGate = {}): LimitCheck[] {
  const out: LimitCheck[] = [];
  // what: the figure as a phrase ("write gap (haproxy) 3400 ms").
  const over = (limit: LimitName, value: number, max: number, what: string): LimitCheck =>
    value > max ? { limit, max, value, verdict: 'fail', reason: `${what} exceeds --${limit} ${max}` } : { limit, max, value, verdict: 'pass' };
  if (limits.maxWriteGapMs !== undefined) {
    const max = limits.maxWriteGapMs;
    const paths: GapPath[] = t.cluster.enabled ? ['failed-shard', 'other-shards'] : ['sentinel-client', 'haproxy'];
    for (const path of paths) {
      const value = gapOf(r, path);
      const exempt = path === 'failed-shard' ? notGated.failedShard : path === 'other-shards' ? notGated.otherShards : undefined;
      if (exempt) {
        out.push({ limit: 'max-write-gap-ms', path, max, value, verdict: 'not-applicable', reason: exempt });
      } else if (!gapPaths(t).includes(path)) {
        out.push({ limit: 'max-write-gap-ms', path, max, value: null, verdict: 'not-applicable', reason: `the deployment has no ${path === 'haproxy' ? 'HAProxy' : 'Sentinel'}` });
      } else if (value === null) {
        out.push({ limit: 'max-write-gap-ms', path, max, value, verdict: 'fail', reason: `no good write on the ${path} path after the fault: the gap never closed (--max-write-gap-ms ${max})` });
      } else {
        out.push({ ...over('max-write-gap-ms', value, max, `write gap (${path}) ${value} ms`), path });
      }
    }
  }
  if (limits.maxLostAcked !== undefined) out.push(over('max-lost-acked', r.writes.lostAcked, limits.maxLostAcked, `${r.writes.lostAcked} acknowledged write(s) lost`));
  if (limits.maxFailedWrites !== undefined) out.push(over('max-failed-writes', r.writes.failed, limits.maxFailedWrites, `${r.writes.failed} failed write(s)`));
  return out;
}

/** Failure lines for the scenario from its limit checks ("write gap (haproxy) 3400 ms exceeds ..."). */
export const limitFailures = (checks: LimitCheck[]): string[] => checks.filter((c) => c.verdict === 'fail').map((c) => c.reason!);
