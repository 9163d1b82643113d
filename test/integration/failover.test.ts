// test-failover against the real engine: every scenario on `full` (fast profile, one
// deployment, reused; its workload writes through the Sentinel client and HAProxy), and on
// `sentinel` the ones whose outcome differs in kind (a failover, a partition, a minority of
// Sentinels, a planned move) with the Sentinel client alone; asserting the pass conditions;
// --durability wait; and an interrupted run (SIGINT during pause-master) that must exit 130
// and leave the topology healthy.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerAnswers, dockerSuiteSkip, IMAGE_FLAGS, requireDocker, runCli, scenarioDurations } from '../helpers/docker.js';
import { CLI_PATH } from '../helpers/repo.js';
import { SCENARIO_NAMES } from '../../src/failover/scenarios.js';
import { until } from '../helpers/wait.js';
import { runDashboardQueries, type GrafanaDashboard } from '../helpers/dashboard.js';
import { DASHBOARD_FILE } from '../../src/synth/dashboard.js';

interface Scenario {
  scenario: string;
  passed: boolean;
  failures: string[];
  oldMaster: string | null;
  newMaster: string | null;
  timings: Record<string, number | null>;
  writes: { acked: number; failed: number; indeterminate: number; resolvedApplied: number; resolvedNotApplied: number; lostAcked: number };
  dualMaster: { windowMs: number; writesAckedByOldMaster: number; haproxyRoutedToOldMaster: number };
  rejoin: { oldMasterRole: string | null; resync: string };
  keyspace: { consistent: boolean; nodes: { node: string; keys: number }[] };
  durability: 'async' | 'wait';
  alerts?: { expected: string[]; fired: { alert: string; firedAfterMs: number; resolvedAfterHealMs: number | null }[] };
}

/**
 * The write counts against the data the scenario read after healing (it ended healthy, every
 * node holding the same keys): every indeterminate write was resolved by reading it back, and
 * the master holds the keys of the acknowledged writes not lost and of the indeterminate ones
 * read back as applied, and no more: a write counted failed was refused, never applied. Except
 * with durability `wait`, where a write whose WAIT no replica acknowledged counts as failed
 * though the master may keep it: there `failed` bounds the difference.
 */
function assertWritesMatchKeyspace(s: Scenario): void {
  const w = s.writes;
  assert.ok(s.keyspace.consistent, `${s.scenario}: nodes differ`);
  assert.equal(w.indeterminate, 0, `${s.scenario}: every indeterminate write was read back (resolved applied ${w.resolvedApplied}, not applied ${w.resolvedNotApplied})`);
  assert.ok(w.lostAcked <= w.acked, `${s.scenario}: lostAcked ${w.lostAcked} <= acked ${w.acked}`);
  const held = s.keyspace.nodes.find((n) => n.node === s.newMaster)?.keys;
  const reached = w.acked - w.lostAcked + w.resolvedApplied;
  const extra = s.durability === 'wait' ? w.failed : 0;
  assert.ok(
    held !== undefined && held >= reached && held <= reached + extra,
    `${s.scenario}: the master ${s.newMaster} holds ${held} keys; the writes say ${reached}${extra ? ` to ${reached + extra}` : ''} (${JSON.stringify(w)})`,
  );
}

const FAILOVER = ['kill-master', 'stop-master', 'pause-master', 'partition-master', 'kill-sentinel', 'switchover'];

const COMPOSE_SCENARIOS = SCENARIO_NAMES.filter((n) => !['kill-node', 'partition-node', 'drain-node'].includes(n));

for (const [preset, portBase, scenarios] of [
  ['sentinel', 9400, ['kill-master', 'partition-master', 'sentinel-majority-loss', 'switchover']],
  ['full', 9600, COMPOSE_SCENARIOS],
] as const) {
  describe(`test-failover on ${preset} (fast profile)`, { concurrency: false, skip: dockerSuiteSkip() }, () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tf-it-'));
    const name = `tf-it-${preset}`;
    let deployed = false;
    let output = '';

    before(async () => {
      // Without an engine the tests below skip (or fail under CI) through requireDocker().
      if (!dockerAnswers()) return;
      const r = await runCli(['deploy', preset, '--profile', 'fast', '--name', name, '--port-base', String(portBase), ...IMAGE_FLAGS, '--json'], { cwd, timeoutMs: 300_000 });
      deployed = r.exitCode === 0;
      output = r.stderr;
    });

    after(async () => {
      await runCli(['cleanup', '--name', name], { cwd, timeoutMs: 180_000 });
      rmSync(cwd, { recursive: true, force: true });
    });

    // One run of every scenario (minutes); the checks of its result are subtests of the run.
    it(`runs ${scenarios === COMPOSE_SCENARIOS ? 'every scenario' : scenarios.join(', ')} (async durability): each passes and meets its pass conditions`, { timeout: 900_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(deployed, `deploy failed: ${output.slice(-2000)}`);
      const selected = scenarios === COMPOSE_SCENARIOS ? ['--scenario', 'all'] : scenarios.flatMap((n) => ['--scenario', n]);
      const runStart = Date.now();
      const r = await runCli(['test-failover', '--name', name, ...selected, '--json', '--report', join(cwd, 'report.html')], { cwd, timeoutMs: 900_000 });
      const result = JSON.parse(r.stdout) as { scenarios: Scenario[]; passed: boolean; report?: string };
      t.diagnostic(scenarioDurations(result.scenarios));
      // On full, every compose scenario of the table (the node faults are swarm's).
      assert.deepEqual(result.scenarios.map((s) => s.scenario), [...scenarios], r.stderr.slice(-3000));

      for (const s of result.scenarios) {
        await t.test(`${s.scenario} passes and meets its pass conditions`, () => {
          assert.deepEqual(s.failures, [], `${s.scenario} failed`);
          assert.equal(s.passed, true);
          assert.equal(s.dualMaster.haproxyRoutedToOldMaster, 0, `${s.scenario}: HAProxy routed to a non-master`);
          if (FAILOVER.includes(s.scenario)) {
            assert.notEqual(s.newMaster, s.oldMaster, `${s.scenario}: no new master`);
            assert.equal(s.rejoin.oldMasterRole, 'slave', `${s.scenario}: old master did not rejoin as a replica`);
            assert.ok(s.timings.switchMasterMs !== null, `${s.scenario}: no +switch-master seen`);
          }
          if (s.scenario === 'sentinel-majority-loss') {
            assert.equal(s.newMaster, s.oldMaster);
            assert.equal(s.timings.switchMasterMs, null);
            assert.equal(s.rejoin.oldMasterRole, 'master');
          }
          if (s.scenario === 'restart-replica') assert.notEqual(s.rejoin.resync, 'none');
          if (s.scenario === 'switchover') {
            assert.equal(s.writes.lostAcked, 0, 'switchover: no acknowledged write lost');
            assert.equal(s.rejoin.resync, 'partial', 'switchover: the old master resynced partially');
          }
          if (s.scenario === 'rolling-restart') {
            assert.equal(s.writes.lostAcked, 0, 'rolling-restart: no acknowledged write lost');
            assert.notEqual(s.newMaster, s.oldMaster, 'rolling-restart: the master moved once (a switchover)');
          }
          if (preset === 'sentinel') assert.equal(s.timings.haproxyWriteGapMs, null);
          // full has monitoring: the scenario's alerts were read back from its Prometheus.
          if (preset === 'full') {
            assert.ok(s.alerts, `${s.scenario}: no alerts read from Prometheus`);
            const fired = s.alerts.fired.map((a) => a.alert);
            for (const a of s.alerts.expected) assert.ok(fired.includes(a), `${s.scenario}: ${a} did not fire (fired: ${fired.join(', ') || 'none'})`);
            for (const a of s.alerts.fired) assert.ok(a.firedAfterMs >= 0 && Number.isInteger(a.firedAfterMs), JSON.stringify(a));
          } else assert.equal(s.alerts, undefined);
          assert.ok(s.writes.acked > 0, `${s.scenario}: no write was acknowledged`);
          assertWritesMatchKeyspace(s);
        });
      }
      // After every fault of the table (failovers, nodes down, alerts), each query of the Grafana
      // dashboard returns series from the deployment's own Prometheus, as Grafana would run it.
      if (preset === 'full') {
        await t.test('every query of the Grafana dashboard (panels, annotations, variables) returns series from the live Prometheus', async () => {
          const out = join(cwd, '.redis-ha', name);
          const dashboard = JSON.parse(readFileSync(join(out, DASHBOARD_FILE), 'utf8')) as GrafanaDashboard;
          const status = await runCli(['status', '--name', name, '--json'], { cwd, timeoutMs: 60_000 });
          const url = (JSON.parse(status.stdout) as { monitoring: { address: string } }).monitoring.address;
          const password = readFileSync(join(out, 'secrets', 'haproxy-stats'), 'utf8').trim();
          const q = await runDashboardQueries(dashboard, { url, user: 'stats', password }, { deployment: name, scrapeMs: 2000, start: runStart, end: Date.now() });
          assert.deepEqual(q.failures, [], `queries that failed or returned nothing: ${q.failures.join('\n')}`);
          assert.ok(q.ran >= 20, `only ${q.ran} queries`);
        });
      }
      await t.test('the HTML report has a section per scenario and no external link', () => {
        const html = readFileSync(result.report!, 'utf8');
        assert.doesNotMatch(html, /https?:\/\//);
        for (const s of result.scenarios) assert.match(html, new RegExp(`<section id="${s.scenario}">`));
      });
      assert.equal(result.passed, true);
      assert.equal(r.exitCode, 0, r.stderr.slice(-3000));
    });

    if (preset === 'full') {
      // On full: both client paths.
      it('with --durability wait, kill-master and stop-master lose no acknowledged write', { timeout: 600_000 }, async (t) => {
        if (!requireDocker(t)) return;
        assert.ok(deployed);
        const r = await runCli(['test-failover', '--name', name, '--scenario', 'kill-master', '--scenario', 'stop-master', '--durability', 'wait', '--json'], { cwd, timeoutMs: 600_000 });
        const res = JSON.parse(r.stdout) as { scenarios: Scenario[] };
        assert.deepEqual(res.scenarios.map((s) => s.scenario), ['kill-master', 'stop-master']);
        for (const s of res.scenarios) {
          assert.equal(s.durability, 'wait');
          assert.equal(s.writes.lostAcked, 0, `${s.scenario}: ${s.failures.join('; ')}`);
          assert.ok(s.writes.acked > 0, `${s.scenario}: no write was acknowledged`);
          assertWritesMatchKeyspace(s);
        }
        assert.equal(r.exitCode, 0, res.scenarios.flatMap((s) => s.failures).join('; '));
      });

      it('SIGINT during pause-master exits 130 after healing; the topology ends healthy', { timeout: 300_000 }, async (t) => {
        if (!requireDocker(t)) return;
        assert.ok(deployed);
        const child = spawn(process.execPath, [CLI_PATH, 'test-failover', '--name', name, '--scenario', 'pause-master'], {
          cwd,
          env: { ...process.env, NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
        // Wait until the fault is in (the hold phase), then interrupt.
        const deadline = Date.now() + 90_000;
        while (!/pause-master\s+hold/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.match(err, /pause-master\s+hold/, `never reached the hold phase: ${err.slice(-1500)}`);
        child.kill('SIGINT');
        assert.equal(await code, 130, err.slice(-2000));
        assert.match(err, /healing|healed/i);
        // Nothing left paused or disconnected; the deployment converges to healthy.
        const ps = await runCli(['status', '--name', name, '--json'], { cwd });
        assert.doesNotMatch(ps.stdout, /"state": "paused"/);
        let status = '';
        await until(
          'status healthy after the interrupted run',
          async () => {
            const st = await runCli(['status', '--name', name], { cwd });
            status = st.stdout;
            return st.exitCode === 0;
          },
          { timeoutMs: 180_000, intervalMs: 2000, state: () => status },
        );
      });
    }
  });
}
