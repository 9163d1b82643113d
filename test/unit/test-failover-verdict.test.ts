// test-failover's exit code and its JSON agree with the verdict of every scenario: one table,
// every compose scenario of the table, each judged passing and failing by judge() (the verdict
// the real runs use), run through main() in-process as `test-failover --json` is.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main, type CliEnvironment } from '../../src/cli/main.js';
import { render } from '../../src/commands/render.js';
import type { TestFailoverContext, TestFailoverResult } from '../../src/commands/test-failover.js';
import { EXIT } from '../../src/errors.js';
import { judge, type runScenario, type ScenarioResult } from '../../src/failover/run.js';
import { scenario, scenariosFor, type ScenarioName } from '../../src/failover/scenarios.js';
import { containersFor, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const NAME = 'rt-unit-verdict';

/** A result as a run that met its expectation would leave it, judged; `failure` adds one failed bar. */
function judged(name: ScenarioName, failure?: string): ScenarioResult {
  const { expectation } = scenario(name);
  const failover = expectation === 'failover';
  const r: ScenarioResult = {
    scenario: name,
    passed: false,
    failures: failure ? [failure] : [],
    expected: expectation,
    notes: [],
    oldMaster: 'redis-1',
    newMaster: failover ? 'redis-2' : 'redis-1',
    timings: { sdownMs: null, odownMs: null, switchMasterMs: failover ? 2000 : null, sentinelClientWriteGapMs: null, haproxyWriteGapMs: null },
    writes: { acked: 100, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 0 },
    dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 0 },
    rejoin: { oldMasterRole: failover ? 'slave' : 'master', resync: 'partial' },
    keyspace: { consistent: true, nodes: [] },
    durability: 'async',
  };
  judge(r, 1, 10, 200, expectation, true);
  return r;
}

async function runTestFailover(cwd: string, runtime: FakeRuntime, names: ScenarioName[], verdicts: Map<ScenarioName, string | undefined>) {
  const io = captureIo(cwd);
  const fake: typeof runScenario = async (name) => judged(name, verdicts.get(name));
  const context: TestFailoverContext = { runtime, io, signal: new AbortController().signal, runScenario: fake };
  const env: CliEnvironment = { io, signal: new AbortController().signal, context: async () => context };
  const code = await main(['test-failover', '--name', NAME, '--json', ...names.flatMap((n) => ['--scenario', n])], env);
  return { code, json: JSON.parse(io.out()) as TestFailoverResult };
}

describe('test-failover: the exit code and the JSON agree with each verdict', () => {
  it('every scenario, passing and failing, alone and beside a passing one', async (t) => {
    const cwd = await makeTempDir('redis-ha-verdict-');
    t.after(() => removeDir(cwd));
    const file = join(cwd, 'topology.yaml');
    await writeFile(file, `preset: full\nname: ${NAME}\nportBase: 10980\n`);
    const { topology } = await render({ file }, { cwd });
    const runtime = new FakeRuntime();
    runtime.containersOf.set(NAME, containersFor(topology));
    const names = scenariosFor(topology);
    assert.ok(names.length >= 9, names.join(', '));
    for (const name of names) {
      for (const failure of [undefined, `${name}: one bar missed`]) {
        const alone = await runTestFailover(cwd, runtime, [name], new Map([[name, failure]]));
        const passed = failure === undefined;
        assert.equal(alone.json.scenarios[0]?.passed, passed, `${name}: the scenario's verdict in the JSON`);
        assert.deepEqual(alone.json.scenarios[0]?.failures, failure ? [failure] : [], name);
        assert.equal(alone.json.passed, passed, `${name}: the run's verdict in the JSON`);
        assert.equal(alone.code, passed ? EXIT.ok : EXIT.failed, `${name}: exit code`);
      }
      // A failing scenario fails the run however many pass beside it.
      const other = names.find((n) => n !== name)!;
      const mixed = await runTestFailover(cwd, runtime, [name, other], new Map([[name, 'failed bar']]));
      assert.deepEqual(mixed.json.scenarios.map((s) => s.passed).sort(), [false, true], `${name} beside ${other}`);
      assert.equal(mixed.json.passed, false, `${name} beside ${other}`);
      assert.equal(mixed.code, EXIT.failed, `${name} beside ${other}`);
    }
  });
});
