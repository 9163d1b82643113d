// The figures of a test-failover run, one column each: the terminal summary and the HTML
// report are both made from this table, so they cannot drift apart.
import type { ScenarioResult } from '../failover/run.js';
import type { ClusterScenarioResult } from '../failover/cluster-run.js';

type Scenario = Omit<ScenarioResult, 'recording'>;

/** A scenario of either table: the Sentinel presets' or a cluster's (cluster-run.ts). */
export type AnyScenario = Scenario | ClusterScenarioResult;

export const isClusterResult = (s: AnyScenario): s is ClusterScenarioResult => 'shard' in s;

export interface FailoverColumn<S = Scenario> {
  /** Terminal header (short). */
  short: string;
  /** HTML header (spelled out). */
  long: string;
  value: (s: S) => string | number | null;
}

export const FAILOVER_COLUMNS: FailoverColumn[] = [
  { short: 'scenario', long: 'scenario', value: (s) => s.scenario },
  { short: 'result', long: 'result', value: (s) => (s.passed ? 'pass' : 'FAIL') },
  { short: 'old->new', long: 'old -> new master', value: (s) => `${s.oldMaster ?? '?'}->${s.newMaster ?? '?'}` },
  { short: 'sdown', long: 'sdown ms', value: (s) => s.timings.sdownMs },
  { short: 'odown', long: 'odown ms', value: (s) => s.timings.odownMs },
  { short: 'switch', long: 'switch ms', value: (s) => s.timings.switchMasterMs },
  { short: 'gap:sent', long: 'sentinel-client gap ms', value: (s) => s.timings.sentinelClientWriteGapMs },
  { short: 'gap:hap', long: 'haproxy gap ms', value: (s) => s.timings.haproxyWriteGapMs },
  { short: 'acked', long: 'acked', value: (s) => s.writes.acked },
  { short: 'failed', long: 'failed', value: (s) => s.writes.failed },
  { short: 'indet', long: 'indet. (unresolved)', value: (s) => s.writes.indeterminate },
  { short: 'applied', long: 'indet. → applied', value: (s) => s.writes.resolvedApplied },
  { short: 'unapplied', long: 'indet. → not applied', value: (s) => s.writes.resolvedNotApplied },
  { short: 'lost', long: 'lost acked', value: (s) => s.writes.lostAcked },
  { short: 'dual ms', long: 'dual-master ms', value: (s) => s.dualMaster.windowMs },
  { short: 'hap->old', long: 'haproxy → old master', value: (s) => s.dualMaster.haproxyRoutedToOldMaster },
  { short: 'rejoin', long: 'old master rejoined as', value: (s) => s.rejoin.oldMasterRole ?? '?' },
  { short: 'resync', long: 'resync', value: (s) => s.rejoin.resync },
];

/** A cluster's figures: per shard, beside cluster-node-timeout. */
export const CLUSTER_FAILOVER_COLUMNS: FailoverColumn<ClusterScenarioResult>[] = [
  { short: 'scenario', long: 'scenario', value: (s) => s.scenario },
  { short: 'result', long: 'result', value: (s) => (s.passed ? 'pass' : 'FAIL') },
  { short: 'shard', long: 'shard', value: (s) => s.shard ?? 'all' },
  { short: 'old->new', long: 'old -> new master', value: (s) => (s.shard === null ? '-' : `${s.oldMaster ?? '?'}->${s.newMaster ?? '?'}`) },
  { short: 'timeout', long: 'cluster-node-timeout ms', value: (s) => s.timings.nodeTimeoutMs },
  { short: 'failover', long: 'failover ms', value: (s) => s.timings.failoverMs },
  { short: 'recovered', long: 'whole again ms after heal', value: (s) => s.timings.recoveredMs },
  { short: 'gap:shard', long: 'gap on its slots ms', value: (s) => s.timings.failedShardWriteGapMs },
  { short: 'gap:others', long: "gap on the others' slots ms", value: (s) => s.timings.otherShardsWriteGapMs },
  { short: 'acked', long: 'acked', value: (s) => s.writes.acked },
  { short: 'failed', long: 'failed', value: (s) => s.writes.failed },
  { short: 'indet', long: 'indet. (unresolved)', value: (s) => s.writes.indeterminate },
  { short: 'applied', long: 'indet. → applied', value: (s) => s.writes.resolvedApplied },
  { short: 'unapplied', long: 'indet. → not applied', value: (s) => s.writes.resolvedNotApplied },
  { short: 'lost', long: 'lost acked', value: (s) => s.writes.lostAcked },
  { short: 'others:bad', long: "failed/indet. on the others' slots", value: (s) => s.otherShards.failed + s.otherShards.indeterminate },
  { short: 'rejoin', long: 'old master rejoined as', value: (s) => s.rejoin.oldMasterRole ?? '-' },
];

/** The table of a run: a cluster's columns when its scenarios are a cluster's. */
export function failoverTable(scenarios: AnyScenario[]): { short: string[]; long: string[]; rows: string[][] } {
  const cluster = scenarios.some(isClusterResult);
  const columns = (cluster ? CLUSTER_FAILOVER_COLUMNS : FAILOVER_COLUMNS) as FailoverColumn<AnyScenario>[];
  return { short: columns.map((c) => c.short), long: columns.map((c) => c.long), rows: scenarios.map((s) => columns.map((c) => cellText(c.value(s)))) };
}

/** A cell as text: '-' for a figure that does not apply (null). */
export const cellText = (v: string | number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));
