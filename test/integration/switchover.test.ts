// `redis-ha switchover` against the real engine (fast profile), on `sentinel` and on `full`:
// without and with --to, under a write load through the Sentinel client redis-ha recommends
// (and, on full, through the HAProxy write port). Asserts: the master moved (to the target),
// no write failed on the Sentinel path, every acknowledged write is on the new master, the old
// master rejoined with a partial resync, priorities are restored, HAProxy reaches the new
// master. Then, in process, an abort before and after SENTINEL FAILOVER: nothing stays paused
// or steered, and no master is left half-switched; and the reported pause moment (pausedAt).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readDeployment } from '../../src/files/deployment.js';
import { readKeyspace } from '../../src/failover/verify.js';
import { haproxyClientOptions, Workload, type WorkloadPath } from '../../src/failover/workload.js';
import { probeHost, redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import { runSwitchover, SwitchoverInterruptedError, type LiveDeployment, type SwitchoverStep } from '../../src/operations/switchover.js';
import { type Credentials, withConnection } from '../../src/probes/connect.js';
import { sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { EXIT } from '../../src/errors.js';
import { dockerSuiteSkip, IMAGE_FLAGS, forceRemoveProject, requireDocker, runCli } from '../helpers/docker.js';
import { untilAcked } from '../helpers/wait.js';

interface CliSwitchover {
  oldMaster: string;
  newMaster: string;
  target: string | null;
  steered: { node: string; priority: number }[];
  timings: Record<string, number | null>;
  resync: { kind: string; partial: number; full: number; oldMasterLinked: boolean };
  notes: string[];
}

/** A numeric setting of every node, by node. */
const settingOf = async (d: LiveDeployment, key: string) =>
  Object.fromEntries(
    await Promise.all(
      redisNodes(d.topology).map(async (n) => [n.name, await withConnection({ host: d.host, port: n.hostPort }, d.auth, async (r) => Number(((await r.config('GET', key)) as string[])[1]))] as const),
    ),
  );
const priorities = (d: LiveDeployment) => settingOf(d, 'replica-priority');

const roleOf = (d: LiveDeployment, name: string) =>
  withConnection({ host: d.host, port: redisNodes(d.topology).find((n) => n.name === name)!.hostPort }, d.auth, async (r) => String(((await r.call('ROLE')) as unknown[])[0]));

const sentinelsName = async (d: LiveDeployment) =>
  withConnection({ host: d.host, port: sentinelNodes(d.topology)[0]!.hostPort }, d.auth, async (r) => ((await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', d.topology.sentinel.masterName)) as string[])[0]);

/** A write on `node` answers within 500 ms (not held by a pause): OK, or READONLY on a replica. */
const writeAnswers = (d: LiveDeployment, name: string) =>
  withConnection({ host: d.host, port: redisNodes(d.topology).find((n) => n.name === name)!.hostPort }, d.auth, (r) => r.set('sw-it:probe', '1').then(String, (e: Error) => e.message.split(' ')[0]!), 500);

for (const [preset, portBase] of [
  ['sentinel', 13800],
  ['full', 13400],
] as const) {
  describe(`switchover on ${preset} (fast profile)`, { concurrency: false, skip: dockerSuiteSkip() }, () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sw-it-'));
    const name = `sw-it-${preset}`;
    let d: LiveDeployment | undefined;
    // The clients under load log in as applications do (user app); checks and reads as admin.
    let app: Credentials = {};
    let deployError = '';

    before(async () => {
      const r = await runCli(['deploy', preset, '--profile', 'fast', '--name', name, '--port-base', String(portBase), ...IMAGE_FLAGS, '--json'], { cwd, timeoutMs: 300_000 });
      if (r.exitCode !== 0) {
        deployError = r.stderr.slice(-2000);
        return;
      }
      const files = await readDeployment(join(cwd, '.redis-ha', name));
      d = { topology: files.topology, auth: files.admin, host: probeHost(files.topology) };
      app = files.app;
    });

    after(async () => {
      await runCli(['cleanup', '--name', name], { cwd, timeoutMs: 180_000 });
      forceRemoveProject(name);
      rmSync(cwd, { recursive: true, force: true });
    });

    /** Runs the CLI switchover under load; returns its result and what the clients saw. */
    async function underLoad(args: string[]) {
      const paths: WorkloadPath[] = [{ via: 'sentinel', options: sentinelClientOptions(d!.topology, app, d!.host) }];
      if (d!.topology.haproxy.enabled) paths.push({ via: 'haproxy', options: haproxyClientOptions(d!.host, d!.topology.haproxy.writePort, app) });
      const prefix = `sw-it-${Date.now()}`;
      const workload = new Workload(paths, { rate: 200, durability: 'async', prefix, maxMs: 120_000, now: () => performance.now() });
      const vias = paths.map((p) => p.via);
      await workload.start();
      let r;
      try {
        // 150 acknowledged on each path before and after: the load spans the switchover.
        await untilAcked('before the switchover', workload, vias, { atLeast: 150 });
        r = await runCli(['switchover', '--name', name, '--json', ...args], { cwd, timeoutMs: 120_000 });
        // Writes resume on every path after it (and are in the keyspace read below).
        await untilAcked('after the switchover', workload, vias, { since: performance.now(), atLeast: 150 });
      } finally {
        await workload.stop();
      }
      assert.equal(r.exitCode, 0, r.stderr);
      const result = JSON.parse(r.stdout) as CliSwitchover;
      const node = redisNodes(d!.topology).find((n) => n.name === result.newMaster)!;
      const { keys } = await readKeyspace(result.newMaster, { host: d!.host, port: node.hostPort }, d!.auth, `tf:${prefix}:*`);
      const acked = workload.ops.filter((o) => o.outcome === 'ok');
      const lost = acked.filter((o) => !keys.has(o.key));
      const sentinelPath = workload.ops.filter((o) => o.via === 'sentinel');
      return { result, stderr: r.stderr, acked, lost, sentinelNotOk: sentinelPath.filter((o) => o.outcome !== 'ok'), sentinelOps: sentinelPath.length };
    }

    async function checkAgreement(newMaster: string) {
      assert.equal(await sentinelsName(d!), newMaster);
      assert.equal(await roleOf(d!, newMaster), 'master');
      if (d!.topology.haproxy.enabled) {
        const reached = await withConnection({ host: d!.host, port: d!.topology.haproxy.writePort }, d!.auth, async (r) => ((await r.config('GET', 'replica-announce-ip')) as string[])[1]);
        assert.equal(reached, newMaster, 'the HAProxy write port reaches the new master');
      }
    }

    it('without --to: moves the master under load, no write failed on the Sentinel path, none lost, partial resync', { timeout: 180_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(d, `deploy failed: ${deployError}`);
      const before = await priorities(d);
      const pings = await settingOf(d, 'repl-ping-replica-period');
      const s = await underLoad([]);
      assert.notEqual(s.result.newMaster, s.result.oldMaster);
      // Held on the old master during the switch (no ping between promotion and demotion), put back after.
      assert.deepEqual(await settingOf(d, 'repl-ping-replica-period'), pings);
      assert.equal(pings[s.result.oldMaster], 10);
      assert.ok(s.sentinelOps > 300, `the Sentinel client wrote (${s.sentinelOps})`);
      assert.deepEqual(s.sentinelNotOk.map((o) => o.error), [], 'every write on the Sentinel path was acknowledged');
      assert.ok(s.acked.length > 300);
      assert.deepEqual(s.lost.map((o) => o.key), [], 'no acknowledged write lost');
      assert.equal(s.result.resync.kind, 'partial', JSON.stringify(s.result.resync));
      assert.equal(s.result.resync.full, 0);
      assert.equal(s.result.resync.oldMasterLinked, true);
      assert.equal(await roleOf(d, s.result.oldMaster), 'slave');
      assert.deepEqual(s.result.steered, []);
      assert.deepEqual(await priorities(d), before);
      if (preset === 'full') assert.ok(s.result.timings.haproxyAgreeMs !== null, 'waited for HAProxy');
      else assert.equal(s.result.timings.haproxyAgreeMs, null);
      await checkAgreement(s.result.newMaster);
    });

    it('with --to: promotes exactly that replica, restores the steered priorities', { timeout: 180_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(d, `deploy failed: ${deployError}`);
      const before = await priorities(d);
      const master = await sentinelsName(d);
      // The replica Sentinel would NOT pick on its own: sort like Sentinel (name as the tie-break
      // stands in for its run-id order) and take the last.
      const target = redisNodes(d.topology).map((n) => n.name).filter((n) => n !== master).at(-1)!;
      const s = await underLoad(['--to', target]);
      assert.equal(s.result.oldMaster, master);
      assert.equal(s.result.newMaster, target);
      assert.equal(s.result.target, target);
      assert.deepEqual(s.result.steered.map((x) => x.node).sort(), redisNodes(d.topology).map((n) => n.name).filter((n) => n !== master && n !== target));
      assert.deepEqual(await priorities(d), before, 'replica-priority restored everywhere');
      assert.deepEqual(s.sentinelNotOk.map((o) => o.error), []);
      assert.deepEqual(s.lost.map((o) => o.key), []);
      assert.equal(s.result.resync.kind, 'partial', JSON.stringify(s.result.resync));
      await checkAgreement(target);
    });

    it('refuses --to naming the current master with exit 2, changing nothing', { timeout: 60_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(d, `deploy failed: ${deployError}`);
      const master = await sentinelsName(d);
      const r = await runCli(['switchover', '--name', name, '--to', master!], { cwd });
      assert.equal(r.exitCode, EXIT.usage, r.stderr);
      assert.match(r.stderr, /is the current master/);
      assert.equal(await sentinelsName(d), master);
    });

    if (preset !== 'sentinel') return;

    /** Runs the switchover in process and aborts it when `at` begins. */
    async function abortAt(at: SwitchoverStep, to: string) {
      const abort = new AbortController();
      const steps: string[] = [];
      const err = await runSwitchover({
        deployment: d!,
        to,
        signal: abort.signal,
        onStep: (step) => {
          steps.push(step);
          if (step === at) abort.abort();
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      return { err, steps };
    }

    it('aborted after the pause, before SENTINEL FAILOVER: master unchanged, writes flow, priorities restored', { timeout: 120_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(d, `deploy failed: ${deployError}`);
      const before = await priorities(d);
      const master = (await sentinelsName(d))!;
      const target = redisNodes(d.topology).map((n) => n.name).find((n) => n !== master)!;
      const { err, steps } = await abortAt('catch-up', target);
      assert.ok(err instanceof SwitchoverInterruptedError, String(err));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.match(err.message, /unpaused.*replica-priority restored.*repl-ping-replica-period 10 restored on /);
      assert.deepEqual(Object.values(await settingOf(d, 'repl-ping-replica-period')), redisNodes(d.topology).map(() => 10));
      assert.ok(steps.includes('pause') && steps.includes('steer') && !steps.includes('failover'), steps.join(','));
      assert.equal(await writeAnswers(d, master), 'OK', 'the master takes writes at once: not paused');
      assert.deepEqual(await priorities(d), before);
      assert.equal(await sentinelsName(d), master);
    });

    it('aborted after SENTINEL FAILOVER: the switch completes, the old master is demoted before it is unpaused', { timeout: 120_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(d, `deploy failed: ${deployError}`);
      const before = await priorities(d);
      const master = (await sentinelsName(d))!;
      const target = redisNodes(d.topology).map((n) => n.name).find((n) => n !== master)!;
      const { err, steps } = await abortAt('promote', target);
      assert.ok(err instanceof SwitchoverInterruptedError, String(err));
      assert.ok(steps.includes('failover'), steps.join(','));
      assert.match(err.message, new RegExp(`the Sentinels name ${target}`));
      assert.equal(await roleOf(d, master), 'slave', 'the old master was demoted');
      assert.equal(await writeAnswers(d, master), 'READONLY', 'the old master answers at once: not paused, not a master');
      assert.equal(await writeAnswers(d, target), 'OK');
      assert.deepEqual(await priorities(d), before);
    });

    it('in process: reports the moment writes were paused (pausedAt), between the pause and catch-up steps', { timeout: 120_000 }, async (t) => {
      if (!requireDocker(t)) return;
      assert.ok(d, `deploy failed: ${deployError}`);
      // The test before aborted right after SENTINEL FAILOVER: the Sentinels finish that failover
      // (reconfiguring the replicas) on their own, and refuse another until then (INPROG).
      const inProgress = async () => {
        for (const s of sentinelNodes(d!.topology)) {
          const fields = await withConnection({ host: d!.host, port: s.hostPort }, d!.auth, async (r) => (await r.call('SENTINEL', 'MASTER', d!.topology.sentinel.masterName)) as string[]);
          const flags = fields[fields.indexOf('flags') + 1] ?? '';
          if (flags.includes('failover_in_progress')) return `${s.name}: ${flags}`;
        }
        return undefined;
      };
      const deadline = Date.now() + 60_000;
      for (let busy = await inProgress(); busy; busy = await inProgress()) {
        assert.ok(Date.now() < deadline, `the aborted switchover's failover still in progress after 60 s (${busy})`);
        await new Promise((r) => setTimeout(r, 500));
      }
      // Then until `status` is healthy again, as an operator checks before a switchover: right
      // after that failover a Sentinel may not yet count the reconfigured replicas as good
      // candidates (CI met NOGOODSLAVE here).
      for (let healthy = false; !healthy; ) {
        healthy = (await runCli(['status', '--name', name], { cwd })).exitCode === 0;
        assert.ok(healthy || Date.now() < deadline, 'status not healthy within 60 s of the aborted switchover');
        if (!healthy) await new Promise((r) => setTimeout(r, 500));
      }
      const seen = new Map<SwitchoverStep, number>();
      const r = await runSwitchover({ deployment: d, onStep: (step) => seen.set(step, performance.now()) });
      assert.ok(r.pausedAt >= seen.get('pause')! && r.pausedAt <= seen.get('catch-up')!, `pausedAt ${r.pausedAt}, steps ${JSON.stringify([...seen])}`);
      await checkAgreement(r.newMaster);
    });
  });
}
