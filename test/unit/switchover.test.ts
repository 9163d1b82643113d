// The switchover's decisions without a live deployment: every refusal (exit 2 for bad input,
// exit 1 for a state that cannot be switched), the target and the replicas steered away, the
// Sentinel asked, the command refusing a preset without Sentinels before it contacts anything, and
// the pause lease against a fake connection (renewed until the unpause, undone only while paused).
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { render } from '../../src/commands/render.js';
import { switchover } from '../../src/commands/switchover.js';
import { EXIT, RedisHaError } from '../../src/errors.js';
import { loadTopology } from '../../src/model/load.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { FakeSwarm } from '../helpers/fake-swarm.js';
import { captureIo } from '../helpers/io.js';
import { majorityMaster, planSwitchover, supportsPauseWrite, type LiveView, type NodeView } from '../../src/operations/switchover-plan.js';
import { PAUSE_LEASE_MS, PauseLease } from '../../src/operations/switchover.js';

const topology = async (preset: string) => (await loadTopology({ preset })).topology;

const replica = (name: string, over: Partial<NodeView> = {}): NodeView => ({
  name,
  reachable: true,
  role: 'slave',
  masterAddress: 'redis-1:6379',
  linkUp: true,
  offset: 1000,
  priority: 100,
  version: '7.0.15',
  ...over,
});

const healthy = (over: Partial<Record<string, Partial<NodeView>>> = {}, sentinels?: (string | undefined)[]): LiveView => ({
  nodes: [
    { name: 'redis-1', reachable: true, role: 'master', offset: 1000, version: '7.0.15', ...over['redis-1'] },
    replica('redis-2', over['redis-2']),
    replica('redis-3', over['redis-3']),
  ],
  sentinels: (sentinels ?? ['redis-1', 'redis-1', 'redis-1']).map((master, i) => ({ name: `sentinel-${i + 1}`, master })),
});

/** Asserts `fn` throws a RedisHaError with this exit code and a message (plus hint) matching `re`. */
function refuses(fn: () => unknown, exitCode: number, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RedisHaError, `not a RedisHaError: ${String(err)}`);
    assert.equal(err.exitCode, exitCode, err.message);
    assert.match(`${err.message} (hint: ${err.hint ?? ''})`, re);
    return true;
  });
}

describe('switchover plan: refusals', () => {
  it('refuses a preset without Sentinels (exit 2)', async () => {
    const t = await topology('basic');
    refuses(() => planSwitchover(t, healthy(), undefined), EXIT.usage, /no Sentinels/);
  });

  it('refuses --to naming the current master, an unknown node, an unlinked or unpromotable replica (exit 2)', async () => {
    const t = await topology('sentinel');
    refuses(() => planSwitchover(t, healthy(), 'redis-1'), EXIT.usage, /redis-1 is the current master/);
    refuses(() => planSwitchover(t, healthy(), 'redis-7'), EXIT.usage, /no such Redis node.*hint: choose one of: redis-1, redis-2, redis-3/);
    refuses(() => planSwitchover(t, healthy({ 'redis-3': { linkUp: false } }), 'redis-3'), EXIT.usage, /not a linked replica.*link down/);
    refuses(() => planSwitchover(t, healthy({ 'redis-3': { masterAddress: 'redis-2:6379' } }), 'redis-3'), EXIT.usage, /replicates from redis-2:6379/);
    refuses(() => planSwitchover(t, healthy({ 'redis-3': { reachable: false, error: 'ECONNREFUSED' } }), 'redis-3'), EXIT.usage, /does not answer \(ECONNREFUSED\)/);
    refuses(() => planSwitchover(t, healthy({ 'redis-3': { priority: 0 } }), 'redis-3'), EXIT.usage, /replica-priority 0/);
  });

  it('fails (exit 1, nothing changed) without a Sentinel majority, with a master that is not master, an old Redis, or no promotable replica', async () => {
    const t = await topology('sentinel');
    refuses(() => planSwitchover(t, healthy({}, ['redis-1', 'redis-2', undefined]), undefined), EXIT.failed, /no majority of the 3 Sentinels/);
    refuses(() => planSwitchover(t, healthy({ 'redis-1': { role: 'slave' } }), undefined), EXIT.failed, /says role slave/);
    refuses(() => planSwitchover(t, healthy({ 'redis-1': { version: '6.0.16' } }), undefined), EXIT.failed, /Redis 6\.0\.16.*6\.2/);
    refuses(() => planSwitchover(t, healthy({ 'redis-2': { linkUp: false }, 'redis-3': { priority: 0 } }), undefined), EXIT.failed, /no replica of redis-1 can be promoted/);
  });
});

describe('switchover plan: choices', () => {
  it('with --to: promotes only the target and steers every other promotable replica away', async () => {
    const t = await topology('sentinel');
    const plan = planSwitchover(t, healthy(), 'redis-3');
    assert.deepEqual(plan, { oldMaster: 'redis-1', target: 'redis-3', acceptable: ['redis-3'], steer: ['redis-2'], sentinel: 'sentinel-1', expected: 'redis-3' });
  });

  it('without --to: every linked promotable replica is acceptable, the most up-to-date expected; an unlinked one is steered away', async () => {
    const t = await topology('sentinel');
    const plan = planSwitchover(t, healthy({ 'redis-2': { offset: 900 } }), undefined);
    assert.deepEqual(plan.acceptable, ['redis-2', 'redis-3']);
    assert.equal(plan.expected, 'redis-3');
    assert.deepEqual(plan.steer, []);
    const tie = planSwitchover(t, healthy({ 'redis-2': { priority: 50 } }), undefined);
    assert.equal(tie.expected, 'redis-2', 'same offset: the lower replica-priority first');
    const unlinked = planSwitchover(t, healthy({ 'redis-2': { linkUp: false } }), undefined);
    assert.deepEqual(unlinked.acceptable, ['redis-3']);
    assert.deepEqual(unlinked.steer, ['redis-2']);
  });

  it('asks the first Sentinel that names the master', async () => {
    const t = await topology('sentinel');
    assert.equal(planSwitchover(t, healthy({}, [undefined, 'redis-1', 'redis-1']), undefined).sentinel, 'sentinel-2');
  });

  it('counts a majority of the configured Sentinels, and knows which Redis has CLIENT PAUSE WRITE', () => {
    const s = (...m: (string | undefined)[]) => m.map((master, i) => ({ name: `sentinel-${i}`, master }));
    assert.equal(majorityMaster(s('redis-2', 'redis-2', 'redis-1'), 3), 'redis-2');
    assert.equal(majorityMaster(s('redis-2', undefined, undefined), 3), undefined);
    assert.equal(majorityMaster(s('redis-2', 'redis-2'), 4), undefined);
    assert.deepEqual(['6.0.9', '6.2.0', '7.0.15', '10.0.0', undefined].map(supportsPauseWrite), [false, true, true, true, false]);
  });
});

describe('switchover command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a basic deployment with exit 2 before contacting anything', async () => {
    const out = join(dir, 'basic');
    await render({ preset: 'basic', name: 'sw-unit', out }, { cwd: dir });
    const runtime = new FakeRuntime();
    const io = captureIo(dir);
    await assert.rejects(
      switchover({ dir: out }, { runtime, signal: new AbortController().signal, io }),
      (err: unknown) => err instanceof RedisHaError && err.exitCode === EXIT.usage && /no Sentinels/.test(err.message),
    );
    assert.equal(io.err(), '', 'nothing was read from the deployment');
    assert.deepEqual(runtime.calls, [], 'the engine was not asked anything');
  });

  it('on swarm: a drained or down node fails it (exit 1) naming the node, before anything is changed', async () => {
    const out = join(dir, 'swarm');
    await render({ preset: 'sentinel', name: 'sw-unit-swarm', target: 'swarm', out }, { cwd: dir });
    const runtime = new FakeSwarm();
    runtime.nodeList[1]!.availability = 'drain';
    runtime.nodeList[2]!.state = 'down';
    const io = captureIo(dir);
    await assert.rejects(
      switchover({ dir: out }, { runtime, signal: new AbortController().signal, io }),
      (err: unknown) =>
        err instanceof RedisHaError &&
        err.exitCode === EXIT.failed &&
        /node node2 is drain, node node3 is down; no switchover of sw-unit-swarm while a node is not ready and active \(nothing was changed\)/.test(err.message) &&
        /--availability active/.test(err.hint ?? ''),
    );
    assert.equal(io.err(), '', 'no step was run');
    assert.deepEqual(runtime.calls.map((c) => c.method).filter((m) => m !== 'checkEngine' && m !== 'nodes'), [], 'the engine was only asked for its nodes');
  });

  it('refuses a malformed --to and an out-of-range --timeout with exit 2', async () => {
    const ctx = { runtime: new FakeRuntime(), io: captureIo(dir), signal: new AbortController().signal };
    await assert.rejects(switchover({ dir, to: 'master' }, ctx), (e: unknown) => e instanceof RedisHaError && e.exitCode === EXIT.usage && /redis-2/.test(e.message));
    await assert.rejects(switchover({ dir, timeout: 1 }, ctx), (e: unknown) => e instanceof RedisHaError && e.exitCode === EXIT.usage && /--timeout/.test(e.message));
  });
});

describe('the pause lease', () => {
  const fakeMaster = (calls: string[]) => ({ call: async (...args: string[]) => void calls.push(args.join(' ')) }) as unknown as Redis;

  it('pauses, renews until the unpause and not after, and says what became of the writes', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const calls: string[] = [];
    const lease = new PauseLease(async () => fakeMaster(calls));
    assert.equal(lease.describe('redis-1'), 'writes were never paused');
    await lease.pause(fakeMaster(calls));
    assert.deepEqual(calls, [`CLIENT PAUSE ${PAUSE_LEASE_MS} WRITE`]);
    assert.match(lease.describe('redis-1'), /writes on redis-1 may stay paused until the lease ends/);
    t.mock.timers.tick(PAUSE_LEASE_MS);
    const renewals = calls.length - 1;
    assert.ok(renewals >= 1, 'renewed before the lease ran out');
    assert.ok(calls.every((c) => c === `CLIENT PAUSE ${PAUSE_LEASE_MS} WRITE`), calls.join(', '));
    await lease.unpause();
    assert.equal(calls.at(-1), 'CLIENT UNPAUSE');
    t.mock.timers.tick(3 * PAUSE_LEASE_MS);
    assert.equal(calls.length, renewals + 2, 'no renewal after the unpause');
    assert.equal(lease.describe('redis-1'), 'writes on redis-1 unpaused');
  });

  it('its undo unpauses only what is still paused, after what must come first', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const calls: string[] = [];
    const lease = new PauseLease(async () => fakeMaster(calls));
    const undo = lease.undo(async () => void calls.push('before'));
    await undo();
    assert.deepEqual(calls, [], 'never paused: nothing to undo');
    await lease.pause(fakeMaster(calls));
    await undo();
    assert.deepEqual(calls, [`CLIENT PAUSE ${PAUSE_LEASE_MS} WRITE`, 'before', 'CLIENT UNPAUSE']);
    await undo();
    assert.equal(calls.length, 3, 'unpaused already: nothing more');
  });
});
