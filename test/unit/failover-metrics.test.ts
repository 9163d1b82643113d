// The figures test-failover reports, from hand-made recordings: timings from the fault,
// write gaps, lost acknowledged writes, the dual-master window, HAProxy misroutes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { announcedMaster, countWrites, dualMaster, firstMasterEvent, median, timings, writeGapMs } from '../../src/failover/metrics.js';
import type { Op, Outcome, Recording, SentinelViewSample, Via } from '../../src/failover/recording.js';
import { classifyError } from '../../src/failover/workload.js';
import { resyncKind } from '../../src/failover/verify.js';
import { judge, shortestSeenFaultMs, type ScenarioResult } from '../../src/failover/run.js';
import { SCENARIOS } from '../../src/failover/scenarios.js';
import { REPO_ROOT } from '../helpers/repo.js';

/** One write every 10 ms from `from` to `to`; outcome decided by `outcomeAt(start)`. */
function ops(via: Via, from: number, to: number, outcomeAt: (t: number) => Outcome, latency = 2, node = 'redis-1'): Op[] {
  const out: Op[] = [];
  for (let t = from; t < to; t += 10) {
    const outcome = outcomeAt(t);
    out.push({ via, key: `${via}:${t}`, value: String(t), start: t, end: t + (outcome === 'ok' ? latency : 1000), outcome, node });
  }
  return out;
}

function views(from: number, to: number, masterAt: (t: number) => string | undefined): SentinelViewSample[] {
  const out: SentinelViewSample[] = [];
  for (let t = from; t < to; t += 100) for (const s of ['sentinel-1', 'sentinel-2', 'sentinel-3']) out.push({ t, sentinel: s, master: masterAt(t) });
  return out;
}

const base = (over: Partial<Recording>): Recording => ({
  t0: 0,
  faultAt: 1000,
  end: 10_000,
  nodes: ['redis-1', 'redis-2', 'redis-3'],
  ops: [],
  roles: [],
  sentinelViews: [],
  events: [],
  haproxyRoutes: [],
  ...over,
});

describe('failover metrics: write gap', () => {
  it('is from the fault to the end of the first write after which writes keep succeeding', () => {
    // Fails from 1100 to 3000 (outage), ok from 3000 on.
    const list = ops('sentinel', 0, 6000, (t) => (t >= 1100 && t < 3000 ? 'indeterminate' : 'ok'));
    assert.equal(writeGapMs(list, 'sentinel', 1000), 3000 + 2 - 1000);
  });

  it('ignores a short burst of successes inside the outage', () => {
    const list = ops('sentinel', 0, 6000, (t) => ((t >= 1100 && t < 2000) || (t >= 2100 && t < 3000) ? 'failed' : 'ok'));
    assert.equal(writeGapMs(list, 'sentinel', 1000), 2002);
  });

  it('counts slow successes as disruption, is 0 without any, null without writes or recovery', () => {
    const slow = ops('haproxy', 0, 5000, () => 'ok').map((o) => (o.start >= 1000 && o.start < 1500 ? { ...o, end: o.start + 800 } : o));
    assert.equal(writeGapMs(slow, 'haproxy', 1000), 502);
    assert.equal(writeGapMs(ops('haproxy', 0, 5000, () => 'ok'), 'haproxy', 1000), 0);
    assert.equal(writeGapMs([], 'haproxy', 1000), null);
    assert.equal(writeGapMs(ops('haproxy', 0, 5000, (t) => (t > 1000 ? 'failed' : 'ok')), 'haproxy', 1000), null);
  });

  it('only counts the path asked for', () => {
    const list = [...ops('sentinel', 0, 5000, () => 'ok'), ...ops('haproxy', 0, 5000, (t) => (t >= 1000 && t < 2000 ? 'failed' : 'ok'))];
    assert.equal(writeGapMs(list, 'sentinel', 1000), 0);
    assert.equal(writeGapMs(list, 'haproxy', 1000), 1002);
  });
});

describe('failover metrics: Sentinel timings', () => {
  const events = [
    { t: 900, sentinel: 'sentinel-1', type: '+sdown', detail: 'master mymaster redis-1 6379' },
    { t: 2100, sentinel: 'sentinel-1', type: '+sdown', detail: 'slave redis-2:6379 redis-2 6379 @ mymaster redis-1 6379' },
    { t: 2200, sentinel: 'sentinel-2', type: '+sdown', detail: 'master mymaster redis-1 6379' },
    { t: 2300, sentinel: 'sentinel-2', type: '+odown', detail: 'master mymaster redis-1 6379 #quorum 2/2' },
    { t: 3400, sentinel: 'sentinel-3', type: '+switch-master', detail: 'mymaster redis-1 6379 redis-3 6379' },
  ];
  it('takes the first event about the master after the fault, from any Sentinel', () => {
    assert.equal(firstMasterEvent(events, '+sdown', 1000, 'mymaster'), 1200);
    assert.equal(firstMasterEvent(events, '+odown', 1000, 'mymaster'), 1300);
    assert.equal(firstMasterEvent(events, '+switch-master', 1000, 'mymaster'), 2400);
    assert.equal(firstMasterEvent(events, '+tilt', 1000, 'mymaster'), null);
  });
  it('has no HAProxy gap without HAProxy', () => {
    const t = timings(base({ events, ops: ops('sentinel', 0, 5000, () => 'ok') }), 'mymaster', false);
    assert.equal(t.haproxyWriteGapMs, null);
    assert.equal(t.sentinelClientWriteGapMs, 0);
    assert.equal(t.switchMasterMs, 2400);
  });
});

describe('failover metrics: writes', () => {
  it('counts outcomes, and lostAcked only among acknowledged writes', () => {
    const list: Op[] = [
      { via: 'sentinel', key: 'a', value: 'a', start: 0, end: 1, outcome: 'ok' },
      { via: 'sentinel', key: 'b', value: 'b', start: 0, end: 1, outcome: 'ok' },
      { via: 'sentinel', key: 'c', value: 'c', start: 0, end: 1, outcome: 'failed' },
      { via: 'haproxy', key: 'd', value: 'd', start: 0, end: 1, outcome: 'indeterminate' },
    ];
    assert.deepEqual(countWrites(list, new Set(['b', 'c', 'd'])), { acked: 2, failed: 1, indeterminate: 1, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 1 });
  });

  it('resolves indeterminate writes read back from the final master: held with the value written, absent, or left indeterminate', () => {
    const w = (key: string, outcome: Outcome, value = `v-${key}`): Op => ({ via: 'sentinel', key, value, start: 0, end: 1, outcome });
    const list: Op[] = [
      w('ok1', 'ok'),
      w('ok2', 'ok'),
      w('f1', 'failed'),
      w('applied1', 'indeterminate'),
      w('applied2', 'indeterminate'),
      w('gone1', 'indeterminate'),
      w('gone2', 'indeterminate'),
      w('gone3', 'indeterminate'),
      w('other', 'indeterminate'),
      w('unread', 'indeterminate'),
    ];
    const readBack = new Map<string, string | null>([
      ['applied1', 'v-applied1'],
      ['applied2', 'v-applied2'],
      ['gone1', null],
      ['gone2', null],
      ['gone3', null],
      // Another value than the one written: not this write's doing, cannot be resolved.
      ['other', 'v-something-else'],
      // A read-back value for an acknowledged or failed key changes nothing.
      ['ok1', null],
      ['f1', 'v-f1'],
    ]);
    assert.deepEqual(countWrites(list, new Set(['ok2']), readBack), {
      acked: 2,
      failed: 1,
      indeterminate: 2,
      resolvedApplied: 2,
      resolvedNotApplied: 3,
      lostAcked: 1,
    });
    // Nothing read back (not healthy, nodes differ): every indeterminate write stays so.
    assert.deepEqual(countWrites(list, new Set(), undefined), {
      acked: 2,
      failed: 1,
      indeterminate: 7,
      resolvedApplied: 0,
      resolvedNotApplied: 0,
      lostAcked: 0,
    });
    // Every write is counted exactly once.
    const c = countWrites(list, new Set(), readBack);
    assert.equal(c.acked + c.failed + c.indeterminate + c.resolvedApplied + c.resolvedNotApplied, list.length);
  });

  it('classifies errors: refusals failed, timeouts and lost connections indeterminate', () => {
    const reply = Object.assign(new Error("READONLY You can't write against a read only replica."), { name: 'ReplyError' });
    assert.equal(classifyError(reply), 'failed');
    assert.equal(classifyError(new Error("Stream isn't writeable and enableOfflineQueue options is false")), 'failed');
    assert.equal(classifyError(new Error('Command timed out')), 'indeterminate');
    assert.equal(classifyError(new Error('Connection is closed.')), 'indeterminate');
    // A refusal after a reconnect: ioredis resent the write, whose first send may have landed.
    assert.equal(classifyError(reply, true), 'indeterminate');
  });

  it('medians ignore nulls', () => {
    assert.equal(median([3000, null, 1000, 2000]), 2000);
    assert.equal(median([1, 2, 3, 4]), 3);
    assert.equal(median([null]), null);
  });

  it('resync: full beats partial; a restarted node counts from zero', () => {
    const c = (full: number, partial: number, uptime: number) => ({ full, partial, uptime });
    assert.equal(resyncKind(new Map([['r1', c(1, 0, 100)]]), new Map([['r1', c(1, 1, 110)]])), 'partial');
    assert.equal(resyncKind(new Map([['r1', c(1, 0, 100)]]), new Map([['r1', c(1, 0, 5)]])), 'full');
    assert.equal(resyncKind(new Map([['r1', c(1, 2, 100)]]), new Map([['r1', c(1, 2, 110)]])), 'none');
  });
});

describe('failover metrics: dual master and HAProxy routing', () => {
  const roleSamples = (node: string, from: number, to: number, roleAt: (t: number) => 'master' | 'slave' | 'down') => {
    const out = [];
    for (let t = from; t < to; t += 100) out.push({ t, node, role: roleAt(t) });
    return out;
  };

  it('counts the time an old master that woke up still says master while the Sentinels name another', () => {
    // redis-1 paused 1000-4000 (down), says master 4000-4600, then slave. redis-3 promoted at 3000.
    const roles = [
      ...roleSamples('redis-1', 0, 8000, (t) => (t < 1000 ? 'master' : t < 4000 ? 'down' : t < 4600 ? 'master' : 'slave')),
      ...roleSamples('redis-3', 0, 8000, (t) => (t < 3000 ? 'slave' : 'master')),
      ...roleSamples('redis-2', 0, 8000, () => 'slave'),
    ];
    const rec = base({ end: 8000, roles, sentinelViews: views(0, 8000, (t) => (t < 3000 ? 'redis-1' : 'redis-3')) });
    const d = dualMaster(rec, 'redis-1');
    assert.ok(d.windowMs >= 500 && d.windowMs <= 700, `windowMs ${d.windowMs}`);
  });

  it('does not count a promotion the Sentinels publish a moment later while the old master is dead', () => {
    const roles = [
      ...roleSamples('redis-1', 0, 8000, (t) => (t < 1000 ? 'master' : 'down')),
      ...roleSamples('redis-3', 0, 8000, (t) => (t < 2500 ? 'slave' : 'master')),
    ];
    const rec = base({ end: 8000, roles, sentinelViews: views(0, 8000, (t) => (t < 3000 ? 'redis-1' : 'redis-3')) });
    assert.equal(dualMaster(rec, 'redis-1').windowMs, 0);
  });

  it('counts new HAProxy connections and acked HAProxy writes that reached a node no Sentinel named', () => {
    const sentinelViews = views(0, 8000, (t) => (t < 3000 ? 'redis-1' : 'redis-3'));
    const haproxyRoutes = [
      { t: 500, node: 'redis-1' },
      { t: 3050, node: 'redis-3' },
      { t: 2950, node: 'redis-3' }, // within the poll tolerance of the switch: not counted
      { t: 6000, node: 'redis-1' }, // the old master came back and got a connection: counted
      { t: 6100, error: 'Connection is closed.' },
    ];
    const acked: Op[] = [
      { via: 'haproxy', key: 'x', value: 'x', start: 6500, end: 6501, outcome: 'ok', node: 'redis-1' },
      { via: 'sentinel', key: 'y', value: 'y', start: 6500, end: 6501, outcome: 'ok', node: 'redis-1' },
      { via: 'haproxy', key: 'z', value: 'z', start: 6500, end: 6501, outcome: 'ok', node: 'redis-3' },
    ];
    const d = dualMaster(base({ end: 8000, sentinelViews, haproxyRoutes, ops: acked }), 'redis-1');
    assert.equal(d.haproxyRoutedToOldMaster, 2);
    assert.equal(d.writesAckedByOldMaster, 2);
  });

  it('a write to the node a +switch-master announced is not misrouted, though no poll of the Sentinels named it yet', () => {
    // The polls of the Sentinels stalled 2800-3600 (a loaded machine): the last one before the
    // switch (2850) names redis-1; the announcement at 3000 names redis-3; HAProxy follows it.
    const sentinelViews = views(0, 8000, (t) => (t < 3000 ? 'redis-1' : 'redis-3')).filter((v) => v.t < 2800 || v.t >= 3600);
    const ops: Op[] = [{ via: 'haproxy', key: 'x', value: 'x', start: 3050, end: 3100, outcome: 'ok', node: 'redis-3' }];
    const switched = [{ t: 3000, sentinel: 'sentinel-1', type: '+switch-master', detail: 'mymaster redis-1 6379 redis-3 6379' }];
    // Without the announcement only the stale poll speaks: counted.
    assert.equal(dualMaster(base({ end: 8000, sentinelViews: [...sentinelViews, { t: 2850, sentinel: 'sentinel-1', master: 'redis-1' }], ops }), 'redis-1').haproxyRoutedToOldMaster, 1);
    assert.equal(dualMaster(base({ end: 8000, sentinelViews: [...sentinelViews, { t: 2850, sentinel: 'sentinel-1', master: 'redis-1' }], ops, events: switched }), 'redis-1').haproxyRoutedToOldMaster, 0);
    // A write to the old master after the announcement still counts.
    const old: Op[] = [{ via: 'haproxy', key: 'y', value: 'y', start: 3250, end: 3300, outcome: 'ok', node: 'redis-1' }];
    const late = [...sentinelViews, { t: 3250, sentinel: 'sentinel-2', master: 'redis-3' }];
    assert.equal(dualMaster(base({ end: 8000, sentinelViews: late, ops: old, events: switched }), 'redis-1').haproxyRoutedToOldMaster, 1);
    assert.equal(announcedMaster(switched, 2600), undefined, 'not before the announcement (beyond the tolerance)');
  });

  it('a route to the replica promoted before its +switch-master came is the failover, not a misroute; the old master is never excused', () => {
    // The master died at 1000; redis-3 was promoted and HAProxy's role check found it at 2000,
    // the leader published +switch-master at 3200; the polls named redis-1 until then.
    const sentinelViews = views(0, 8000, (t) => (t < 3200 ? 'redis-1' : 'redis-3'));
    const switched = [{ t: 3200, sentinel: 'sentinel-2', type: '+switch-master', detail: 'mymaster redis-1 6379 redis-3 6379' }];
    const early = [{ t: 2000, node: 'redis-3' }];
    assert.equal(dualMaster(base({ end: 8000, sentinelViews, haproxyRoutes: early, events: switched }), 'redis-1').haproxyRoutedToOldMaster, 0);
    assert.equal(dualMaster(base({ end: 8000, sentinelViews, haproxyRoutes: early }), 'redis-1').haproxyRoutedToOldMaster, 1, 'no announcement: counted');
    assert.equal(dualMaster(base({ end: 8000, sentinelViews, haproxyRoutes: [{ t: 100, node: 'redis-3' }], events: switched }), 'redis-1').haproxyRoutedToOldMaster, 1, 'too long before it: counted');
    // A route to the old master after the switch counts though a later announcement names it.
    const back = [{ t: 4000, sentinel: 'sentinel-2', type: '+switch-master', detail: 'mymaster redis-3 6379 redis-1 6379' }];
    assert.equal(dualMaster(base({ end: 8000, sentinelViews, haproxyRoutes: [{ t: 3500, node: 'redis-1' }], events: [...switched, ...back] }), 'redis-1').haproxyRoutedToOldMaster, 1);
  });
});

describe('failover pass conditions', () => {
  const result = (over: Partial<ScenarioResult>): ScenarioResult => ({
    scenario: 'kill-master',
    passed: false,
    failures: [],
    expected: '',
    notes: [],
    oldMaster: 'redis-1',
    newMaster: 'redis-2',
    timings: { sdownMs: 1000, odownMs: 1100, switchMasterMs: 2000, sentinelClientWriteGapMs: 2100, haproxyWriteGapMs: 2500 },
    writes: { acked: 100, failed: 0, indeterminate: 3, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 0 },
    dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 0 },
    rejoin: { oldMasterRole: 'slave', resync: 'full' },
    keyspace: { consistent: true, nodes: [] },
    durability: 'async',
    ...over,
  });

  it('passes a clean failover, fails a misroute, a lost write with WAIT, an old master still master', () => {
    const ok = result({});
    judge(ok, 1, 10, 200, 'failover', true);
    assert.equal(ok.passed, true, ok.failures.join('; '));
    const misroute = result({ dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 1 } });
    judge(misroute, 1, 10, 200, 'failover', true);
    assert.match(misroute.failures.join(), /HAProxy routed 1/);
    const lost = result({ durability: 'wait', writes: { acked: 100, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 2 } });
    judge(lost, 1, 10, 200, 'failover', true);
    assert.match(lost.failures.join(), /2 acknowledged write\(s\) lost with --durability wait/);
    const stayed = result({ newMaster: 'redis-1', rejoin: { oldMasterRole: 'master', resync: 'none' } });
    judge(stayed, 1, 10, 200, 'failover', true);
    assert.equal(stayed.passed, false);
  });

  it('sentinel-majority-loss passes when nothing failed over, and says it was expected', () => {
    const r = result({ scenario: 'sentinel-majority-loss', newMaster: 'redis-1', rejoin: { oldMasterRole: 'master', resync: 'full' }, timings: { sdownMs: 1000, odownMs: null, switchMasterMs: null, sentinelClientWriteGapMs: 5000, haproxyWriteGapMs: 5000 } });
    judge(r, 1, 10, 200, 'no-failover', true);
    assert.equal(r.passed, true, r.failures.join('; '));
    assert.ok(r.notes.some((n) => /expected/.test(n)));
  });

  it("holds each scenario to the acknowledged-write bar of its entry in the table, and no other", () => {
    const lost = (lostAcked: number) => ({ acked: 10_000, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked });
    for (const s of SCENARIOS) {
      const bar: string | undefined = 'ackedWriteLoss' in s ? s.ackedWriteLoss : undefined;
      // 2 writes lost with --durability wait: a failure only where the table says none may be.
      const waited = result({ scenario: s.name, durability: 'wait', writes: lost(2) });
      judge(waited, 0, 10, 200, 'failover', true);
      assert.equal(waited.failures.some((f) => /lost with --durability wait/.test(f)), bar === 'none-with-wait', `${s.name}, --durability wait`);
      // 5000 lost at 200 writes/s with min-replicas-max-lag 10 (bound ~4000): a failure only where
      // the table bounds the loss by min-replicas-max-lag, and only with min-replicas-to-write set.
      for (const minReplicasToWrite of [0, 1]) {
        const cut = result({ scenario: s.name, writes: lost(5000) });
        judge(cut, minReplicasToWrite, 10, 200, 'failover', true);
        const failed = cut.failures.some((f) => /more than min-replicas-max-lag 10s allows \(~4000\)/.test(f));
        assert.equal(failed, bar === 'min-replicas-max-lag' && minReplicasToWrite > 0, `${s.name}, min-replicas-to-write ${minReplicasToWrite}`);
      }
    }
    const bars = SCENARIOS.flatMap((s) => ('ackedWriteLoss' in s ? [`${s.name}: ${s.ackedWriteLoss}`] : []));
    assert.deepEqual(bars, [
      'kill-master: none-with-wait',
      'stop-master: none-with-wait',
      'partition-master: min-replicas-max-lag',
      'kill-node: none-with-wait',
      'partition-node: min-replicas-max-lag',
    ]);
  });
});

describe('expected alerts of a short fault', () => {
  it('a state alert counts as missed only when the fault outlasted one scrape and its rule\'s `for` (as alerts.yml.hbs writes it)', () => {
    const rules = readFileSync(join(REPO_ROOT, 'templates', 'prometheus', 'alerts.yml.hbs'), 'utf8');
    const forSteps = (alert: string) => {
      const block = rules.slice(rules.indexOf(`- alert: ${alert}\n`)).split('- alert: ')[1]!;
      const m = /for: \{\{for(One|Two)\}\}/.exec(block);
      return m ? (m[1] === 'One' ? 1 : 2) : 0;
    };
    for (const alert of ['RedisNodeDown', 'RedisMultipleMasters', 'RedisSentinelQuorumLost', 'RedisSentinelDown', 'RedisScrapeDown']) {
      assert.ok(rules.includes(`- alert: ${alert}\n`), alert);
      assert.equal(shortestSeenFaultMs(alert, 15_000), (1 + forSteps(alert)) * 15_000, alert);
    }
    // A lasting change is seen whenever the fault ends.
    assert.equal(shortestSeenFaultMs('RedisMasterChanged', 15_000), 0);
    // The fast profile's kill-master (~4 s fault, 2 s scrapes) stays strict for RedisNodeDown.
    assert.ok(shortestSeenFaultMs('RedisNodeDown', 2000) <= 4000);
  });
});
