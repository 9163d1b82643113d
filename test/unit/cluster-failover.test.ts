// test-failover and switchover on a cluster, the pure parts: keys to slots to shards, the figures
// from the observer's samples and the workload's writes (failover time, per-shard write gaps),
// the scenario selection, the gate, the switchover plan and its bad input, and the command
// in-process against a fake runtime with the scenario substituted. The real thing:
// test/integration/cluster-failover.test.ts.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { render } from '../../src/commands/render.js';
import { testFailover } from '../../src/commands/test-failover.js';
import { EXIT } from '../../src/errors.js';
import { clusterFailoverMs, clusterRecoveredMs, countShardWrites, lostFlaggedMs, shardWriteGaps } from '../../src/failover/cluster-metrics.js';
import type { ClusterSample } from '../../src/failover/cluster-observe.js';
import { judgeCluster, type ClusterScenarioResult, type runClusterScenario } from '../../src/failover/cluster-run.js';
import { CLUSTER_SCENARIO_NAMES, clusterScenario, selectClusterScenarios } from '../../src/failover/cluster-scenarios.js';
import { isRedirection } from '../../src/failover/cluster-workload.js';
import { checkLimits, parseLimits } from '../../src/failover/limits.js';
import type { Op } from '../../src/failover/recording.js';
import { clusterShards, keySlot, shardOfSlot } from '../../src/model/cluster.js';
import { planClusterSwitchover } from '../../src/operations/cluster-switchover.js';
import { scenarioProperties } from '../../src/report/junit.js';
import { formatScenarioLine, formatSummary } from '../../src/report/failover-summary.js';
import { CLUSTER_FAILOVER_COLUMNS } from '../../src/report/failover-columns.js';
import { containersFor, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

describe('cluster keys: slot and shard', () => {
  it('keySlot is Redis\'s CRC16 mod 16384, hash tags included', () => {
    // Values from CLUSTER KEYSLOT.
    assert.equal(keySlot('foo'), 12182);
    assert.equal(keySlot('bar'), 5061);
    assert.equal(keySlot('hello'), 866);
    assert.equal(keySlot('123456789'), 12739);
    assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
    assert.equal(keySlot('{user1000}.following'), keySlot('user1000'));
    // An empty tag hashes the whole key.
    assert.equal(keySlot('{}foo'), keySlot('{}foo'));
    assert.notEqual(keySlot('{}foo'), keySlot('foo'));
  });

  it('shardOfSlot follows the plan\'s ranges; the workload\'s keys land on every shard', () => {
    const plan = clusterShards(topologyOf('cluster'));
    assert.deepEqual([0, 5460, 5461, 10922, 10923, 16383].map((s) => shardOfSlot(plan, s)), [1, 1, 2, 2, 3, 3]);
    const counts = [0, 0, 0];
    for (let i = 1; i <= 3000; i++) counts[shardOfSlot(plan, keySlot(`tf:kill-master:abc123:${i}`)) - 1]!++;
    assert.ok(counts.every((c) => c > 800), `keys per shard: ${counts}`);
  });
});

const op = (shard: number, start: number, outcome: Op['outcome'] = 'ok', took = 5): Op => ({ via: 'cluster', key: `k${shard}:${start}`, value: '1', start, end: start + took, outcome, shard });

describe('cluster figures (pure)', () => {
  const sample = (t: number, node: string, over: Partial<ClusterSample> = {}): ClusterSample => ({ t, node, state: 'ok', owners: ['redis-1', 'redis-2', 'redis-3'], failed: [], ...over });

  it('failover time: from the fault until every other answering node says ok and names a replica of the shard', () => {
    const nodes = ['redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6'];
    const samples: ClusterSample[] = [
      ...nodes.map((n) => sample(900, n)),
      ...nodes.map((n) => sample(2000, n, { state: 'fail' })),
      // redis-4 promoted, but redis-6 still names redis-1.
      ...nodes.map((n) => sample(3000, n, { owners: [n === 'redis-6' ? 'redis-1' : 'redis-4', 'redis-2', 'redis-3'] })),
      ...nodes.map((n) => sample(3200, n, { owners: ['redis-4', 'redis-2', 'redis-3'] })),
    ];
    assert.equal(clusterFailoverMs(samples, { faultAt: 1000, shardIndex: 0, observers: nodes, candidates: ['redis-4'] }), 2200);
    assert.equal(clusterFailoverMs(samples.slice(0, 15), { faultAt: 1000, shardIndex: 0, observers: nodes, candidates: ['redis-4'] }), null);
  });

  it('a lost shard flagged failed; the cluster whole again after the heal', () => {
    const samples = [sample(1500, 'redis-2', { failed: ['redis-1'] }), sample(2500, 'redis-3', { failed: ['redis-1', 'redis-4'] }), sample(2600, 'redis-1', { state: undefined })];
    assert.equal(lostFlaggedMs(samples, { faultAt: 1000, lost: ['redis-1', 'redis-4'] }), 1500);
    const all = ['redis-1', 'redis-2'];
    const healed = [sample(5000, 'redis-1', { state: undefined }), sample(5100, 'redis-2'), sample(5600, 'redis-1', { failed: ['redis-2'] }), sample(6000, 'redis-1'), sample(6050, 'redis-2')];
    assert.equal(clusterRecoveredMs(healed, { from: 5000, nodes: all }), 1000);
  });

  it('write gaps: the faulted shard\'s slots apart from the others\'', () => {
    const ops = [
      ...Array.from({ length: 50 }, (_, i) => op(2, 900 + i * 50)),
      ...Array.from({ length: 50 }, (_, i) => op(1, 900 + i * 50, i >= 4 && i < 40 ? 'failed' : 'ok')),
    ];
    const gaps = shardWriteGaps(ops, [1], 1000);
    assert.equal(gaps.otherShards, 0);
    assert.equal(gaps.failedShard, 2905 - 1000);
    assert.deepEqual(shardWriteGaps(ops, [1, 2], 1000).otherShards, null);
    assert.deepEqual(countShardWrites(ops, (o) => o.shard === 1), { acked: 14, failed: 36, indeterminate: 0 });
  });

  it('redirections and CLUSTERDOWN are retried by the workload; other errors are not', () => {
    assert.equal(isRedirection(new Error('MOVED 3999 redis-4:6379')), true);
    assert.equal(isRedirection(new Error('CLUSTERDOWN Hash slot not served')), true);
    assert.equal(isRedirection(new Error('READONLY You can\'t write against a read only replica.')), false);
    assert.equal(isRedirection(new Error('Connection is closed.')), false);
  });
});

function clusterResult(over: Partial<ClusterScenarioResult> = {}): ClusterScenarioResult {
  return {
    scenario: 'kill-master',
    passed: true,
    failures: [],
    expected: 'a replica takes over',
    notes: [],
    shard: 1,
    oldMaster: 'redis-1',
    newMaster: 'redis-4',
    faulted: ['redis-1'],
    timings: { nodeTimeoutMs: 2000, failoverMs: 3100, shardFailedMs: null, recoveredMs: 2500, failedShardWriteGapMs: 3400, otherShardsWriteGapMs: 0 },
    writes: { acked: 3000, failed: 20, indeterminate: 0, resolvedApplied: 3, resolvedNotApplied: 1, lostAcked: 0 },
    otherShards: { acked: 2000, failed: 0, indeterminate: 0 },
    slotMap: { before: ['0-5460=redis-1', '5461-10922=redis-2', '10923-16383=redis-3'], after: ['0-5460=redis-4', '5461-10922=redis-2', '10923-16383=redis-3'] },
    rejoin: { oldMasterRole: 'slave' },
    keyspace: { consistent: true, nodes: [] },
    durability: 'wait',
    ...over,
  };
}

describe('cluster verdicts (judgeCluster)', () => {
  it('a failover: passes with a new master, the old one a replica, nothing lost', () => {
    const r = clusterResult();
    judgeCluster(r, 'failover', 'none-with-wait', true, 200);
    assert.deepEqual(r.failures, []);
    assert.equal(r.passed, true);
  });

  it('a failover: fails without a new master, with the old master not rejoined, with acknowledged writes lost under WAIT', () => {
    const r = clusterResult({ newMaster: 'redis-1', rejoin: { oldMasterRole: 'master' }, writes: { acked: 10, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 2 } });
    judgeCluster(r, 'failover', 'none-with-wait', true, 200);
    assert.deepEqual(r.failures, ['no new master: redis-1 still serves shard 1', 'old master redis-1 is master, not a replica of shard 1', '2 acknowledged write(s) lost with --durability wait']);
    // Without WAIT the loss is a note.
    const async = clusterResult({ durability: 'async', writes: { acked: 10, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 2 } });
    judgeCluster(async, 'failover', 'none-with-wait', true, 200);
    assert.equal(async.passed, true);
    assert.match(async.notes.join('\n'), /2 acknowledged write\(s\) lost \(durability async/);
  });

  it('a lost shard: the other shards must keep serving; a full restart must bring back the same slot ranges (a master may change within its shard)', () => {
    const lost = clusterResult({ scenario: 'lose-shard', timings: { ...clusterResult().timings, failoverMs: null, shardFailedMs: 2100 }, otherShards: { acked: 900, failed: 3, indeterminate: 1 }, slotMap: { before: ['0-5460=redis-1'], after: ['0-5460=redis-4'] } });
    judgeCluster(lost, 'shard-down', 'none', true, 200);
    assert.deepEqual(lost.failures, ["4 write(s) to the other shards' slots failed while shard 1 was down (cluster-require-full-coverage no: they must keep serving)"]);
    assert.match(lost.notes.join('\n'), /shard 1 came back with another of its nodes as master/);
    const restart = clusterResult({ scenario: 'restart-all', shard: null, slotMap: { before: ['0-5460=redis-1'], after: ['0-5460=redis-4'] } });
    judgeCluster(restart, 'restart', 'none', true, 200);
    assert.deepEqual(restart.failures, []);
    assert.match(restart.notes.join('\n'), /a shard came back with another of its nodes as master \(a failover while its master was down\): 0-5460=redis-1 before, 0-5460=redis-4 after/);
    const moved = clusterResult({ scenario: 'restart-all', shard: null, slotMap: { before: ['0-5460=redis-1', '5461-16383=redis-2'], after: ['0-6000=redis-1', '6001-16383=redis-2'] } });
    judgeCluster(moved, 'restart', 'none', true, 200);
    assert.match(moved.failures.join('\n'), /^the slot map changed: 0-5460=redis-1, 5461-16383=redis-2 before, 0-6000=redis-1, 6001-16383=redis-2 after$/);
  });
});

describe('cluster scenario selection and gate', () => {
  it('all: every scenario that fits, the others skipped with their reason', () => {
    // On compose kill-node (a swarm host) does not fit; on swarm every scenario does.
    const compose = selectClusterScenarios(topologyOf('cluster'), ['all']);
    assert.deepEqual(compose.selected, CLUSTER_SCENARIO_NAMES.filter((n) => n !== 'kill-node'));
    assert.deepEqual(compose.skipped, ['kill-node needs a swarm (--target swarm): a host is a swarm node']);
    assert.deepEqual(selectClusterScenarios(topologyOf('cluster', { target: 'swarm', bind: '0.0.0.0' }), ['all']).selected, CLUSTER_SCENARIO_NAMES);
    const noReplica = selectClusterScenarios(topologyOf('cluster', { cluster: { replicasPerShard: 0 } }), undefined);
    assert.deepEqual(noReplica.selected, ['lose-shard', 'restart-all']);
    assert.match(noReplica.skipped[0]!, /^kill-master needs at least 1 replica per shard \(it has 0\)/);
    const rdb = selectClusterScenarios(topologyOf('cluster', { redis: { persistence: 'rdb' } }), undefined);
    assert.ok(!rdb.selected.includes('restart-all'));
    assert.match(rdb.skipped.join('\n'), /restart-all needs persistence aof \(it has rdb\)/);
  });

  it('bad input: an unknown scenario, a Sentinel-only one, one that does not fit (exit 2)', () => {
    assert.throws(() => selectClusterScenarios(topologyOf('cluster'), ['kill-sentinel']), (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && /unknown scenario\(s\) for a cluster: kill-sentinel/.test(e.message));
    assert.throws(() => selectClusterScenarios(topologyOf('cluster', { cluster: { replicasPerShard: 0 } }), ['kill-replica']), /cannot run on cluster deployment .*kill-replica needs at least 1 replica per shard/);
  });

  it('the gate holds the write gap on the faulted shard\'s slots and on the others\', except where the scenario says why not', () => {
    const t = topologyOf('cluster');
    const limits = parseLimits({ maxWriteGapMs: 3000 }, 'wait', t);
    assert.equal(limits.maxLostAcked, 0);
    const checks = checkLimits(clusterResult(), limits, t, clusterScenario('kill-master').notGated);
    assert.deepEqual(checks.map((c) => [c.path ?? '', c.verdict, c.value]), [['failed-shard', 'fail', 3400], ['other-shards', 'pass', 0], ['', 'pass', 0]]);
    const lost = checkLimits(clusterResult({ scenario: 'lose-shard' }), limits, t, clusterScenario('lose-shard').notGated);
    assert.deepEqual(lost.map((c) => c.verdict), ['not-applicable', 'pass', 'pass']);
    assert.match(lost[0]!.reason!, /stay down until its nodes are started again/);
  });

  it('reports: the cluster columns, the scenario line, the JUnit properties', () => {
    const r = clusterResult();
    assert.match(formatScenarioLine(r), /kill-master.*shard 1 redis-1 -> redis-4, failover 3100 ms \(cluster-node-timeout 2000 ms\), write gap its slots 3400 ms \/ other slots 0 ms/);
    const summary = formatSummary({ deployment: 'shards', preset: 'cluster', profile: 'fast', rate: 200, durability: 'wait', passed: true, scenarios: [r] });
    assert.ok(CLUSTER_FAILOVER_COLUMNS.every((c) => summary.includes(c.short)), summary);
    const props = new Map(scenarioProperties(r));
    assert.equal(props.get('failover-ms'), '3100');
    assert.equal(props.get('write-gap-other-shards-ms'), '0');
    assert.equal(props.get('cluster-node-timeout-ms'), '2000');
  });
});

describe('cluster switchover plan (bad input is exit 2, nothing changed)', () => {
  const t = { name: 'shards', cluster: { shards: 3 } };
  const shards = [
    { slots: '0-5460', master: 'redis-1', replicas: [{ service: 'redis-4', linkUp: true, lagBytes: 0 }] },
    { slots: '5461-10922', master: 'redis-2', replicas: [{ service: 'redis-5', linkUp: false }, { service: 'redis-8', linkUp: true, lagBytes: 10 }] },
    { slots: '10923-16383', master: 'redis-3', replicas: [] },
  ];
  it('every shard in turn, a shard, a replica named', () => {
    assert.deepEqual(planClusterSwitchover(t, shards.slice(0, 2), {}).map((p) => [p.shard, p.replica]), [[1, 'redis-4'], [2, 'redis-8']]);
    assert.deepEqual(planClusterSwitchover(t, shards, { shard: 2, to: 'redis-5' }).map((p) => [p.shard, p.replica]), [[2, 'redis-5']]);
    assert.deepEqual(planClusterSwitchover(t, shards, { to: 'redis-4' }).map((p) => p.shard), [1]);
  });
  it('a shard out of range, a shard without a replica, --to not a replica of that shard', () => {
    const usage = (re: RegExp) => (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && re.test(e.message);
    assert.throws(() => planClusterSwitchover(t, shards, { shard: 4 }), usage(/--shard 4: shards has shards 1 to 3/));
    assert.throws(() => planClusterSwitchover(t, shards, { shard: 0 }), usage(/--shard 0/));
    assert.throws(() => planClusterSwitchover(t, shards, { shard: 3 }), usage(/shard 3 of shards has no replica: there is no node to hand its slots to/));
    assert.throws(() => planClusterSwitchover(t, shards, {}), usage(/shard 3 of shards has no replica/));
    assert.throws(() => planClusterSwitchover(t, shards, { shard: 1, to: 'redis-5' }), usage(/--to redis-5 replicates shard 2, not shard 1/));
    assert.throws(() => planClusterSwitchover(t, shards, { to: 'redis-2' }), usage(/--to redis-2: not a replica of any shard/));
  });
});

describe('test-failover on a cluster against a fake runtime', () => {
  const NAME = 'rt-unit-cl-tf';
  async function setup() {
    const cwd = await makeTempDir('redis-ha-cmd-cltf-');
    const file = join(cwd, 'topology.yaml');
    await writeFile(file, `preset: cluster\nname: ${NAME}\nportBase: 10980\nprofile: fast\n`);
    const r = await render({ file }, { cwd });
    const runtime = new FakeRuntime();
    runtime.containersOf.set(NAME, containersFor(r.topology));
    return { cwd, runtime, io: captureIo(cwd), abort: new AbortController() };
  }

  it('runs the cluster table, one shard after the other, and gates the figures', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    const ran: [string, number][] = [];
    const run: typeof runClusterScenario = async (name, o) => {
      ran.push([name, o.shard]);
      return clusterResult({ scenario: name, shard: o.shard });
    };
    const r = await testFailover({ name: NAME, scenario: ['kill-master', 'stop-master', 'pause-master', 'kill-replica'], durability: 'wait', maxWriteGapMs: 5000 }, { runtime: s.runtime, io: s.io, signal: s.abort.signal, runClusterScenario: run });
    assert.deepEqual(ran, [['kill-master', 1], ['stop-master', 2], ['pause-master', 3], ['kill-replica', 1]]);
    assert.equal(r.passed, true);
    assert.deepEqual(r.limits, { maxWriteGapMs: 5000, maxLostAcked: 0 });
    assert.match(s.io.err(), /kill-master.*shard 1 redis-1 -> redis-4/);
  });

  it('refuses what a cluster cannot do (exit 2, nothing run): a Sentinel scenario', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    const never: typeof runClusterScenario = async () => assert.fail('ran');
    const sentinelOnly = await rejection(testFailover({ name: NAME, scenario: ['kill-sentinel'] }, { runtime: s.runtime, io: s.io, signal: s.abort.signal, runClusterScenario: never }));
    assert.equal(sentinelOnly.exitCode, EXIT.usage);
  });

  it('--report: one self-contained page, the cluster columns, a timeline per scenario (the shard\'s writes apart from the others\', each node\'s role); the recording stays out of --json', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    const nodes = ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6'];
    const ops = Array.from({ length: 80 }, (_, i) => ({ via: 'cluster' as const, key: `k${i}`, value: 'v', start: i * 100, end: i * 100 + 5, outcome: (i >= 10 && i < 40 && i % 2 === 0 ? 'failed' : 'ok') as 'ok' | 'failed', shard: (i % 2) + 1 }));
    // redis-1 serves shard 1 until the fault at 1 s, silent until 5 s, then a replica; redis-4 takes over at 4 s.
    const samples = [0, 2000, 4500, 6000].flatMap((tt) =>
      nodes.map((node) => {
        const down = node === 'redis-1' && tt >= 1000 && tt < 5000;
        const owners = tt < 4000 ? ['redis-1', 'redis-2', 'redis-3'] : ['redis-4', 'redis-2', 'redis-3'];
        return down ? { t: tt, node } : { t: tt, node, state: 'ok', owners, failed: [] };
      }),
    );
    const run: typeof runClusterScenario = async (name, o) => ({
      ...clusterResult({ scenario: name, shard: o.shard }),
      recording: { t0: 0, end: 8000, faultAt: 1000, healAt: 5000, faultedShards: [o.shard], nodes, ops, samples },
    });
    const r = await testFailover({ name: NAME, scenario: ['kill-master', 'stop-master'], report: 'r.html' }, { runtime: s.runtime, io: s.io, signal: s.abort.signal, runClusterScenario: run });
    assert.equal(r.report, join(s.cwd, 'r.html'));
    assert.ok(r.scenarios.every((x) => !('recording' in x)), 'no recording in the JSON result');
    const html = await readFile(join(s.cwd, 'r.html'), 'utf8');
    assert.match(html, /<th>cluster-node-timeout ms<\/th>/);
    assert.equal((html.match(/<section id="(kill-master|stop-master)">/g) ?? []).length, 2);
    assert.match(html, />shard 1<\/text>/);
    assert.match(html, />other shards<\/text>/);
    assert.match(html, /<title>redis-1 down from 1000 ms<\/title>/);
    assert.match(html, /<title>redis-4 master from 3500 ms<\/title>/);
    assert.match(html, /fill="#e03131"/, 'failed writes drawn');
    assert.doesNotMatch(html, /https?:\/\/|<script|src=/, 'self-contained: no link, no script');
  });
});
