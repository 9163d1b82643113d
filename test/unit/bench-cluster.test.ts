// The bench's cluster part without an engine: the floor's compose file and create command, the
// figures taken from test-failover's --json (and a run that gave none), and the rows against
// issue 19's targets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { formatBeside, formatSummary } from '../../bench/beside.js';
import { clusterCreateArgv, clusterFloorFiles, clusterFloorPorts } from '../../bench/cluster-floor.js';
import { clusterRows, killMasterFigures, type ClusterKillMasterRun } from '../../bench/cluster.js';
import { reshardFigures } from '../../bench/cluster-reshard.js';

describe('cluster floor compose file', () => {
  const files = clusterFloorFiles(9100, 'redis:test');
  const compose = parse(files['compose.yaml']!) as { services: Record<string, Record<string, unknown>> };

  it('six cluster-enabled nodes of the one image, each port on 127.0.0.1 only, in order', () => {
    assert.deepEqual(Object.keys(files), ['compose.yaml']);
    assert.deepEqual(Object.keys(compose.services), ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6']);
    for (const [i, [name, s]] of Object.entries(compose.services).entries()) {
      assert.equal(s.image, 'redis:test', name);
      assert.deepEqual(s.command, ['redis-server', '--port', '6379', '--protected-mode', 'no', '--cluster-enabled', 'yes'], name);
      assert.deepEqual(s.ports, [`127.0.0.1:${9101 + i}:6379`], name);
    }
    assert.deepEqual(clusterFloorPorts(9100), [9101, 9102, 9103, 9104, 9105, 9106]);
  });

  it('the least a tutorial writes: no healthchecks, no start order, no users, no persistence, no volumes', () => {
    for (const s of Object.values(compose.services)) assert.deepEqual(Object.keys(s).sort(), ['command', 'image', 'ports']);
    assert.doesNotMatch(files['compose.yaml']!, /healthcheck|depends_on|appendonly|save|requirepass|aclfile|volumes/);
  });

  it('redis-cli --cluster create on the container addresses, one replica per master, no prompt', () => {
    assert.deepEqual(clusterCreateArgv(['172.20.0.2', '172.20.0.3']), ['redis-cli', '--cluster', 'create', '172.20.0.2:6379', '172.20.0.3:6379', '--cluster-replicas', '1', '--cluster-yes']);
  });
});

const scenario = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    scenarios: [
      {
        scenario: 'kill-master',
        passed: true,
        failures: [],
        timings: { nodeTimeoutMs: 2000, failoverMs: 2600, shardFailedMs: null, recoveredMs: 900, failedShardWriteGapMs: 2800, otherShardsWriteGapMs: 0 },
        writes: { acked: 900, failed: 10, indeterminate: 1, resolvedApplied: 1, resolvedNotApplied: 0, lostAcked: 0 },
        otherShards: { acked: 600, failed: 0, indeterminate: 0 },
        keyspace: { consistent: true, nodes: [{ node: 'redis-1' }] },
        ...over,
      },
    ],
  });

describe('cluster kill-master figures from test-failover --json', () => {
  it('the timings, the acknowledged writes lost and the other shards\' failed writes', () => {
    assert.deepEqual(killMasterFigures(scenario(), 0), {
      failoverMs: 2600,
      nodeTimeoutMs: 2000,
      failedShardWriteGapMs: 2800,
      otherShardsWriteGapMs: 0,
      lostAcked: 0,
      otherShardsNotAcked: 0,
      passed: true,
    });
  });

  it('a failed run keeps its reasons; keys never read back give no lost count (not 0)', () => {
    const r = killMasterFigures(scenario({ passed: false, failures: ['not healthy after healing: timeout'], keyspace: { consistent: false, nodes: [] } }), 1);
    assert.equal(r.passed, false);
    assert.deepEqual(r.failures, ['not healthy after healing: timeout']);
    assert.equal(r.lostAcked, null);
  });

  it('no result: the exit code and the error, every figure null', () => {
    const r = killMasterFigures('{"error":"no deployment named x"}', 2);
    assert.equal(r.passed, false);
    assert.match(r.failures![0]!, /exited 2 without a result: no deployment named x/);
    assert.equal(r.failedShardWriteGapMs, null);
    assert.match(killMasterFigures('', -1, 'Killed').failures![0]!, /exited -1 without a result: Killed/);
  });
});

describe('cluster rows', () => {
  const floor = (totalMs: number) => ({ answeredMs: 1000, createdMs: totalMs - 500, totalMs });
  const run = (gap: number | null, others: number | null, lost: number | null): ClusterKillMasterRun => ({
    failoverMs: 2500,
    nodeTimeoutMs: 2000,
    failedShardWriteGapMs: gap,
    otherShardsWriteGapMs: others,
    lostAcked: lost,
    otherShardsNotAcked: 0,
    passed: true,
  });

  it('time to healthy beside the floor; the failed shard\'s gap against node-timeout + 1 s', () => {
    const rows = clusterRows({
      deploy: [{ wallMs: 8000 } as never, { wallMs: 9000 } as never],
      floor: [floor(4000), floor(4500)],
      killMaster: [run(2900, 0, null), run(3200, 0, null), run(2950, 0, null)],
      killMasterWait: [run(6000, 0, 0), run(6100, 0, 0), run(5900, 0, 0)],
    });
    const [healthy, failover, gap, others, lost, waitGap] = rows;
    assert.equal(healthy!.ratio!.median, 8500 / 4250);
    assert.equal(healthy!.target, undefined);
    assert.equal(failover!.floor!.median, 2000);
    assert.equal(gap!.floor!.median, 3000);
    assert.equal(gap!.difference, -50);
    assert.equal(gap!.met, true);
    assert.equal(others!.met, true);
    assert.equal(lost!.met, true);
    assert.equal(lost!.figure!.n, 3, 'from the WAIT runs');
    assert.equal(waitGap!.figure!.median, 6000, "the WAIT runs' gap (to the heal), shown");
    assert.equal(waitGap!.target, undefined, 'not judged');
    assert.match(formatBeside(lost!), /acked writes lost \(WAIT 1\): 0 writes \(0 writes\.\.0 writes\)  beside none: 0 writes  = x-, \+0 writes  target <= \+0 writes every run met$/);
  });

  it('a must-be-0 figure misses on any run, though its median is 0; the summary shows the worst', () => {
    const rows = clusterRows({ deploy: [], floor: [], killMaster: [run(2900, 0, null), run(2900, 0, null), run(2900, 0, null)], killMasterWait: [run(6000, 0, 0), run(6000, 0, 2), run(6000, 400, 0)] });
    const [, , , others, lost] = rows;
    assert.equal(others!.figure!.median, 0);
    assert.equal(others!.met, false);
    assert.equal(lost!.met, false);
    const summary = formatSummary(rows).join('\n');
    assert.match(summary, /write gap, other shards \(both runs\) +0 ms \(worst 400 ms\) +no gap 0 ms +x- \+0 ms +<= \+0 ms every run +MISSED/);
    assert.match(summary, /acked writes lost \(WAIT 1\) +0 writes \(worst 2 writes\) +none 0 writes/);
  });

  it('runs without figures: no verdict, not a pass', () => {
    const rows = clusterRows({ deploy: [], floor: [floor(4000)], killMaster: [run(null, null, null)], killMasterWait: [] });
    assert.equal(rows[0]!.figure, null);
    assert.deepEqual(rows.slice(2, 5).map((r) => r.met), [null, null, null]);
  });
});

describe('cluster reshard figures (1/3 of 100 000 keys under 200 writes/s)', () => {
  it('from reshard --json: slots, keys, time, what the client saw; a failed reshard keeps its reason', () => {
    const json = JSON.stringify({ slots: 5461, keys: 33_300, movedMs: 41_000, agreedMs: 41_050, writeGapMs: 12, longestAckGapMs: 30, slowWrites: 2, writes: { acked: 8000, failed: 0, indeterminate: 0 }, moves: [] });
    assert.deepEqual(reshardFigures(100_000, json, 0), { keysLoaded: 100_000, slots: 5461, keysMoved: 33_300, movedMs: 41_000, failed: 0, indeterminate: 0, writeGapMs: 12, longestAckGapMs: 30, slowWrites: 2 });
    const bad = reshardFigures(100_000, '{"error":"not healthy"}', 1, 'the cluster is not healthy');
    assert.equal(bad.failed, null);
    assert.match(bad.error!, /reshard exited 1: the cluster is not healthy/);
  });

  it('rows: failed writes judged on every run, the time printed without a floor', () => {
    const ok = reshardFigures(100_000, JSON.stringify({ slots: 5461, keys: 33_300, movedMs: 40_000, writeGapMs: 0, writes: { acked: 1, failed: 0, indeterminate: 0 } }), 0);
    const rows = clusterRows({ deploy: [], floor: [], killMaster: [], killMasterWait: [], reshard: [ok, { ...ok, failed: 3 }] });
    const failed = rows.find((r) => /reshard .* failed writes/.test(r.label))!;
    assert.equal(failed.met, false);
    const time = rows.find((r) => /reshard .* time to move/.test(r.label))!;
    assert.equal(time.figure!.median, 40_000);
    assert.equal(time.target, undefined);
    assert.equal(clusterRows({ deploy: [], floor: [], killMaster: [], killMasterWait: [] }).some((r) => /reshard/.test(r.label)), false);
  });
});
