// test-failover and switchover on a cluster deployment, on the real engine: one 3 x 1 cluster
// (fast profile: cluster-node-timeout 2000 ms) reused for every scenario, run through the CLI
// and judged on its --json. Asserted: correctness (a replica took over, the old master rejoined
// as its replica, no acknowledged write lost with --durability wait, the other shards' writes
// untouched, the same slot map after a full restart), never wall-clock bounds. `after` removes
// the deployment (through the CLI, then by label), also when a test fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterSwitchoverReport } from '../../src/commands/switchover.js';
import type { TestFailoverResult } from '../../src/commands/test-failover.js';
import type { ClusterScenarioResult } from '../../src/failover/cluster-run.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import { withConnection } from '../../src/probes/connect.js';
import { dockerAnswers, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, projectResources, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const NAME = 'clf-it-cluster';
const PORT_BASE = 24000;
const TEST_TIMEOUT = 900_000;

const brief = (s: ClusterScenarioResult) =>
  `${s.scenario}: ${JSON.stringify({ failures: s.failures, timings: s.timings, writes: s.writes, otherShards: s.otherShards, notes: s.notes.filter((n) => !n.startsWith('healed:')) })}`;

describe('test-failover and switchover on a cluster (real engine)', { timeout: TEST_TIMEOUT, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-cluster-failover-');
  let deployed = false;

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(NAME);
    const r = await runCli(['deploy', 'cluster', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', '--json', ...IMAGE_FLAGS], { cwd: work.dir });
    assert.equal(r.exitCode, 0, `deploy cluster failed:\n${r.stderr}\n${r.stdout}`);
    deployed = true;
  });

  after(async () => {
    if (deployed) await runCli(['cleanup', '--name', NAME], { cwd: work.dir }).catch(() => undefined);
    forceRemoveProject(NAME);
    assert.deepEqual(projectResources(NAME), { containers: [], networks: [], volumes: [] });
    work.remove();
  });

  it('--scenario all --durability wait: every scenario passes, each shard fails over, nothing acknowledged is lost', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const junit = join(work.dir, 'failover.xml');
    const report = join(work.dir, 'failover.html');
    const r = await runCli(['test-failover', '--name', NAME, '--scenario', 'all', '--durability', 'wait', '--rate', '100', '--junit', junit, '--report', report, '--json'], { cwd: work.dir, timeoutMs: 600_000 });
    const result = JSON.parse(r.stdout) as TestFailoverResult;
    const scenarios = result.scenarios as (ClusterScenarioResult & { limits: unknown[] })[];
    const all = scenarios.map(brief).join('\n');
    assert.equal(r.exitCode, 0, `test-failover failed:\n${all}\n${r.stderr.slice(-3000)}`);
    assert.deepEqual(scenarios.map((s) => s.scenario), ['kill-master', 'stop-master', 'pause-master', 'partition-master', 'kill-replica', 'lose-shard', 'restart-all']);
    // Each scenario takes the next shard: all three shards fail over at least once.
    assert.deepEqual(scenarios.map((s) => s.shard), [1, 2, 3, 1, 2, 3, null]);
    for (const s of scenarios) {
      assert.equal(s.passed, true, brief(s));
      assert.equal(s.writes.lostAcked, 0, brief(s));
      assert.ok(s.writes.acked > 0, brief(s));
      assert.equal(s.keyspace.consistent, true, brief(s));
      assert.equal(s.timings.nodeTimeoutMs, 2000);
    }
    for (const s of scenarios.filter((x) => x.scenario.endsWith('-master'))) {
      assert.notEqual(s.newMaster, s.oldMaster, brief(s));
      assert.equal(s.rejoin.oldMasterRole, 'slave', brief(s));
      assert.notEqual(s.timings.failoverMs, null, brief(s));
      // The other shards' slots never saw a failed write.
      assert.equal(s.otherShards.failed + s.otherShards.indeterminate, 0, brief(s));
    }
    const replica = scenarios.find((s) => s.scenario === 'kill-replica')!;
    assert.equal(replica.newMaster, replica.oldMaster, brief(replica));
    const lost = scenarios.find((s) => s.scenario === 'lose-shard')!;
    assert.notEqual(lost.timings.shardFailedMs, null, brief(lost));
    assert.equal(lost.otherShards.failed + lost.otherShards.indeterminate, 0, brief(lost));
    assert.ok(lost.otherShards.acked > 0, brief(lost));
    const restart = scenarios.find((s) => s.scenario === 'restart-all')!;
    // The same slot ranges (a shard's master may change when its master restarts later than its replica).
    const ranges = (m: string[]) => m.map((x) => x.split('=')[0]);
    assert.deepEqual(ranges(restart.slotMap.after), ranges(restart.slotMap.before));
    assert.match(readFileSync(junit, 'utf8'), /<property name="failover-ms" value="\d+"\/>/);
    // The HTML report: a timeline per scenario, each node's lane, nothing fetched from elsewhere.
    const html = readFileSync(report, 'utf8');
    for (const s of scenarios) assert.match(html, new RegExp(`<section id="${s.scenario}">[\\s\\S]*?<svg[\\s\\S]*?>redis-6</text>`), `${s.scenario}: its timeline with every node`);
    assert.doesNotMatch(html, /https?:\/\/|<script/);
  });

  it('switchover --shard 2: CLUSTER FAILOVER hands the shard to its replica; the cluster client sees no failed write', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const before = JSON.parse((await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir })).stdout) as StatusSnapshot;
    const shard2 = before.shards![1]!;
    const r = await runCli(['switchover', '--name', NAME, '--shard', '2', '--json'], { cwd: work.dir });
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ClusterSwitchoverReport;
    assert.equal(report.shards.length, 1);
    const s = report.shards[0]!;
    assert.deepEqual([s.shard, s.oldMaster, s.newMaster], [2, shard2.master, shard2.replicas[0]!.service]);
    assert.equal(s.writes.failed + s.writes.indeterminate, 0, JSON.stringify(report));
    assert.equal(report.writes.failed + report.writes.indeterminate, 0, JSON.stringify(report));
    assert.ok(report.writes.acked > 0);
    const afterwards = JSON.parse((await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir })).stdout) as StatusSnapshot;
    assert.equal(afterwards.healthy, true, JSON.stringify(afterwards.checks));
    assert.deepEqual(afterwards.shards![1], { slots: shard2.slots, master: s.newMaster, replicas: [{ service: s.oldMaster, linkUp: true, lagBytes: 0 }] });
    // The measuring client's keys are gone.
    const admin = { username: 'admin', password: readFileSync(join(work.dir, '.redis-ha', NAME, 'secrets', 'admin'), 'utf8').trim() };
    for (let i = 1; i <= 6; i++) {
      const left = await withConnection({ host: '127.0.0.1', port: PORT_BASE + i }, admin, (c) => c.keys('redis-ha:switchover:*'));
      assert.deepEqual(left, [], `redis-${i}`);
    }
  });

  it('switchover: a shard that does not exist is exit 2, nothing changed', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const r = await runCli(['switchover', '--name', NAME, '--shard', '4'], { cwd: work.dir });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /--shard 4: clf-it-cluster has shards 1 to 3/);
  });
});
