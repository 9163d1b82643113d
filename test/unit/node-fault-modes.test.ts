// test-failover's whole-node fault modes: --node-fault / --partition values and the scenarios
// they need, the lab-node check that gates `engine` and `link`, and the command refusing them
// (exit 2, nothing run) on a compose deployment.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { labNodeProblems, needsLab, parseNodeFaultModes } from '../../src/commands/node-fault-modes.js';
import { render } from '../../src/commands/render.js';
import { testFailover } from '../../src/commands/test-failover.js';
import { EXIT, RedisHaError, UsageError } from '../../src/errors.js';
import { nodePlan } from '../../src/lab/plan.js';
import { newLabState, nodeStateFrom } from '../../src/lab/state.js';
import type { runScenario } from '../../src/failover/run.js';
import { containersFor, FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const lab = newLabState([1, 2, 3].map((i) => nodeStateFrom(nodePlan(i), {})), []);
const labHosts = Object.fromEntries([1, 2, 3].map((i) => [`node${i}`, nodePlan(i).dockerHost]));
const NODE_SCENARIOS = ['kill-master', 'kill-node', 'partition-node'] as const;

describe('--node-fault / --partition', () => {
  it('default to containers / network, which need no lab', () => {
    const m = parseNodeFaultModes({}, ['kill-master'], 'compose');
    assert.deepEqual(m, { kill: 'containers', partition: 'network' });
    assert.equal(needsLab(m), false);
  });

  it('engine and link are taken when their scenario runs, and need the lab', () => {
    const m = parseNodeFaultModes({ nodeFault: 'engine', partition: 'link' }, NODE_SCENARIOS, 'swarm');
    assert.deepEqual(m, { kill: 'engine', partition: 'link' });
    assert.equal(needsLab(m), true);
    assert.equal(needsLab(parseNodeFaultModes({ partition: 'link' }, ['partition-node'], 'swarm')), true);
  });

  it('refuses unknown values, all named at once', () => {
    assert.throws(
      () => parseNodeFaultModes({ nodeFault: 'power', partition: 'cable' }, NODE_SCENARIOS, 'swarm'),
      (e: unknown) => e instanceof UsageError && /--node-fault power: use containers or engine/.test(e.message) && /--partition cable: use network or link/.test(e.message),
    );
  });

  it('refuses a mode whose scenario the run does not include, saying which scenarios it runs', () => {
    assert.throws(
      () => parseNodeFaultModes({ nodeFault: 'engine' }, ['kill-master', 'partition-node'], 'swarm'),
      (e: unknown) => e instanceof UsageError && /--node-fault engine changes kill-node, which this run does not include \(it runs kill-master, partition-node\)/.test(e.message) && /--scenario kill-node/.test(e.hint ?? ''),
    );
    assert.throws(
      () => parseNodeFaultModes({ partition: 'link' }, ['kill-master'], 'compose'),
      (e: unknown) => e instanceof UsageError && /partition-node runs on swarm only; this deployment targets compose/.test(e.message),
    );
  });
});

describe('lab nodes for engine / link faults', () => {
  it('accepts a swarm of lab nodes reached through their own sockets', () => {
    assert.deepEqual(labNodeProblems(['node1', 'node2', 'node3'], labHosts, lab), []);
  });

  it('names every node that is not a lab node, is reached elsewhere, or when no lab is up', () => {
    assert.deepEqual(labNodeProblems(['node1'], labHosts, undefined), ['no lab is up on this machine (no /run/redis-ha-lab/state.json)']);
    const problems = labNodeProblems(['node1', 'node4', 'db-1', 'node2', 'node3'], { ...labHosts, node2: 'ssh://root@node2', node3: undefined as unknown as string }, lab);
    assert.deepEqual(problems, [
      "node4 is not a node of this machine's lab (node1, node2, node3)",
      "db-1 is not a node of this machine's lab (node1, node2, node3)",
      "node2 is reached through --node-host node2=ssh://root@node2, not the lab's unix:///run/redis-ha-lab/node2/docker.sock",
      "node3 is reached through a Docker context, not the lab's unix:///run/redis-ha-lab/node3/docker.sock",
    ]);
  });
});

describe('test-failover with a whole-node mode on compose', () => {
  it('refuses (exit 2) before any scenario runs', async (t) => {
    const cwd = await makeTempDir('redis-ha-nfm-');
    t.after(() => removeDir(cwd));
    const file = join(cwd, 'topology.yaml');
    await writeFile(file, 'preset: sentinel\nname: rt-unit-nfm\nportBase: 10980\n');
    const r = await render({ file }, { cwd });
    const runtime = new FakeRuntime();
    runtime.containersOf.set('rt-unit-nfm', containersFor(r.topology));
    let ran = 0;
    const scenario: typeof runScenario = async () => {
      ran++;
      throw new Error('must not run');
    };
    const err = await testFailover({ name: 'rt-unit-nfm', nodeFault: 'engine' }, { runtime, io: captureIo(cwd), signal: new AbortController().signal, runScenario: scenario }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RedisHaError);
    assert.equal(err.exitCode, EXIT.usage);
    assert.match(err.message, /kill-node runs on swarm only/);
    assert.equal(ran, 0);
    assert.equal(runtime.calls.filter((c) => c.method === 'containerAction').length, 0);
  });
});
