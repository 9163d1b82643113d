// A scenario result of test-failover for tests of what reads one (summary, report, gate, JUnit):
// a passed kill-master, redis-1 -> redis-2, with the given fields replaced.
import type { ScenarioResult } from '../../src/failover/run.js';

export function scenarioResult(over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    scenario: 'kill-master',
    passed: true,
    failures: [],
    expected: 'a replica is promoted',
    notes: [],
    oldMaster: 'redis-1',
    newMaster: 'redis-2',
    timings: { sdownMs: 1000, odownMs: 1100, switchMasterMs: 1500, sentinelClientWriteGapMs: 2000, haproxyWriteGapMs: null },
    writes: { acked: 900, failed: 11, indeterminate: 3, resolvedApplied: 2291, resolvedNotApplied: 7, lostAcked: 0 },
    dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 0 },
    rejoin: { oldMasterRole: 'slave', resync: 'partial' },
    keyspace: { consistent: true, nodes: [] },
    durability: 'async',
    ...over,
  };
}
