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
import { dockerAnswers, dockerSuiteSkip, IMAGE_FLAGS, requireDocker, runCli } from '../helpers/docker.js';
import { CLI_PATH } from '../helpers/repo.js';
import { SCENARIO_NAMES } from '../../src/failover/scenarios.js';

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
    let result: { scenarios: Scenario[]; passed: boolean; report?: string } | undefined;
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

    it(`runs ${scenarios === COMPOSE_SCENARIOS ? 'every scenario' : scenarios.join(', ')} (async durability) and each passes`, { timeout: 900_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(deployed, `deploy failed: ${output.slice(-2000)}`);
      const selected = scenarios === COMPOSE_SCENARIOS ? ['--scenario', 'all'] : scenarios.flatMap((n) => ['--scenario', n]);
      const r = await runCli(['test-failover', '--name', name, ...selected, '--json', '--report', join(cwd, 'report.html')], { cwd, timeoutMs: 900_000 });
      result = JSON.parse(r.stdout);
      const failed = result!.scenarios.filter((s) => !s.passed).map((s) => `${s.scenario}: ${s.failures.join('; ')}`);
      assert.deepEqual(failed, [], r.stderr.slice(-3000));
      assert.equal(r.exitCode, 0);
      // On full, every compose scenario of the table (the node faults are swarm's).
      assert.deepEqual(result!.scenarios.map((s) => s.scenario), [...scenarios]);
    });

    it('meets the pass conditions scenario by scenario', (t) => {
      if (!requireDocker(t)) return;
      assert.ok(result, 'the run above produced no result');
      for (const s of result.scenarios) {
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
        assert.ok(s.writes.acked > 0, `${s.scenario}: no write was acknowledged`);
        // Indeterminate writes are read back after healing: resolved ones are counted apart.
        for (const k of ['indeterminate', 'resolvedApplied', 'resolvedNotApplied'] as const) assert.ok(Number.isInteger(s.writes[k]), `${s.scenario}: writes.${k}`);
      }
      const html = readFileSync(result.report!, 'utf8');
      assert.doesNotMatch(html, /https?:\/\//);
      for (const s of result.scenarios) assert.match(html, new RegExp(`<section id="${s.scenario}">`));
    });

    if (preset === 'full') {
      // On full: both client paths.
      it('with --durability wait, kill-master and stop-master lose no acknowledged write', { timeout: 600_000 }, async (t) => {
        if (!requireDocker(t)) return;
        assert.ok(deployed);
        const r = await runCli(['test-failover', '--name', name, '--scenario', 'kill-master', '--scenario', 'stop-master', '--durability', 'wait', '--json'], { cwd, timeoutMs: 600_000 });
        const res = JSON.parse(r.stdout) as { scenarios: Scenario[] };
        for (const s of res.scenarios) assert.equal(s.writes.lostAcked, 0, `${s.scenario}: ${s.failures.join('; ')}`);
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
        let healthy = false;
        for (let i = 0; i < 60 && !healthy; i++) {
          healthy = (await runCli(['status', '--name', name], { cwd })).exitCode === 0;
          if (!healthy) await new Promise((r) => setTimeout(r, 2000));
        }
        assert.ok(healthy, 'status did not become healthy after the interrupted run');
      });
    }
  });
}
