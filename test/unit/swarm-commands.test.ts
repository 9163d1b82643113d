// The swarm paths of the commands in-process against FakeSwarm (a fake multi-node Runtime):
// deploy (placement labels, nodes.json, each node's engine checked, rollback), status (tasks
// and the node addresses probed), cleanup (the stack, its labels, nodes.json), test-failover
// (the swarm runtime and node addresses handed to the scenarios, the report; kill-node and
// partition-node injected and healed node-wide; holds) and backup (the RDB taken at the source
// node's address, through its node's engine). The compose runtime handed beside is never asked
// to change anything. Fake nodes are at 127.0.1.N (loopback: an unanswered probe fails at once).
import type { TakenBackup } from '../../src/operations/backup.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cleanup } from '../../src/commands/cleanup.js';
import { backup } from '../../src/commands/backup.js';
import { deploy } from '../../src/commands/deploy.js';
import { render } from '../../src/commands/render.js';
import { formatStatus, status } from '../../src/commands/status.js';
import { testFailover } from '../../src/commands/test-failover.js';
import { EXIT } from '../../src/errors.js';
import type { FaultContext } from '../../src/failover/fault-context.js';
import { killNode, partitionNode } from '../../src/failover/node-faults.js';
import type { runScenario, ScenarioResult } from '../../src/failover/run.js';
import { keepDown } from '../../src/failover/swarm-holds.js';
import { writeNodeHosts } from '../../src/files/node-hosts.js';
import type { Topology } from '../../src/model/schema.js';
import { HealStack } from '../../src/operations/heal.js';
import type { NodeHosts } from '../../src/runtime/node-hosts.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { requireBinary, startBackground, waitFor } from '../helpers/binaries.js';
import { FakeRuntime, type Call } from '../helpers/fake-runtime.js';
import { FakeSwarm, swarmContainersFor } from '../helpers/fake-swarm.js';
import { captureIo } from '../helpers/io.js';
import { rejection } from '../helpers/rejection.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const IMAGE = 'redis-ha-local/redis:7.0';
const NODES = ['node1', 'node2', 'node3'];
/** Runtime methods that change something: the compose runtime beside the swarm must see none. */
const CHANGES: Call['method'][] = ['up', 'down', 'containerAction', 'removeContainers', 'removeVolume', 'removeNetwork', 'stopServices', 'removeServices', 'copyTo', 'exec'];

/** A topology file targeting swarm. */
async function topologyFile(cwd: string, name: string, portBase: number, extra = ''): Promise<string> {
  const file = join(cwd, `${name}.yaml`);
  await writeFile(file, `preset: sentinel\nname: ${name}\nportBase: ${portBase}\ntarget: swarm\nredis:\n  image: ${IMAGE}\n${extra}`);
  return file;
}

/** The context a command gets from the CLI: the compose runtime, and the factory that makes the swarm one for the hosts asked. */
function contextFor(cwd: string, swarm: FakeSwarm) {
  const compose = new FakeRuntime();
  const asked: [string, NodeHosts | undefined][] = [];
  const runtimeFor = (target: string, hosts?: NodeHosts): Runtime => {
    asked.push([target, hosts]);
    swarm.nodeHosts = { ...hosts };
    return swarm;
  };
  return { compose, asked, ctx: { runtime: compose, runtimeFor, signal: new AbortController().signal, io: captureIo(cwd) } };
}

const changed = (runtime: FakeRuntime) => runtime.called(...CHANGES);

describe('deploy on swarm (FakeSwarm)', () => {
  const NAME = 'sw-unit-deploy';

  it('labels each pinned service onto its node, records the nodes engines, then deploys the stack file', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-deploy-');
    t.after(() => removeDir(cwd));
    const swarm = new FakeSwarm(NODES);
    swarm.localImages.add(IMAGE);
    const { compose, asked, ctx } = contextFor(cwd, swarm);
    const file = await topologyFile(cwd, NAME, 16900);
    const result = await deploy({ file, nodeHost: ['node2=ssh://admin@node2'], wait: false, progress: false }, ctx);

    assert.deepEqual(asked, [['swarm', { node2: 'ssh://admin@node2' }]]);
    assert.deepEqual(changed(compose), []);
    // Every available node's engine is asked its name (a --node-host pointing at another node is caught).
    assert.deepEqual(swarm.calls.filter((c) => c.method === 'engineName').map((c) => c.args[0]).sort(), NODES);
    assert.deepEqual(swarm.called('addNodeLabels', 'up', 'down'), ['addNodeLabels', 'up']);
    assert.match((swarm.calls.find((c) => c.method === 'up')!.args[0] as { file: string }).file, /stack\.yaml$/);
    const labels = Object.fromEntries(swarm.nodeList.map((n) => [n.hostname, Object.keys(n.labels).sort()]));
    assert.deepEqual(labels, {
      node1: [`io.redis-ha.${NAME}.redis-1`, `io.redis-ha.${NAME}.sentinel-1`],
      node2: [`io.redis-ha.${NAME}.redis-2`, `io.redis-ha.${NAME}.sentinel-2`],
      node3: [`io.redis-ha.${NAME}.redis-3`, `io.redis-ha.${NAME}.sentinel-3`],
    });
    const recorded = JSON.parse(await readFile(join(result.dir, 'nodes.json'), 'utf8')) as unknown;
    assert.deepEqual(recorded, { generator: 'redis-ha', nodes: { node2: 'ssh://admin@node2' } });
    // Clients are told each node's address, not the compose host's.
    const at = Object.fromEntries(result.endpoints.map((e) => [e.service, e.address]));
    assert.equal(at['redis-2'], '127.0.1.2:16902');
    assert.equal(at['sentinel-3'], '127.0.1.3:17003');
    assert.equal(result.firstDeploy, true);
  });

  it('a --node-host that reaches another node: exit 3 naming it; nothing labelled, recorded or deployed', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-deploy-');
    t.after(() => removeDir(cwd));
    const swarm = new FakeSwarm(NODES);
    swarm.localImages.add(IMAGE);
    swarm.engineNames.set('node2', 'node3');
    const { ctx } = contextFor(cwd, swarm);
    const err = await rejection(deploy({ file: await topologyFile(cwd, NAME, 16900), wait: false, progress: false }, ctx));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /the engine given for node2 is node3's/);
    assert.deepEqual(swarm.called('addNodeLabels', 'up', 'down'), []);
    assert.equal(existsSync(join(cwd, '.redis-ha', NAME, 'nodes.json')), false);
  });

  it('a first deploy whose stack deploy fails is rolled back: stack removed with its volumes and its placement labels', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-deploy-');
    t.after(() => removeDir(cwd));
    const swarm = new FakeSwarm(NODES);
    swarm.localImages.add(IMAGE);
    swarm.script.up = async () => {
      throw new Error('network sw-unit-deploy_redis-ha: address pool exhausted');
    };
    const { ctx } = contextFor(cwd, swarm);
    const err = await rejection(deploy({ file: await topologyFile(cwd, NAME, 16900), wait: false, progress: false }, ctx));
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /rolled back.*address pool exhausted/);
    assert.deepEqual(swarm.calls.find((c) => c.method === 'down')?.args[1], { volumes: true });
    assert.deepEqual(swarm.nodeList.flatMap((n) => Object.keys(n.labels)), [], 'no label left on any node');
  });
});

describe('status on swarm (FakeSwarm)', () => {
  it('lists the tasks with their nodes and probes each service at its node address', async (t) => {
    const NAME = 'sw-unit-status';
    const cwd = await makeTempDir('redis-ha-swarm-status-');
    t.after(() => removeDir(cwd));
    const { topology } = await render({ file: await topologyFile(cwd, NAME, 16920, 'swarm:\n  nodes: [node1, node2, node3]\n') }, { cwd });
    const swarm = new FakeSwarm(NODES);
    swarm.containersOf.set(NAME, swarmContainersFor(topology, NODES));
    const { compose, ctx } = contextFor(cwd, swarm);
    // redis-3's port at node3's address: the probe must arrive there (not at the compose host).
    const probed: string[] = [];
    const listener = createServer((socket) => (probed.push('redis-3'), socket.destroy()));
    await new Promise<void>((resolve) => listener.listen(16923, '127.0.1.3', resolve));
    t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())));
    const snapshot = await status({ name: NAME, confirmMs: 0 }, ctx);
    assert.deepEqual(compose.called(), [], 'the compose runtime is not asked');
    assert.deepEqual(swarm.called('checkEngine', 'containers'), ['checkEngine', 'containers']);
    assert.deepEqual(snapshot.containers.map((c) => `${c.service}@${c.node}`), ['redis-1@node1', 'redis-2@node2', 'redis-3@node3', 'sentinel-1@node1', 'sentinel-2@node2', 'sentinel-3@node3']);
    assert.match(formatStatus(snapshot), /Tasks:\n {2}redis-1 +node1 +running/);
    assert.deepEqual(snapshot.natMap['redis-2:6379'], { host: '127.0.1.2', port: 16922 });
    assert.ok(probed.length > 0, 'redis-3 was probed at node3');
    assert.equal(snapshot.healthy, false, 'no Redis answers');
  });
});

describe('cleanup on swarm (FakeSwarm)', () => {
  const NAME = 'sw-unit-cleanup';

  /** A rendered stack as a deploy leaves it: tasks on every node, volumes per node, labels, configs, secrets, nodes.json. */
  async function deployedStack(cwd: string) {
    const { topology, files } = await render({ file: await topologyFile(cwd, NAME, 16940) }, { cwd });
    const swarm = new FakeSwarm(NODES);
    swarm.containersOf.set(NAME, swarmContainersFor(topology, NODES));
    swarm.volumesOf.set(NAME, NODES.map((n, i) => `${n}/${NAME}_redis-${i + 1}-data`));
    swarm.networksOf.set(NAME, [`${NAME}_redis-ha`]);
    swarm.objects.config.set(NAME, [`${NAME}_redis-conf-1a2b`]);
    swarm.objects.secret.set(NAME, [`${NAME}_admin-3c4d`]);
    swarm.nodeList.forEach((n, i) => (n.labels[`io.redis-ha.${NAME}.redis-${i + 1}`] = 'true'));
    swarm.nodeList[0]!.labels['io.redis-ha.other.redis-1'] = 'true';
    await writeNodeHosts(files.dir, { node2: 'ssh://admin@node2' });
    return { swarm, dir: files.dir };
  }

  it('removes the stack, its volumes on every node, its placement labels (no other stack\'s) and nodes.json', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-cleanup-');
    t.after(() => removeDir(cwd));
    const { swarm, dir } = await deployedStack(cwd);
    const { compose, asked, ctx } = contextFor(cwd, swarm);
    const [r] = await cleanup({ name: NAME }, ctx);
    assert.deepEqual(asked, [['swarm', { node2: 'ssh://admin@node2' }]], 'the recorded hosts');
    assert.deepEqual(changed(compose), []);
    assert.deepEqual(swarm.calls.find((c) => c.method === 'down')?.args[1], { volumes: true });
    assert.deepEqual(r!.containers, ['redis-1@node1', 'redis-2@node2', 'redis-3@node3', 'sentinel-1@node1', 'sentinel-2@node2', 'sentinel-3@node3']);
    assert.deepEqual(r!.volumes, [`node1/${NAME}_redis-1-data`, `node2/${NAME}_redis-2-data`, `node3/${NAME}_redis-3-data`]);
    assert.deepEqual(r!.configs, [`${NAME}_redis-conf-1a2b`]);
    assert.deepEqual(r!.secrets, [`${NAME}_admin-3c4d`]);
    assert.deepEqual(r!.nodeLabels, [`node1: io.redis-ha.${NAME}.redis-1`, `node2: io.redis-ha.${NAME}.redis-2`, `node3: io.redis-ha.${NAME}.redis-3`]);
    assert.deepEqual(swarm.nodeList.flatMap((n) => Object.keys(n.labels)), ['io.redis-ha.other.redis-1']);
    assert.ok(r!.files.includes('nodes.json'));
    assert.equal(existsSync(join(dir, 'nodes.json')), false);
  });

  it('--keep-data keeps the volumes, the placement labels (the data is there) and nodes.json', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-cleanup-');
    t.after(() => removeDir(cwd));
    const { swarm, dir } = await deployedStack(cwd);
    const [r] = await cleanup({ name: NAME, keepData: true }, contextFor(cwd, swarm).ctx);
    assert.deepEqual(swarm.calls.find((c) => c.method === 'down')?.args[1], { volumes: false });
    assert.deepEqual(r!.volumes, []);
    assert.equal(r!.keptVolumes.length, 3);
    assert.deepEqual(r!.nodeLabels, []);
    assert.equal(swarm.nodeList.flatMap((n) => Object.keys(n.labels)).length, 4);
    assert.equal(existsSync(join(dir, 'nodes.json')), true);
  });
});

describe('test-failover on swarm (FakeSwarm)', () => {
  const NAME = 'sw-unit-tf';

  async function deployedStack(cwd: string) {
    const { topology } = await render({ file: await topologyFile(cwd, NAME, 16960, 'swarm:\n  nodes: [node1, node2, node3]\n') }, { cwd });
    const swarm = new FakeSwarm(NODES);
    swarm.containersOf.set(NAME, swarmContainersFor(topology, NODES));
    return { swarm, topology };
  }

  /** A FaultContext on the fake swarm with redis-1 (on node1) as the master. */
  function faultContext(runtime: FakeRuntime, topology: Topology): FaultContext & { notes: string[] } {
    const notes: string[] = [];
    return {
      topology,
      runtime,
      heal: new HealStack(),
      container: async (service) => (await runtime.containers(topology.name)).find((c) => c.service === service)!,
      oldMaster: 'redis-1',
      replica: 'redis-2',
      note: (line) => notes.push(line),
      notes,
      auth: {},
      host: '127.0.0.1',
      signal: new AbortController().signal,
    };
  }

  /** A passing result as runScenario returns it (the figures do not matter here). */
  const passed = (name: ScenarioResult['scenario']): ScenarioResult => ({
    scenario: name,
    passed: true,
    failures: [],
    expected: 'failover',
    notes: [],
    oldMaster: 'redis-1',
    newMaster: 'redis-2',
    timings: { sdownMs: 900, odownMs: 950, switchMasterMs: 2000, sentinelClientWriteGapMs: 2100, haproxyWriteGapMs: null },
    writes: { acked: 100, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 0 },
    dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 0 },
    rejoin: { oldMasterRole: 'slave', resync: 'partial' },
    keyspace: { consistent: true, nodes: [] },
    durability: 'async',
  });

  it('hands the scenarios the swarm runtime, node addresses and the node-fault modes; writes the report', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-tf-');
    t.after(() => removeDir(cwd));
    const { swarm } = await deployedStack(cwd);
    const { compose, ctx } = contextFor(cwd, swarm);
    const seen: unknown[] = [];
    const scenario: typeof runScenario = async (name, o) => {
      seen.push({ name, swarm: o.runtime === swarm, redis2: o.deployment.hostOf?.('redis-2'), nodeFaults: o.nodeFaults });
      return passed(name);
    };
    const r = await testFailover({ name: NAME, scenario: ['kill-node'], report: 'report.html' }, { ...ctx, runScenario: scenario });
    assert.deepEqual(seen, [{ name: 'kill-node', swarm: true, redis2: '127.0.1.2', nodeFaults: { kill: 'containers', partition: 'network' } }]);
    assert.deepEqual(changed(compose), []);
    assert.equal(r.nodeFault, 'containers');
    assert.equal(r.report, join(cwd, 'report.html'));
    assert.match(await readFile(r.report, 'utf8'), new RegExp(`<html[^]*${NAME}[^]*kill-node`));
  });

  it('kill-node (containers): kills every running container on the master node at once, drains it; healed by reactivating', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-tf-');
    t.after(() => removeDir(cwd));
    const { swarm, topology } = await deployedStack(cwd);
    const ctx = faultContext(swarm, topology);
    await killNode(ctx);
    const ids = (service: string) => swarm.containersOf.get(NAME)!.find((c) => c.service === service)!.id;
    const acts = swarm.calls.filter((c) => c.method === 'containerAction' || c.method === 'setAvailability').map((c) => c.args.slice(0, 2));
    assert.deepEqual(acts, [
      ['kill', ids('redis-1')],
      ['kill', ids('sentinel-1')],
      ['node1', 'drain'],
    ]);
    assert.deepEqual(swarm.nodeList.map((n) => n.availability), ['drain', 'active', 'active']);
    assert.match(ctx.notes.join('\n'), /killed redis-1, sentinel-1 on node1, drained node1/);
    const healed: string[] = [];
    assert.deepEqual(await ctx.heal.runAll((label) => healed.push(label)), []);
    assert.deepEqual(healed, ['reactivate node node1']);
    assert.deepEqual(swarm.calls.at(-1), { method: 'setAvailability', args: ['node1', 'active'] });
    assert.deepEqual(swarm.nodeList.map((n) => n.availability), ['active', 'active', 'active']);
    assert.ok(swarm.containersOf.get(NAME)!.every((c) => c.state === 'running'), 'the node tasks run again');
  });

  it('partition-node (network): cuts the master node containers off the stack network (not ingress); healed by reconnecting, then replacing their tasks', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-tf-');
    t.after(() => removeDir(cwd));
    const { swarm, topology } = await deployedStack(cwd);
    const ctx = faultContext(swarm, topology);
    await partitionNode(ctx);
    const net = `${NAME}_redis-ha`;
    const ids = (service: string) => swarm.containersOf.get(NAME)!.find((c) => c.service === service)!.id;
    assert.deepEqual(swarm.calls.filter((c) => c.method === 'disconnect').map((c) => c.args).sort(), [[net, ids('redis-1')], [net, ids('sentinel-1')]]);
    await ctx.heal.runAll();
    const after = swarm.calls.filter((c) => c.method === 'connect' || (c.method === 'containerAction' && c.args[0] === 'restart'));
    assert.deepEqual(after.map((c) => (c.method === 'connect' ? ['connect', c.args[1], c.args[2]] : ['restart', c.args[1]])), [
      ['connect', ids('sentinel-1'), { aliases: ['sentinel-1'] }],
      ['connect', ids('redis-1'), { aliases: ['redis-1'] }],
      ['restart', ids('redis-1')],
      ['restart', ids('sentinel-1')],
    ]);
  });

  it('node faults on a one-engine runtime: refused before anything is touched', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-tf-');
    t.after(() => removeDir(cwd));
    const { swarm, topology } = await deployedStack(cwd);
    const single = new FakeRuntime();
    single.containersOf.set(NAME, swarm.containersOf.get(NAME)!);
    await assert.rejects(killNode(faultContext(single, topology)), /node faults need a multi-node runtime/);
    assert.deepEqual(changed(single), []);
  });

  it('a killed service is held down on swarm (scaled to 0) and scaled back when healed; nothing to hold on compose', async (t) => {
    const cwd = await makeTempDir('redis-ha-swarm-tf-');
    t.after(() => removeDir(cwd));
    const { swarm, topology } = await deployedStack(cwd);
    swarm.replicas.set(`${NAME}_sentinel-2`, 1);
    const ctx = faultContext(swarm, topology);
    await keepDown(ctx, 'sentinel-2');
    assert.deepEqual(swarm.calls.filter((c) => c.method === 'scaleService').map((c) => c.args), [[NAME, 'sentinel-2', 0]]);
    await ctx.heal.runAll();
    assert.deepEqual(swarm.calls.filter((c) => c.method === 'scaleService').map((c) => c.args.at(-1)), [0, 1]);
    const single = new FakeRuntime();
    const compose = faultContext(single, topology);
    await keepDown(compose, 'sentinel-2');
    assert.equal(compose.heal.size, 0);
    assert.deepEqual(single.calls, []);
  });
});

describe('backup on swarm (FakeSwarm)', () => {
  it("takes the RDB at the source node's address, through that node's engine, and checks it there", async (t) => {
    if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-check-rdb')) return;
    const NAME = 'sw-unit-backup';
    const cwd = await makeTempDir('redis-ha-swarm-backup-');
    t.after(() => removeDir(cwd));
    // One Redis node (basic, no replica), pinned to node2: it answers only at node2's address.
    const file = join(cwd, 'topology.yaml');
    await writeFile(file, `preset: basic\nname: ${NAME}\nreplicas: 0\nportBase: 16980\ntarget: swarm\nswarm:\n  nodes: [node2, node1]\nredis:\n  image: ${IMAGE}\n`);
    const { topology, admin } = await render({ file }, { cwd });
    const data = await makeTempDir('redis-ha-swarm-backup-data-');
    t.after(() => removeDir(data));
    // redis-ha logs in as admin (the rendered secret); the test's redis-cli as the default user.
    const acl = ['--user', 'admin', 'on', `>${admin.password}`, '~*', '&*', '+@all'];
    const redis = startBackground('redis-server', ['--port', '16981', '--bind', '127.0.1.2', '--dir', data, '--save', '', '--appendonly', 'no', ...acl]);
    t.after(() => redis.stop());
    const answers = () => spawnSync('redis-cli', ['-h', '127.0.1.2', '-p', '16981', 'set', 'k1', 'v1']).stdout?.toString().trim() === 'OK';
    assert.ok(await waitFor(answers, 5000), `redis-server did not start: ${redis.output()}`);
    spawnSync('redis-cli', ['-h', '127.0.1.2', '-p', '16981', 'set', 'k2', 'v2']);

    const swarm = new FakeSwarm(['node1', 'node2']);
    swarm.containersOf.set(NAME, swarmContainersFor(topology, ['node2', 'node1']));
    // The container's files are the redis-server's (its --dir); redis-check-rdb runs on what was copied in.
    swarm.script.copyFrom = async (_id, inContainer, hostPath) => copyFile(inContainer, hostPath);
    swarm.script.exec = async (id, argv) => {
      if (argv[0] !== 'redis-check-rdb') return { stdout: '', stderr: '', exitCode: 0 };
      const copied = join(data, 'copied-in.rdb');
      await writeFile(copied, swarm.files.get(`${id}:${argv[1]}`)!);
      const r = spawnSync('redis-check-rdb', [copied], { encoding: 'utf8' });
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 1 };
    };
    const { compose, ctx } = contextFor(cwd, swarm);
    const taken = (await backup({ name: NAME, out: join(cwd, 'b.rdb') }, ctx)) as TakenBackup;

    assert.equal(taken.manifest.source.node, 'redis-1');
    assert.equal(taken.manifest.keys, 2);
    const task = swarm.containersOf.get(NAME)!.find((c) => c.service === 'redis-1')!;
    assert.equal(task.node, 'node2');
    assert.deepEqual(swarm.calls.filter((c) => c.method === 'copyFrom').map((c) => c.args[0]), [task.id]);
    assert.deepEqual(swarm.calls.filter((c) => c.method === 'exec').map((c) => [c.args[0], (c.args[1] as string[])[0]]), [[task.id, 'redis-check-rdb'], [task.id, 'rm']]);
    assert.deepEqual(changed(compose), []);
    assert.ok(existsSync(join(cwd, 'b.rdb')) && existsSync(join(cwd, 'b.rdb.json')));
  });
});
