// rotate-secrets without an engine: the plan and its refusals, the rotation state in the
// secret files (also after an interrupted switch), what the rendered files carry during a
// rotation, the in-place secret write, the table of where each user lives against the
// templates, and the command refusing (exit 1, nothing written, no action) when a service is
// not running.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { render } from '../../src/commands/render.js';
import { rotateSecrets } from '../../src/commands/rotate-secrets.js';
import { EXIT, RedisHaError } from '../../src/errors.js';
import { loadOrCreateSecrets, writeDeployment, writeSecretFiles } from '../../src/files/writer.js';
import { planRotation, SECRET_USES } from '../../src/operations/rotate-secrets-plan.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { aclHash, type Rotations, SECRET_NAMES } from '../../src/synth/secrets.js';
import { COMPOSE_FILE, synthesize } from '../../src/synth/synthesize.js';
import { containersFor, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const ACTIONS: (keyof Runtime)[] = ['containerAction', 'copyTo', 'exec', 'up', 'down', 'stopServices', 'removeServices', 'removeContainers', 'removeVolume', 'removeNetwork', 'disconnect', 'connect'];
const NEW = 'n'.repeat(43);

function refusal(fn: () => unknown): RedisHaError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RedisHaError, String(err));
    return err;
  }
  return assert.fail('expected a refusal');
}

describe('planRotation', () => {
  const full = topologyOf('full');
  const added: Rotations = { app: { phase: 'added', old: FIXED_SECRETS.app, new: NEW } };
  const switched: Rotations = { app: { phase: 'switched', old: FIXED_SECRETS.app, new: NEW } };

  it('starts every user by default, or the ones named (in the fixed order)', () => {
    assert.deepEqual(planRotation({ topology: full, finish: false, inProgress: {} }), { users: [...SECRET_NAMES], begin: [...SECRET_NAMES] });
    assert.deepEqual(planRotation({ topology: full, users: ['health', 'app'], finish: false, inProgress: {} }), { users: ['app', 'health'], begin: ['app', 'health'] });
  });

  it('resumes a rotation in progress without starting it again', () => {
    assert.deepEqual(planRotation({ topology: full, finish: false, inProgress: added }), { users: ['app'], begin: [] });
    assert.deepEqual(planRotation({ topology: full, users: ['app'], finish: false, inProgress: switched }), { users: ['app'], begin: [] });
  });

  it('plans a swarm deployment as a compose one (its rollout is the command\'s)', () => {
    assert.deepEqual(planRotation({ topology: topologyOf('full', { target: 'swarm' }), finish: false, inProgress: {} }), { users: [...SECRET_NAMES], begin: [...SECRET_NAMES] });
  });

  it('finishes the switched users', () => {
    assert.deepEqual(planRotation({ topology: full, finish: true, inProgress: switched }), { users: ['app'], begin: [] });
  });

  for (const [what, request, message, exit] of [
    ['auth disabled', { topology: topologyOf('full', { auth: { enabled: false } }), finish: false, inProgress: {} }, /has no users/, EXIT.usage],
    ['an unknown user', { topology: full, users: ['root'], finish: false, inProgress: {} }, /--user root: no such user/, EXIT.usage],
    ['--finish with nothing in progress', { topology: full, finish: true, inProgress: {} }, /nothing to finish/, EXIT.usage],
    ['--finish of a user not in progress', { topology: full, users: ['health'], finish: true, inProgress: switched }, /--finish --user health: no rotation/, EXIT.usage],
    ['--finish before the consumers were moved', { topology: full, finish: true, inProgress: added }, /interrupted before its consumers were moved.*would lock them out/, EXIT.usage],
    ['a new user while another rotation is in progress', { topology: full, users: ['health'], finish: false, inProgress: switched }, /rotation of app is in progress; health cannot start/, EXIT.usage],
  ] as const) {
    it(`refuses ${what}`, () => {
      const err = refusal(() => planRotation(request as unknown as Parameters<typeof planRotation>[0]));
      assert.match(err.message, message);
      assert.equal(err.exitCode, exit);
      assert.ok(err.hint, 'says what to do');
    });
  }
});

describe('rotation state and rendered files', () => {
  const t = topologyOf('full');

  it('SECRET_USES says where each user is defined, as the templates do', () => {
    const files = synthesize(t, FIXED_SECRETS);
    const redis = files.get('redis/redis-1.conf')!;
    const sentinel = files.get('sentinel/sentinel-1.conf')!;
    for (const n of SECRET_NAMES) {
      assert.equal(new RegExp(`^user ${n} on `, 'm').test(redis), SECRET_USES[n].redis, `${n} in redis.conf`);
      assert.equal(new RegExp(`^user ${n} on `, 'm').test(sentinel), SECRET_USES[n].sentinel, `${n} in sentinel.conf`);
    }
  });

  it('during a rotation the configs accept both passwords, the other one is in .next / .old, and the config-hash labels do not change', () => {
    const plain = synthesize(t, FIXED_SECRETS);
    const rotating = synthesize(t, { ...FIXED_SECRETS, health: NEW }, {
      app: { phase: 'added', old: FIXED_SECRETS.app, new: NEW },
      health: { phase: 'switched', old: FIXED_SECRETS.health, new: NEW },
    });
    for (const conf of ['redis/redis-2.conf', 'sentinel/sentinel-3.conf']) {
      assert.match(rotating.get(conf)!, new RegExp(`^user app on #${aclHash(FIXED_SECRETS.app)} #${aclHash(NEW)} `, 'm'), conf);
      assert.match(rotating.get(conf)!, new RegExp(`^user health on #${aclHash(FIXED_SECRETS.health)} #${aclHash(NEW)} `, 'm'), conf);
    }
    assert.equal(rotating.get('secrets/app'), `${FIXED_SECRETS.app}\n`, 'added: consumers still read the old one');
    assert.equal(rotating.get('secrets/app.next'), `${NEW}\n`);
    assert.equal(rotating.get('secrets/health'), `${NEW}\n`, 'switched: consumers read the new one');
    assert.equal(rotating.get('secrets/health.old'), `${FIXED_SECRETS.health}\n`);
    const keys = [...rotating.keys()];
    assert.ok(keys.indexOf('secrets/health.old') < keys.indexOf('secrets/health'), '.old is written before secrets/health is overwritten');
    const labels = (text: string) => text.match(/config-hash: \S+/g);
    assert.deepEqual(labels(rotating.get(COMPOSE_FILE)!), labels(plain.get(COMPOSE_FILE)!));
  });

  it('reads the rotation back from the files, also after a switch interrupted halfway', async (t) => {
    const dir = await makeTempDir('redis-ha-rotate-');
    t.after(() => removeDir(dir));
    await writeDeployment(dir, synthesize(topologyOf('full'), FIXED_SECRETS, { app: { phase: 'added', old: FIXED_SECRETS.app, new: NEW } }));
    let state = await loadOrCreateSecrets(dir);
    assert.deepEqual(state.rotations, { app: { phase: 'added', old: FIXED_SECRETS.app, new: NEW } });
    assert.equal(state.secrets.app, FIXED_SECRETS.app);
    // Interrupted: .old written and secrets/app overwritten, .next not yet removed.
    await writeFile(join(dir, 'secrets/app.old'), `${FIXED_SECRETS.app}\n`);
    await writeFile(join(dir, 'secrets/app'), `${NEW}\n`);
    state = await loadOrCreateSecrets(dir);
    assert.deepEqual(state.rotations.app, { phase: 'added', old: FIXED_SECRETS.app, new: NEW }, 'the old one comes from .old, the switch is redone');
    await writeDeployment(dir, synthesize(topologyOf('full'), { ...state.secrets, app: NEW }, { app: { phase: 'switched', old: FIXED_SECRETS.app, new: NEW } }), { force: true });
    state = await loadOrCreateSecrets(dir);
    assert.equal(state.rotations.app?.phase, 'switched');
    assert.equal(state.rotations.app?.old, FIXED_SECRETS.app);
    assert.equal(existsSync(join(dir, 'secrets/app.next')), false, '.next is gone once switched');
  });

  it('overwrites an existing secret file in place (the same inode: compose bind-mounts it)', async (t) => {
    const dir = await makeTempDir('redis-ha-rotate-');
    t.after(() => removeDir(dir));
    await writeDeployment(dir, synthesize(topologyOf('full'), FIXED_SECRETS));
    const inode = statSync(join(dir, 'secrets/health')).ino;
    const configInode = statSync(join(dir, 'redis/redis-1.conf')).ino;
    await writeDeployment(dir, synthesize(topologyOf('full'), { ...FIXED_SECRETS, health: NEW }));
    assert.equal(await readFile(join(dir, 'secrets/health'), 'utf8'), `${NEW}\n`);
    assert.equal(statSync(join(dir, 'secrets/health')).ino, inode, 'same inode');
    assert.equal(statSync(join(dir, 'secrets/health')).mode & 0o777, 0o644);
    assert.notEqual(statSync(join(dir, 'redis/redis-1.conf')).ino, configInode, 'other files are still replaced by rename');
  });
});

describe('rotate-secrets against a fake runtime', () => {
  it('refuses (exit 1) when a service is not running, before anything is written or done', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-rotate-');
    t.after(() => removeDir(cwd));
    const rendered = await render({ preset: 'full', name: 'rs-unit', portBase: 18900 } as never, { cwd });
    const runtime = new FakeRuntime();
    const containers = containersFor(rendered.topology);
    containers.find((c) => c.service === 'redis-2')!.state = 'exited';
    runtime.containersOf.set('rs-unit', containers);
    const before = await readFile(join(cwd, '.redis-ha/rs-unit/secrets/app'), 'utf8');
    const err = await rejection(rotateSecrets({ name: 'rs-unit' }, { runtime, io: captureIo(cwd), signal: new AbortController().signal }));
    assert.equal(err.exitCode, EXIT.failed);
    assert.match(err.message, /needs every service of rs-unit running; not running: redis-2/);
    assert.equal(await readFile(join(cwd, '.redis-ha/rs-unit/secrets/app'), 'utf8'), before);
    assert.equal(existsSync(join(cwd, '.redis-ha/rs-unit/secrets/app.next')), false, 'no rotation begun');
    assert.deepEqual(runtime.called(...ACTIONS), []);
  });

  it('refuses --finish (exit 2) when no rotation is in progress, without asking the engine', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-rotate-');
    t.after(() => removeDir(cwd));
    await render({ preset: 'full', name: 'rs-unit', portBase: 18900 } as never, { cwd });
    const runtime = new FakeRuntime();
    const err = await rejection(rotateSecrets({ name: 'rs-unit', finish: true }, { runtime, io: captureIo(cwd), signal: new AbortController().signal }));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /nothing to finish/);
    assert.deepEqual(runtime.called(), [], 'the engine was not asked');
  });
  it('with TLS: refuses (exit 2) a missing certificate file before asking the engine; begun, it keeps every TLS file as it was', async (t) => {
    const cwd = await makeTempDir('redis-ha-cmd-rotate-');
    t.after(() => removeDir(cwd));
    const rendered = await render({ preset: 'full', name: 'rs-unit', portBase: 18900, tls: true } as never, { cwd });
    const dir = join(cwd, '.redis-ha/rs-unit');
    const key = await readFile(join(dir, 'tls/haproxy.key'), 'utf8');
    await rm(join(dir, 'tls/haproxy.key'));
    const missing = new FakeRuntime();
    const err = await rejection(rotateSecrets({ name: 'rs-unit' }, { runtime: missing, io: captureIo(cwd), signal: new AbortController().signal }));
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /speaks TLS, but .*tls\/haproxy\.key is missing/);
    assert.deepEqual(missing.called(), [], 'the engine was not asked');
    assert.equal(existsSync(join(dir, 'secrets/app.next')), false);

    await writeFile(join(dir, 'tls/haproxy.key'), key);
    const tlsBefore = Object.fromEntries(await Promise.all(['ca.crt', 'ca.key', 'redis-1.crt', 'redis-1.key', 'haproxy.crt', 'haproxy.key'].map(async (f) => [f, await readFile(join(dir, 'tls', f), 'utf8')])));
    const runtime = new FakeRuntime();
    runtime.containersOf.set('rs-unit', containersFor(rendered.topology));
    // Nothing listens on the deployment's ports here: the rotation stops at its first login,
    // after the new secrets and configs were written with the TLS files synthesize needs.
    await rotateSecrets({ name: 'rs-unit', user: ['app'] }, { runtime, io: captureIo(cwd), signal: new AbortController().signal }).then(
      () => assert.fail('expected the first login to fail'),
      (e: unknown) => assert.doesNotMatch(String(e), /needs the TLS files/),
    );
    assert.ok(existsSync(join(dir, 'secrets/app.next')), 'the rotation began: secrets/app.next written');
    for (const [f, text] of Object.entries(tlsBefore)) assert.equal(await readFile(join(dir, 'tls', f), 'utf8'), text, `tls/${f} unchanged`);
  });

  it('on swarm a rotation writes the secret files only: the stack file keeps saying what runs until the rollout renders it', async (t) => {
    const dir = await makeTempDir('redis-ha-rotate-swarm-');
    t.after(() => removeDir(dir));
    const swarm = topologyOf('full', { target: 'swarm' });
    await writeDeployment(dir, synthesize(swarm, FIXED_SECRETS));
    const stack = await readFile(join(dir, 'stack.yaml'), 'utf8');
    const conf = await readFile(join(dir, 'redis/redis-1.conf'), 'utf8');
    const added: Rotations = { app: { phase: 'added', old: FIXED_SECRETS.app, new: NEW } };
    await writeSecretFiles(dir, synthesize(swarm, FIXED_SECRETS, added));
    assert.equal(await readFile(join(dir, 'secrets/app.next'), 'utf8'), `${NEW}\n`);
    assert.equal(await readFile(join(dir, 'stack.yaml'), 'utf8'), stack, 'stack.yaml untouched');
    assert.equal(await readFile(join(dir, 'redis/redis-1.conf'), 'utf8'), conf, 'configs untouched');
    assert.deepEqual((await loadOrCreateSecrets(dir)).rotations, added, 'the state reads back');

    const switched: Rotations = { app: { phase: 'switched', old: FIXED_SECRETS.app, new: NEW } };
    await writeSecretFiles(dir, synthesize(swarm, { ...FIXED_SECRETS, app: NEW }, switched));
    assert.equal(existsSync(join(dir, 'secrets/app.next')), false, '.next gone once switched');
    assert.equal(await readFile(join(dir, 'secrets/app'), 'utf8'), `${NEW}\n`);
    assert.equal(await readFile(join(dir, 'secrets/app.old'), 'utf8'), `${FIXED_SECRETS.app}\n`);
    assert.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700, 'secrets/ stays private');
    // The render of the rollout then writes into the directory without calling .old foreign.
    await writeDeployment(dir, synthesize(swarm, { ...FIXED_SECRETS, app: NEW }, switched));
    assert.notEqual(await readFile(join(dir, 'stack.yaml'), 'utf8'), stack, 'the rollout\'s render writes a new stack file');

    await writeSecretFiles(dir, synthesize(swarm, { ...FIXED_SECRETS, app: NEW }));
    assert.equal(existsSync(join(dir, 'secrets/app.old')), false, '.old gone at --finish');
  });
});
