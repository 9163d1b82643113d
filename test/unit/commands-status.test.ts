// `status` in-process against a fake Runtime: --watch renders and stops on the abort signal,
// a deployment rendered elsewhere is found through its containers' working-dir label, a
// missing engine. Nothing answers on the deployment's ports (10900-10999), so the snapshot
// is unhealthy: these tests are about the command, not the checks.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { render } from '../../src/commands/render.js';
import { status, watchStatus } from '../../src/commands/status.js';
import { liveEngine } from '../../src/commands/context.js';
import { EXIT } from '../../src/errors.js';
import { containersFor, engineDown, FakeRuntime } from '../helpers/fake-runtime.js';
import { FakeSwarm } from '../helpers/fake-swarm.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const NAME = 'rt-unit-status';

/** Renders a basic deployment (no replica, ports 10950+) into `out` (default ./.redis-ha/NAME under cwd). */
async function rendered(cwd: string, out?: string) {
  const file = join(cwd, 'topology.yaml');
  await writeFile(file, `preset: basic\nname: ${NAME}\nreplicas: 0\nportBase: 10950\n`);
  return render({ file, out }, { cwd });
}

describe('status against a fake runtime', () => {
  it('--watch redraws until the signal aborts, then returns the last snapshot', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    const r = await rendered(cwd);
    const runtime = new FakeRuntime();
    runtime.containersOf.set(NAME, containersFor(r.topology));
    const io = captureIo(cwd);
    const abort = new AbortController();
    let sleeps = 0;
    const last = await watchStatus(
      { name: NAME },
      {
        runtime,
        io,
        signal: abort.signal,
        sleep: async () => {
          if (++sleeps === 3) abort.abort();
        },
      },
    );
    assert.equal(last.deployment, NAME);
    assert.equal((io.out().match(/^Checks:$/gm) ?? []).length, 3, 'three frames, then stopped');
    assert.match(io.out(), /\(Ctrl-C to stop\)/);
    assert.equal(runtime.called('containers').length, 3);
  });

  it('--watch stops at once when aborted during its sleep', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    const r = await rendered(cwd);
    const runtime = new FakeRuntime();
    runtime.containersOf.set(NAME, containersFor(r.topology));
    const abort = new AbortController();
    const started = performance.now();
    const watching = watchStatus({ name: NAME, intervalMs: 60_000 }, { runtime, io: captureIo(cwd), signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await watching;
    assert.ok(performance.now() - started < 5000, 'did not sleep out the 60 s interval');
  });

  it('finds a deployment rendered with --out elsewhere through the working-dir label of its containers', async (t) => {
    const home = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(home));
    const elsewhere = join(home, 'ops', 'shop');
    const other = join(home, 'somewhere-else');
    await mkdir(other, { recursive: true });
    const r = await rendered(home, elsewhere);
    const runtime = new FakeRuntime();
    runtime.containersOf.set(NAME, containersFor(r.topology));

    // Not in ./.redis-ha of the other directory, and the engine does not know it: today's hint.
    const missing = await rejection(status({ name: NAME }, { runtime, io: captureIo(other) }));
    assert.equal(missing.exitCode, EXIT.usage);
    assert.match(missing.message, new RegExp(`no rendered deployment in ${join(other, '.redis-ha', NAME)}`));
    assert.match(missing.hint ?? '', /--name \/ --dir/);

    runtime.projectList = [{ name: NAME, workingDir: elsewhere, configFiles: [join(elsewhere, 'compose.yaml')] }];
    const snapshot = await status({ name: NAME }, { runtime, io: captureIo(other) });
    assert.equal(snapshot.deployment, NAME);
    assert.deepEqual(runtime.calls.filter((c) => c.method === 'containers').at(-1)?.args, [NAME]);
  });

  it('confirms an unhealthy verdict with a second snapshot; not when a check is fatal, nor with confirmMs 0', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    const r = await rendered(cwd);
    const looks = async (containers: ReturnType<typeof containersFor>, confirmMs: number) => {
      const runtime = new FakeRuntime();
      runtime.containersOf.set(NAME, containers);
      const snapshot = await status({ name: NAME, confirmMs }, { runtime, io: captureIo(cwd) });
      assert.equal(snapshot.healthy, false, 'nothing answers on the ports');
      return runtime.called('containers').length;
    };
    assert.equal(await looks(containersFor(r.topology), 1), 2, 'unreachable nodes: looked twice');
    assert.equal(await looks(containersFor(r.topology), 0), 1, 'confirmMs 0: once');
    assert.equal(await looks(containersFor(r.topology, { state: 'exited', exitCode: 1 }), 1), 1, 'an exited container is fatal: once');
  });

  it('says the engine is not reachable (exit 3)', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    await rendered(cwd);
    const runtime = new FakeRuntime();
    runtime.script.checkEngine = async () => {
      throw engineDown();
    };
    const err = await rejection(status({ name: NAME }, { runtime, io: captureIo(cwd) }));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /DOCKER_HOST/);
  });
});

describe('liveEngine (the engine status and test-failover talk to)', () => {
  it('on compose: the runtime handed in, its engine checked; no swarm runtime asked for, no hostOf', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    const asked: unknown[] = [];
    const engine = await liveEngine({ runtime, runtimeFor: (...a) => (asked.push(a), runtime) }, cwd, topologyOf('sentinel'), {});
    assert.equal(engine.runtime, runtime);
    assert.equal(engine.hostOf, undefined);
    assert.deepEqual(runtime.called(), ['checkEngine']);
    assert.deepEqual(asked, []);
  });

  it('--target swarm: the swarm runtime for --node-host, its engine checked, each pinned service at its node', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    const swarm = new FakeSwarm(['node1', 'node2', 'node3']);
    const asked: unknown[] = [];
    const topology = topologyOf('sentinel', { swarm: { nodes: ['node1', 'node2', 'node3'] } });
    const engine = await liveEngine(
      { runtime: new FakeRuntime(), runtimeFor: (...a) => (asked.push(a), swarm) },
      cwd,
      topology,
      { target: 'swarm', nodeHost: ['node2=ssh://node2'] },
    );
    assert.equal(engine.runtime, swarm);
    assert.deepEqual(asked, [['swarm', { node2: 'ssh://node2' }]]);
    assert.deepEqual(swarm.called(), ['checkEngine', 'nodes']);
    assert.deepEqual(['redis-1', 'redis-2', 'sentinel-3'].map((s) => engine.hostOf?.(s)), ['127.0.1.1', '127.0.1.2', '127.0.1.3']);
  });

  it('--target swarm with a runtime that reaches one engine: exit 3, nothing asked of it', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-status-');
    t.after(() => removeDir(cwd));
    const single = new FakeRuntime();
    const err = await rejection(liveEngine({ runtime: single, runtimeFor: () => single }, cwd, topologyOf('sentinel'), { target: 'swarm' }));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /targets swarm.*one engine/);
    assert.deepEqual(single.called(), []);
  });
});
