// `deploy` in-process against a fake Runtime: rollback, --no-wait, the deploy timeout, a
// missing engine, a port held by a restarting container, and Ctrl-C at every stage. Redis
// answers come from a real redis-server on 127.0.0.1 (a basic topology with no replica).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { EXIT } from '../../src/errors.js';
import type { Topology } from '../../src/model/schema.js';
import { requireBinary, startBackground, waitFor, type Background } from '../helpers/binaries.js';
import { containersFor, engineDown, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo, fakeClock, type CapturedIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const NAME = 'rt-unit-deploy';
const PORT_BASE = 10900;
const IMAGE = 'redis-ha-local/redis:7.0';

// The deployment's Redis: a real redis-server on the port the topology publishes, started by
// the fake `up` (as the container would be), so preflight still finds the port free.
let redis: Background | undefined;
async function startRedis(): Promise<void> {
  // The settings the rendered redis.conf sets (AOF in a temp dir): the drift check compares them.
  const dir = await makeTempDir('redis-ha-cmd-deploy-data-');
  redis = startBackground('redis-server', [
    '--port', String(PORT_BASE + 1), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes',
    '--repl-diskless-sync-delay', '0', '--repl-backlog-size', '16mb', '--maxmemory', '256mb',
  ]);
  after(() => removeDir(dir));
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const socket = createConnection(PORT_BASE + 1, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  assert.ok(await waitFor(answers, 5000), `redis-server did not start: ${redis.output()}`);
}
after(async () => redis?.stop());

interface Setup {
  cwd: string;
  io: CapturedIo;
  runtime: FakeRuntime;
  abort: AbortController;
  options: DeployOptions;
}

async function setup(): Promise<Setup> {
  const cwd = await makeTempDir('redis-ha-cmd-deploy-');
  const file = join(cwd, 'topology.yaml');
  await writeFile(file, `preset: basic\nname: ${NAME}\nreplicas: 0\nportBase: ${PORT_BASE}\nauth:\n  enabled: false\nredis:\n  image: ${IMAGE}\n`);
  const runtime = new FakeRuntime();
  runtime.localImages.add(IMAGE);
  // By default `up` starts every service, running and healthy.
  runtime.onUp = (project) => runtime.containersOf.set(project.name, containersFor(topologyOf(cwd)));
  return { cwd, io: captureIo(cwd), runtime, abort: new AbortController(), options: { file, progress: true, timeout: 5 } };
}

let topologies = new Map<string, Topology>();
const topologyOf = (cwd: string) => topologies.get(cwd)!;

async function run(s: Setup, extra: Partial<DeployOptions> = {}, clock = fakeClock()) {
  return deploy({ ...s.options, ...extra }, { runtime: s.runtime, signal: s.abort.signal, io: s.io, clock });
}

describe('deploy against a fake runtime', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
    // The topology the fake `up` creates containers for (rendered by the command itself).
    const { loadTopology } = await import('../../src/model/load.js');
    topologies.set(s.cwd, (await loadTopology({ file: s.options.file })).topology);
  });
  after(() => (topologies = new Map()));
  const cleanupDir = () => removeDir(s.cwd);

  it('deploys and waits until healthy (control: a real redis-server answers)', async (t) => {
    t.after(cleanupDir);
    if (!requireBinary(t, 'redis-server')) return;
    t.after(() => redis?.stop());
    const onUp = s.runtime.onUp!;
    s.runtime.script.up = async (project) => {
      await startRedis();
      onUp(project);
    };
    const result = await run(s);
    assert.equal(result.healthy, true);
    assert.equal(result.firstDeploy, true);
    assert.equal(result.compose, 'v1 1.29.2-fake');
    assert.deepEqual(s.runtime.called('checkEngine', 'checkTool', 'up', 'down').sort(), ['checkEngine', 'checkTool', 'up']);
  });

  it('rolls back a first deploy whose up fails (down with volumes), exit 3', async (t) => {
    t.after(cleanupDir);
    s.runtime.script.up = async () => {
      throw new Error('port is already allocated');
    };
    const err = await rejection(run(s));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /compose up failed for rt-unit-deploy; rolled back .*port is already allocated/);
    const down = s.runtime.calls.find((c) => c.method === 'down');
    assert.deepEqual(down?.args[1], { volumes: true });
  });

  it('does NOT roll back a redeploy whose up fails (the data stays)', async (t) => {
    t.after(cleanupDir);
    s.runtime.containersOf.set(NAME, containersFor(topologyOf(s.cwd)));
    s.runtime.script.up = async () => {
      throw new Error('boom');
    };
    const err = await rejection(run(s, { strategy: 'recreate' }));
    assert.equal(err.exitCode, EXIT.environment);
    assert.doesNotMatch(err.message, /rolled back/);
    assert.deepEqual(s.runtime.called('down'), []);
  });

  it('a rolling redeploy whose up of one node fails: exit 3, names the node, nothing rolled back', async (t) => {
    t.after(cleanupDir);
    // Live containers without the rendered config hash: redis-1 has to be re-created.
    s.runtime.containersOf.set(NAME, containersFor(topologyOf(s.cwd)));
    s.runtime.script.up = async () => {
      throw new Error('boom');
    };
    const err = await rejection(run(s));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /compose up of redis-1 failed during the rolling deploy of rt-unit-deploy .*nothing is rolled back.*boom/);
    const up = s.runtime.calls.filter((c) => c.method === 'up');
    assert.deepEqual(up.map((c) => c.args[1]), [{ services: ['redis-1'], noDeps: true, forceRecreate: true }]);
    assert.deepEqual(s.runtime.called('down', 'removeContainers'), []);
  });

  it('--no-wait returns right after up, polling nothing', async (t) => {
    t.after(cleanupDir);
    const result = await run(s, { wait: false });
    assert.equal(result.waited, false);
    assert.equal(result.healthy, false);
    // containers() once in preflight, never after `up`.
    const afterUp = s.runtime.called().slice(s.runtime.called().indexOf('up') + 1);
    assert.ok(!afterUp.includes('containers'), afterUp.join(', '));
  });

  it('times out (not fatal) naming the failing check, with the container logs from the runtime', async (t) => {
    t.after(cleanupDir);
    s.runtime.onUp = (project) => s.runtime.containersOf.set(project.name, containersFor(topologyOf(s.cwd), { state: 'restarting', health: undefined }));
    s.runtime.logText = 'redis-ha: still starting, line from runtime.logs';
    const clock = fakeClock();
    const err = await rejection(run(s, { timeout: 5 }, clock));
    // On the fake clock (no wall-clock bound: a loaded machine would break it).
    assert.ok(clock.elapsed() >= 5000, `the 5 s wait ran on the fake clock (${clock.elapsed()} ms)`);
    assert.equal(err.exitCode, EXIT.failed);
    assert.match(err.message, /timed out after 5\.0 s waiting for the deployment to become healthy/);
    assert.match(err.message, /failing check: containers/);
    assert.match(err.message, /--- logs of redis-1 \(last 15 lines\) ---\n  redis-ha: still starting, line from runtime.logs/);
    assert.match(err.hint ?? '', /redis-ha cleanup --name rt-unit-deploy/);
    assert.deepEqual(s.runtime.calls.find((c) => c.method === 'logs')?.args, [`${NAME}-redis-1-id0`, { lines: 15 }]);
    assert.deepEqual(s.runtime.called('down'), [], 'a timed-out deployment is left for inspection');
  });

  it('says the engine is missing (exit 3) and starts nothing', async (t) => {
    t.after(cleanupDir);
    s.runtime.script.checkEngine = async () => {
      throw engineDown();
    };
    const err = await rejection(run(s));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /Docker engine is not reachable at .*DOCKER_HOST/);
    assert.deepEqual(s.runtime.called('up', 'down'), []);
  });

  it('refuses a port a restarting container holds (not listening, so a listen test passes), naming the container', async (t) => {
    t.after(cleanupDir);
    s.runtime.held = [{ hostIp: '127.0.0.1', hostPort: PORT_BASE + 1, container: 'other_redis_1', state: 'restarting', project: 'other' }];
    const err = await rejection(run(s));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /port already in use: 127\.0\.0\.1:10901 \(redis-1; held by container other_redis_1, restarting\)/);
    assert.deepEqual(s.runtime.called('up'), []);
  });

  describe('Ctrl-C (the abort signal) at each stage', () => {
    it('during preflight: exit 130, nothing started', async (t) => {
      t.after(cleanupDir);
      s.runtime.script.checkEngine = async () => {
        s.abort.abort();
        return { serverVersion: 'x', apiVersion: '1.41', clientApiVersion: '1.41' };
      };
      const err = await rejection(run(s));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.match(err.message, /interrupted before compose up; nothing was started/);
      assert.deepEqual(s.runtime.called('imageExists', 'pullImage'), [], 'no image work after the abort');
      assert.deepEqual(s.runtime.called('up', 'down'), []);
    });

    it('during an image pull: the pull is cancelled through the signal, exit 130, nothing started', async (t) => {
      t.after(cleanupDir);
      s.runtime.localImages.clear();
      let pullSignal: AbortSignal | undefined;
      s.runtime.script.pullImage = (_image, options) =>
        new Promise((resolve) => {
          pullSignal = options?.signal;
          // A pull that only ends when it is cancelled.
          options?.signal?.addEventListener('abort', () => resolve({ ok: false, message: 'cancelled' }));
          setImmediate(() => s.abort.abort());
        });
      const err = await rejection(run(s));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.equal(pullSignal?.aborted, true, 'the pull received the signal and saw it abort');
      assert.deepEqual(s.runtime.called('up', 'down'), []);
    });

    it('between preflight and up: exit 130, up never runs', async (t) => {
      t.after(cleanupDir);
      // Asked right after preflight passed, just before `up`.
      s.runtime.script.toolVersion = async () => {
        s.abort.abort();
        return 'x';
      };
      const err = await rejection(run(s));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.match(err.message, /interrupted before compose up; nothing was started/);
      assert.deepEqual(s.runtime.called('up'), []);
    });

    it('during up of a first deploy: up is let finish, then rolled back (down with volumes), exit 130', async (t) => {
      t.after(cleanupDir);
      s.runtime.script.up = async () => {
        s.abort.abort();
        await new Promise((r) => setTimeout(r, 5));
      };
      const err = await rejection(run(s));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.match(err.message, /interrupted during compose up; the first deploy of rt-unit-deploy was rolled back/);
      assert.deepEqual(s.runtime.calls.find((c) => c.method === 'down')?.args[1], { volumes: true });
    });

    it('during up of a redeploy: left as it is (no down), exit 130', async (t) => {
      t.after(cleanupDir);
      s.runtime.containersOf.set(NAME, containersFor(topologyOf(s.cwd)));
      s.runtime.script.up = async () => {
        s.abort.abort();
      };
      const err = await rejection(run(s, { strategy: 'recreate' }));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.match(err.message, /left as it is/);
      assert.deepEqual(s.runtime.called('down'), []);
    });

    it('during the wait: stops waiting, leaves the deployment, says how to inspect / remove it, exit 130', async (t) => {
      t.after(cleanupDir);
      s.runtime.onUp = (project) => s.runtime.containersOf.set(project.name, containersFor(topologyOf(s.cwd), { state: 'restarting', health: undefined }));
      let polls = 0;
      const clock = fakeClock();
      const sleep = clock.sleep;
      clock.sleep = async (ms) => {
        if (++polls === 3) s.abort.abort();
        await sleep(ms);
      };
      const err = await rejection(run(s, { timeout: 60 }, clock));
      assert.equal(err.exitCode, EXIT.interrupted);
      assert.match(err.message, /interrupted while waiting for health; deployment rt-unit-deploy is started and left as it is/);
      assert.match(err.hint ?? '', /redis-ha status --name rt-unit-deploy.*redis-ha cleanup --name rt-unit-deploy/);
      assert.ok(clock.elapsed() < 60_000, 'stopped before the timeout');
      assert.deepEqual(s.runtime.called('down'), []);
    });
  });
});

describe('deploy --out elsewhere', () => {
  it('writes the files where asked (status and cleanup find them through the runtime)', async (t) => {
    const s = await setup();
    t.after(() => removeDir(s.cwd));
    const out = join(s.cwd, 'elsewhere');
    await mkdir(out);
    const { loadTopology } = await import('../../src/model/load.js');
    topologies.set(s.cwd, (await loadTopology({ file: s.options.file })).topology);
    const result = await run(s, { out, wait: false });
    assert.equal(result.dir, out);
    assert.ok(existsSync(join(out, 'topology.json')));
    assert.equal((s.runtime.calls.find((c) => c.method === 'up')?.args[0] as { dir: string }).dir, out);
  });
});
