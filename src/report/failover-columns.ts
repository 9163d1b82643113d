// The figures of a test-failover run, one column each: the terminal summary and the HTML
// report are both made from this table, so they cannot drift apart.
import type { ScenarioResult } from '../failover/run.js';

type Scenario = Omit<ScenarioResult, 'recording'>;

export interface FailoverColumn {
  /** Terminal header (short). */
  short: string;
  /** HTML header (spelled out). */
  long: string;
  value: (s: Scenario) => string | number | null;
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

/** A cell as text: '-' for a figure that does not apply (null). */
export const cellText = (v: string | number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));
