// `cleanup` in-process against a fake Runtime: --keep-files, --keep-data, --all (found by
// label, here outside CI, with no engine), --name found through the working-dir label, a
// missing engine.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cleanup } from '../../src/commands/cleanup.js';
import { removeDeploymentFiles, writeDeployment } from '../../src/files/writer.js';
import { SECRET_NAMES } from '../../src/synth/secrets.js';
import { render } from '../../src/commands/render.js';
import { EXIT } from '../../src/errors.js';
import { containersFor, engineDown, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

async function deployed(runtime: FakeRuntime, cwd: string, name: string, out?: string) {
  const file = join(cwd, `${name}.yaml`);
  await writeFile(file, `preset: basic\nname: ${name}\nreplicas: 1\nportBase: 10960\n`);
  const r = await render({ file, out }, { cwd });
  runtime.containersOf.set(name, containersFor(r.topology));
  runtime.volumesOf.set(name, [`${name}_redis-1-data`, `${name}_redis-2-data`]);
  runtime.networksOf.set(name, [`${name}_redis-ha`]);
  return r.files.dir;
}

describe('cleanup against a fake runtime', () => {
  it('removes containers (gracefully), networks, volumes and the files', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-cleanup-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    const dir = await deployed(runtime, cwd, 'rt-a');
    const [r] = await cleanup({ name: 'rt-a' }, { runtime, io: captureIo(cwd) });
    assert.deepEqual(r!.containers, ['redis-1', 'redis-2']);
    assert.deepEqual(runtime.calls.find((c) => c.method === 'removeContainers')?.args[1], { graceSeconds: 10 });
    assert.deepEqual(runtime.called('removeVolume').length, 2);
    assert.deepEqual(runtime.called('removeNetwork').length, 1);
    assert.ok(!existsSync(dir), 'the deployment directory is gone');
  });

  it('--keep-files leaves every generated file', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-cleanup-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    const dir = await deployed(runtime, cwd, 'rt-b');
    const before = readdirSync(dir, { recursive: true }).sort();
    const [r] = await cleanup({ name: 'rt-b', keepFiles: true }, { runtime, io: captureIo(cwd) });
    assert.deepEqual(r!.files, []);
    assert.deepEqual(readdirSync(dir, { recursive: true }).sort(), before);
    assert.deepEqual(runtime.called('removeVolume').length, 2, 'the engine side is still removed');
  });

  it('--keep-data keeps the volumes and the secrets (secrets/<user>), removes the rest', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-cleanup-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    const dir = await deployed(runtime, cwd, 'rt-c');
    const [r] = await cleanup({ name: 'rt-c', keepData: true }, { runtime, io: captureIo(cwd) });
    assert.deepEqual(runtime.called('removeVolume'), []);
    assert.deepEqual(r!.keptVolumes, ['rt-c_redis-1-data', 'rt-c_redis-2-data']);
    assert.deepEqual(readdirSync(dir).sort(), ['.redis-ha-manifest.json', 'secrets']);
    assert.deepEqual(readdirSync(join(dir, 'secrets')).sort(), [...SECRET_NAMES].sort(), 'every user secret, and nothing derived from them');
    assert.deepEqual(runtime.called('removeContainers'), ['removeContainers']);
  });

  it('--all removes every project the engine labels as redis-ha, with files in their recorded working dirs', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-cleanup-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    await deployed(runtime, cwd, 'rt-d');
    const elsewhere = await deployed(runtime, cwd, 'rt-e', join(cwd, 'ops', 'rt-e'));
    // rt-f: only a volume left (a --keep-data cleanup), no directory anywhere.
    runtime.volumesOf.set('rt-f', ['rt-f_redis-1-data']);
    runtime.projectList = [{ name: 'rt-d' }, { name: 'rt-e', workingDir: elsewhere }, { name: 'rt-f' }];
    const results = await cleanup({ all: true }, { runtime, io: captureIo(cwd) });
    assert.deepEqual(results.map((r) => r.deployment), ['rt-d', 'rt-e', 'rt-f']);
    assert.ok(!existsSync(elsewhere), 'files found through the working-dir label are removed');
    assert.ok(!existsSync(join(cwd, '.redis-ha', 'rt-d')));
    assert.deepEqual(results[2]!.volumes, ['rt-f_redis-1-data']);
    assert.deepEqual([...runtime.volumesOf.values()].flat(), []);
  });

  it('--name finds a deployment rendered elsewhere through the working-dir label', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-cleanup-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    const elsewhere = await deployed(runtime, cwd, 'rt-g', join(cwd, 'ops', 'rt-g'));
    runtime.projectList = [{ name: 'rt-g', workingDir: elsewhere }];
    const [r] = await cleanup({ name: 'rt-g' }, { runtime, io: captureIo(join(cwd, 'ops')) });
    assert.ok(r!.files.length > 5, `files removed: ${r!.files.join(', ')}`);
    assert.ok(!existsSync(elsewhere));
  });

  it('says the engine is not reachable (exit 3) and removes nothing', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-cleanup-');
    t.after(() => removeDir(cwd));
    const runtime = new FakeRuntime();
    const dir = await deployed(runtime, cwd, 'rt-h');
    runtime.script.checkEngine = async () => {
      throw engineDown();
    };
    const err = await rejection(cleanup({ name: 'rt-h' }, { runtime, io: captureIo(cwd) }));
    assert.equal(err.exitCode, EXIT.environment);
    assert.ok(existsSync(join(dir, 'topology.json')));
    assert.deepEqual(runtime.called('removeContainers', 'removeVolume', 'removeNetwork'), []);
  });
});

describe('removing a deployment\'s files (removeDeploymentFiles)', () => {
  it('removes nested directories it emptied, up to the deployment directory; a user\'s file keeps its directory', async (t) => {
    const root = await makeTempDir('redis-ha-remove-');
    t.after(() => removeDir(root));
    const dir = join(root, 'd');
    await writeDeployment(dir, new Map([['monitoring/provisioning/datasources/prometheus.yaml', 'x'], ['monitoring/provisioning/dashboards/d.json', 'y'], ['stack.yaml', 'z'], ['redis/redis-1.conf', 'c']]));
    await writeFile(join(dir, 'redis', 'mine.txt'), 'user file');
    await removeDeploymentFiles(dir);
    assert.deepEqual(readdirSync(dir), ['redis'], 'monitoring/ and its subdirectories are gone');
    assert.deepEqual(readdirSync(join(dir, 'redis')), ['mine.txt']);
  });
});
