// The failover gate of test-failover (--max-write-gap-ms, --max-lost-acked, --max-failed-writes),
// its JUnit report and its step summary: the limits' rules as pure functions, then the command
// in-process against a fake runtime with the scenarios substituted (their figures given), so a
// limit exceeded, a limit that does not apply and bad input are each seen end to end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { render } from '../../src/commands/render.js';
import { testFailover } from '../../src/commands/test-failover.js';
import { EXIT } from '../../src/errors.js';
import { checkLimits, parseLimits } from '../../src/failover/limits.js';
import type { runScenario, ScenarioResult } from '../../src/failover/run.js';
import { renderJunit } from '../../src/report/junit.js';
import { containersFor, FakeRuntime } from '../helpers/fake-runtime.js';
import { requireBinary } from '../helpers/binaries.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { scenarioResult } from '../helpers/scenario-result.js';
import { topologyOf } from '../helpers/topology.js';

const NAME = 'rt-unit-gate';

function result(name: ScenarioResult['scenario'], over: { gapSentinel?: number | null; gapHaproxy?: number | null; failed?: number; lost?: number } = {}): ScenarioResult {
  const r = scenarioResult({ scenario: name });
  return {
    ...r,
    timings: { sdownMs: 1000, odownMs: 1050, switchMasterMs: 2100, sentinelClientWriteGapMs: over.gapSentinel === undefined ? 2300 : over.gapSentinel, haproxyWriteGapMs: over.gapHaproxy === undefined ? null : over.gapHaproxy },
    writes: { ...r.writes, acked: 1000, failed: over.failed ?? 4, indeterminate: 0, resolvedApplied: 1, resolvedNotApplied: 0, lostAcked: over.lost ?? 0 },
  };
}

describe('failover gate: the limits', () => {
  const sentinel = topologyOf('sentinel');
  const full = topologyOf('full');
  const basic = topologyOf('basic', { replicas: 1 });

  it('refuses a negative, fractional or non-numeric limit (exit 2), naming the flag', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => parseLimits({ maxWriteGapMs: bad }, 'async', sentinel), (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && /--max-write-gap-ms/.test(e.message));
    }
    assert.throws(() => parseLimits({ maxFailedWrites: -3 }, 'async', sentinel), /--max-failed-writes -3 is not a whole number/);
  });

  it('refuses a write-gap limit on a deployment no scenario can measure it on (no Sentinel, no HAProxy)', () => {
    assert.throws(() => parseLimits({ maxWriteGapMs: 3000 }, 'async', basic), (e: Error & { exitCode?: number }) => e.exitCode === EXIT.usage && /no client path that follows a failover/.test(e.message));
    assert.deepEqual(parseLimits({ maxFailedWrites: 0 }, 'async', basic), { maxFailedWrites: 0 });
  });

  it('--durability wait means --max-lost-acked 0 unless given', () => {
    assert.deepEqual(parseLimits({}, 'wait', sentinel), { maxLostAcked: 0 });
    assert.deepEqual(parseLimits({ maxLostAcked: 5 }, 'wait', sentinel), { maxLostAcked: 5 });
    assert.deepEqual(parseLimits({}, 'async', sentinel), {});
  });

  it('a gap over the limit fails with the figure, the path and the limit; the HAProxy path is not applicable without HAProxy', () => {
    const checks = checkLimits(result('kill-master', { gapSentinel: 3400 }), { maxWriteGapMs: 3000 }, sentinel);
    assert.deepEqual(
      checks.map((c) => [c.path, c.verdict, c.value]),
      [
        ['sentinel-client', 'fail', 3400],
        ['haproxy', 'not-applicable', null],
      ],
    );
    assert.equal(checks[0]!.reason, 'write gap (sentinel-client) 3400 ms exceeds --max-write-gap-ms 3000');
    assert.match(checks[1]!.reason!, /no HAProxy/);
  });

  it('a gap that never closed (no good write after the fault) fails; it is not "not applicable"', () => {
    const [s, h] = checkLimits(result('kill-master', { gapSentinel: 900, gapHaproxy: null }), { maxWriteGapMs: 3000 }, full);
    assert.equal(s!.verdict, 'pass');
    assert.equal(h!.verdict, 'fail');
    assert.match(h!.reason!, /gap never closed/);
  });

  it('lost and failed writes are held to their limits, equal passes', () => {
    const checks = checkLimits(result('kill-master', { lost: 2, failed: 10 }), { maxLostAcked: 0, maxFailedWrites: 10 }, sentinel);
    assert.deepEqual(checks.map((c) => [c.limit, c.verdict]), [
      ['max-lost-acked', 'fail'],
      ['max-failed-writes', 'pass'],
    ]);
    assert.equal(checks[0]!.reason, '2 acknowledged write(s) lost exceeds --max-lost-acked 0');
  });
});

describe('failover gate: JUnit', () => {
  const run = (scenarios: Parameters<typeof renderJunit>[0]['scenarios']) =>
    renderJunit({ deployment: 'shop', preset: 'full', profile: 'fast', rate: 200, durability: 'wait', startedAt: '2026-12-06T01:00:00.123Z', scenarios, skipped: [{ scenario: 'kill-node', reason: 'kill-node needs target swarm (it targets compose)' }] });

  it('validates against the Jenkins JUnit schema, escapes what XML cannot hold, one failure per failed scenario', async (t) => {
    if (!requireBinary(t, 'xmllint')) return;
    const failing = { ...result('stop-master'), passed: false, failures: ['write gap (haproxy) 4100 ms exceeds --max-write-gap-ms 3000', 'a <second> & "odd" reason\u0001'], limits: [], durationMs: 20_500 };
    const xml = run([{ ...result('kill-master'), limits: [], durationMs: 18_250 }, failing]);
    const dir = await makeTempDir('redis-ha-junit-');
    t.after(() => removeDir(dir));
    // junit-10.xsd predates properties on a testcase (see test/fixtures/schemas/README.md).
    const file = join(dir, 'junit.xml');
    await writeFile(file, xml.replace(/\n {6}<properties>[\s\S]*?<\/properties>/g, ''));
    const v = spawnSync('xmllint', ['--noout', '--schema', join(REPO_ROOT, 'test/fixtures/schemas/junit-10.xsd'), file], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    const wellFormed = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
    assert.equal(wellFormed.status, 0, wellFormed.stderr);
    assert.equal(xml.match(/<failure /g)?.length, 1);
    assert.match(xml, /<failure message="write gap \(haproxy\) 4100 ms exceeds --max-write-gap-ms 3000" type="failover">/);
    assert.match(xml, /a &lt;second&gt; &amp; &quot;odd&quot; reason<\/failure>/);
    assert.match(xml, /<testcase name="kill-node" [^>]*>\n\s*<skipped message="kill-node needs target swarm/);
    assert.match(xml, /<testsuite name="redis-ha test-failover shop" tests="3" failures="1" errors="0" skipped="1" time="38.750"/);
    assert.match(xml, /<testcase name="kill-master" classname="redis-ha.shop.full" time="18.250">\n\s*<properties>[\s\S]*<property name="write-gap-sentinel-client-ms" value="2300"\/>/);
  });
});

describe('failover gate: the command', () => {
  async function setup() {
    const cwd = await makeTempDir('redis-ha-cmd-gate-');
    const file = join(cwd, 'topology.yaml');
    await writeFile(file, `preset: sentinel\nname: ${NAME}\nportBase: 10980\n`);
    const r = await render({ file }, { cwd });
    const runtime = new FakeRuntime();
    runtime.containersOf.set(NAME, containersFor(r.topology));
    return { cwd, runtime, io: { ...captureIo(cwd), stepSummary: join(cwd, 'summary.md') }, abort: new AbortController() };
  }

  it('one scenario over the limit: exit-1 result naming it, exactly one JUnit failure, a step summary with the gate', async (t) => {
    if (!requireBinary(t, 'xmllint')) return;
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    const figures: typeof runScenario = async (name) => (name === 'stop-master' ? result(name, { gapSentinel: 5200 }) : result(name, { gapSentinel: 1900 }));
    const r = await testFailover(
      { name: NAME, scenario: ['kill-master', 'stop-master'], maxWriteGapMs: 4000, junit: 'out/failover.xml' },
      { runtime: s.runtime, io: s.io, signal: s.abort.signal, runScenario: figures },
    );
    assert.equal(r.passed, false);
    assert.deepEqual(r.scenarios.map((x) => [x.scenario, x.passed]), [
      ['kill-master', true],
      ['stop-master', false],
    ]);
    assert.ok(r.scenarios[1]!.failures.includes('write gap (sentinel-client) 5200 ms exceeds --max-write-gap-ms 4000'));
    const xml = await readFile(join(s.cwd, 'out/failover.xml'), 'utf8');
    assert.equal(xml.match(/<failure /g)?.length, 1);
    assert.match(xml, /<testcase name="stop-master"[\s\S]*?<failure message="write gap \(sentinel-client\) 5200 ms exceeds --max-write-gap-ms 4000"/);
    assert.match(xml, /<property name="limit.max-write-gap-ms.haproxy" value="not applicable: the deployment has no HAProxy"\/>/);
    const summary = await readFile(s.io.stepSummary, 'utf8');
    assert.match(summary, /### ❌ redis-ha test-failover `rt-unit-gate`.*1 of 2 scenario\(s\) failed/);
    assert.match(summary, /\| stop-master \| --max-write-gap-ms \(sentinel-client\) \| 4000 \| 5200 \| \*\*fail\*\* \|/);
    assert.match(summary, /\| kill-master \| --max-write-gap-ms \(haproxy\) \| 4000 \| - \| not-applicable \|/);
  });

  it('bad input exits 2 before any scenario runs: a negative limit, a --junit path under a file or naming a directory', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    let ran = 0;
    const never: typeof runScenario = async () => assert.fail(`ran ${++ran}`);
    const ctx = { runtime: s.runtime, io: s.io, signal: s.abort.signal, runScenario: never };
    const negative = await rejection(testFailover({ name: NAME, scenario: ['kill-master'], maxLostAcked: -1 }, ctx));
    assert.equal(negative.exitCode, EXIT.usage);
    await writeFile(join(s.cwd, 'afile'), 'x');
    const underFile = await rejection(testFailover({ name: NAME, scenario: ['kill-master'], junit: 'afile/failover.xml' }, ctx));
    assert.equal(underFile.exitCode, EXIT.usage);
    assert.match(underFile.message, /--junit .*afile\/failover\.xml cannot be written \(.*afile is not a directory\)/);
    await mkdir(join(s.cwd, 'adir'));
    const isDir = await rejection(testFailover({ name: NAME, scenario: ['kill-master'], junit: 'adir' }, ctx));
    assert.match(isDir.message, /is a directory/);
    assert.equal(ran, 0);
    assert.deepEqual(s.runtime.called('containerAction'), []);
  });
});

describe('step summary (GITHUB_STEP_SUMMARY)', () => {
  it('deploy: a heading with the verdict and a table of endpoints; status: the checks, a failed one in bold', async () => {
    const { deploySummary, statusSummary } = await import('../../src/report/step-summary.js');
    const d = deploySummary({ deployment: 'shop', preset: 'full', healthy: true, waited: true, totalMs: 7400, endpoints: [{ service: 'haproxy', role: 'writes (current master)', address: '127.0.0.1:7100' }] });
    assert.match(d, /^### ✅ redis-ha deployment `shop` \(full\) healthy after 7\.4 s\n\n\| service \| address \| role \|\n\|---\|---\|---\|\n\| haproxy \| `127\.0\.0\.1:7100` \| writes \(current master\) \|/);
    const st = statusSummary({ deployment: 'shop', preset: 'full', healthy: false, master: 'redis-2', checks: [{ name: 'haproxy', ok: false, detail: 'write backend | no live server' }] });
    assert.match(st, /### ❌ redis-ha status `shop` \(full\): NOT healthy, master redis-2/);
    assert.match(st, /\| haproxy \| \*\*no\*\* \| write backend \\\| no live server \|/);
  });
});
