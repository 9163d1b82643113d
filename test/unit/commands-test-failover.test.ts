// `test-failover` in-process against a fake Runtime: Ctrl-C (the abort signal) while a fault
// is injected heals it through the runtime (the heal stack) and exits 130; an abort before
// the first scenario runs none; a missing engine. The scenario itself is substituted: the
// real ones need live Redis nodes and Sentinels (see test/integration/failover.test.ts).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { render } from '../../src/commands/render.js';
import { testFailover } from '../../src/commands/test-failover.js';
import { EXIT } from '../../src/errors.js';
import { InterruptedError, type runScenario } from '../../src/failover/run.js';
import { containersFor, engineDown, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const NAME = 'rt-unit-tf';

async function setup() {
  const cwd = await makeTempDir('redis-ha-cmd-tf-');
  const file = join(cwd, 'topology.yaml');
  await writeFile(file, `preset: basic\nname: ${NAME}\nreplicas: 1\nportBase: 10970\n`);
  const r = await render({ file }, { cwd });
  const runtime = new FakeRuntime();
  runtime.containersOf.set(NAME, containersFor(r.topology));
  return { cwd, runtime, io: captureIo(cwd), abort: new AbortController() };
}

describe('test-failover against a fake runtime', () => {
  it('Ctrl-C with a fault injected: the heal stack undoes it through the runtime, exit 130', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    const scenario: typeof runScenario = async (_name, o) => {
      const replica = (await o.runtime.containers(NAME)).find((c) => c.service === 'redis-2')!;
      o.heal.push('unpause redis-2', () => o.runtime.containerAction('unpause', replica.id));
      await o.runtime.containerAction('pause', replica.id);
      // Held until interrupted; healing is left to the command (this stand-in does none).
      return new Promise((_resolve, reject) => {
        o.signal.addEventListener('abort', () => reject(new InterruptedError()), { once: true });
        setImmediate(() => s.abort.abort());
      });
    };
    const err = await rejection(testFailover({ name: NAME }, { runtime: s.runtime, io: s.io, signal: s.abort.signal, runScenario: scenario }));
    assert.equal(err.exitCode, EXIT.interrupted);
    assert.match(err.message, /every injected fault was healed/);
    const actions = s.runtime.calls.filter((c) => c.method === 'containerAction').map((c) => c.args.slice(0, 2));
    assert.deepEqual(actions, [
      ['pause', `${NAME}-redis-2-id1`],
      ['unpause', `${NAME}-redis-2-id1`],
    ]);
    assert.match(s.io.err(), /interrupted: stopping; healing every injected fault first/);
    assert.match(s.io.err(), /healing: unpause redis-2/);
  });

  it('aborted before the first scenario: runs none, exit 130', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    let ran = 0;
    s.abort.abort();
    const err = await rejection(
      testFailover(
        { name: NAME },
        { runtime: s.runtime, io: s.io, signal: s.abort.signal, runScenario: async () => assert.fail(`ran ${++ran}`) },
      ),
    );
    assert.equal(err.exitCode, EXIT.interrupted);
    assert.equal(ran, 0);
  });

  it('says the engine is not reachable (exit 3) before injecting anything', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    s.runtime.script.checkEngine = async () => {
      throw engineDown();
    };
    const err = await rejection(
      testFailover({ name: NAME }, { runtime: s.runtime, io: s.io, signal: s.abort.signal, runScenario: async () => assert.fail('ran') }),
    );
    assert.equal(err.exitCode, EXIT.environment);
    assert.deepEqual(s.runtime.called('containerAction'), []);
  });
});
