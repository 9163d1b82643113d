// The cluster preset on the real Docker engine: deploy 3 x 1, a host-side ioredis Cluster with
// the printed natMap across every slot, a redeploy that leaves the cluster as it is, a restart
// of every node (compose restart) after which the cluster comes back whole, the containers
// removed and deployed again with their volumes (new addresses, same cluster), and a shard master
// killed (docker kill) while a client writes: its replica takes over and the writes go on.
// `after` removes the deployment (through the CLI, then by label), also when a test fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import type { DeployResult } from '../../src/commands/deploy.js';
import type { StatusSnapshot } from '../../src/health/status.js';
import type { Topology } from '../../src/model/schema.js';
import { clusterClientOptions, clusterStartupNodes } from '../../src/probes/cluster-client.js';
import type { Credentials } from '../../src/probes/connect.js';
import {
  IMAGE_FLAGS,
  containerId,
  dockerAnswers,
  dockerSuiteSkip,
  forceRemoveProject,
  projectContainerIds,
  projectResources,
  requireDocker,
  runCli,
  tempWorkdir,
} from '../helpers/docker.js';

const TEST_TIMEOUT = 300_000;
const NAME = 'cl-it-cluster';
const PORT_BASE = 23100;
const KEYS = 3000;

const readUser = (dir: string, username: string): Credentials => ({ username, password: readFileSync(join(dir, 'secrets', username), 'utf8').trim() });

async function deploy(cwd: string, name = NAME, portBase = PORT_BASE, extra: string[] = []): Promise<DeployResult> {
  const r = await runCli(['deploy', 'cluster', '--name', name, '--port-base', String(portBase), '--profile', 'fast', '--json', ...IMAGE_FLAGS, ...extra], { cwd });
  assert.equal(r.exitCode, 0, `deploy cluster failed:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as DeployResult;
}

async function status(cwd: string): Promise<{ exitCode: number; snapshot: StatusSnapshot }> {
  const r = await runCli(['status', '--name', NAME, '--json'], { cwd });
  return { exitCode: r.exitCode, snapshot: JSON.parse(r.stdout) as StatusSnapshot };
}

/** Polls `status` until `ok(snapshot)`; the last snapshot either way. */
async function statusUntil(cwd: string, ok: (s: StatusSnapshot, exitCode: number) => boolean, timeoutMs: number): Promise<StatusSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last = await status(cwd);
  while (!ok(last.snapshot, last.exitCode) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await status(cwd);
  }
  return last.snapshot;
}

const slotMap = (s: StatusSnapshot) => (s.shards ?? []).map((x) => `${x.slots}=${x.master}`);
/**
 * The slot map by shard membership (its master and replicas, in any role): after every node
 * restarts or is re-created, a master that starts more than node-timeout after its replica is
 * failed over by the cluster, as it should be, on a loaded machine; the cluster is the same.
 */
const shardMap = (s: StatusSnapshot) => (s.shards ?? []).map((x) => `${x.slots}=${[x.master, ...x.replicas.map((r) => r.service)].sort().join('+')}`);

/** One node's own client (admin): what it holds, without following the cluster. */
async function onNode<T>(port: number, auth: Credentials, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, ...auth, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

describe('cluster on the real engine', { timeout: TEST_TIMEOUT, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-cluster-');
  const dir = join(work.dir, '.redis-ha', NAME);
  let result: DeployResult | undefined;
  let topology: Topology;
  let client: Cluster | undefined;

  /** A host-side ioredis Cluster with the options the snippet prints and the natMap deploy printed. */
  const connect = () => {
    const c = new Cluster(clusterStartupNodes(topology), { ...clusterClientOptions(topology, readUser(dir, 'app')), natMap: result!.natMap });
    c.on('error', () => undefined);
    return c;
  };

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(NAME);
    result = await deploy(work.dir);
    topology = JSON.parse(readFileSync(join(dir, 'topology.json'), 'utf8')) as Topology;
  });

  after(async () => {
    client?.disconnect();
    if (result) await runCli(['cleanup', '--name', NAME], { cwd: work.dir }).catch(() => undefined);
    forceRemoveProject(NAME);
    assert.deepEqual(projectResources(NAME), { containers: [], networks: [], volumes: [] });
    work.remove();
  });

  it('deploys 3 x 1 healthy: every slot served by 3 masters, each replica on another node, created by redis-ha', (t) => {
    if (!requireDocker(t) || !result) return;
    assert.equal(result.healthy, true);
    assert.deepEqual(result.status?.checks.map((c) => [c.name, c.ok]), [['containers', true], ['cluster', true], ['drift', true]]);
    assert.deepEqual(result.status?.shards, [
      { slots: '0-5460', master: 'redis-1', replicas: [{ service: 'redis-4', linkUp: true, lagBytes: 0 }] },
      { slots: '5461-10922', master: 'redis-2', replicas: [{ service: 'redis-5', linkUp: true, lagBytes: 0 }] },
      { slots: '10923-16383', master: 'redis-3', replicas: [{ service: 'redis-6', linkUp: true, lagBytes: 0 }] },
    ]);
    assert.ok(result.clusterSteps?.some((s) => s.startsWith('redis-4: CLUSTER REPLICATE redis-1')), JSON.stringify(result.clusterSteps));
    // The printed snippet carries the same natMap: announced names to 127.0.0.1:<published port>.
    for (let i = 1; i <= 6; i++) {
      assert.deepEqual(result.natMap[`redis-${i}:6379`], { host: '127.0.0.1', port: PORT_BASE + i });
      assert.ok(result.snippets.ioredis?.includes(`'redis-${i}:6379': { host: '127.0.0.1', port: ${PORT_BASE + i} }`), `snippet names redis-${i}`);
    }
  });

  it('a host-side ioredis Cluster with the printed natMap writes and reads keys across all slots', async (t) => {
    if (!requireDocker(t) || !result) return;
    client = connect();
    for (let i = 0; i < KEYS; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => client!.set(`key:${i + j}`, `value-${i + j}`)));
    }
    const values = await Promise.all(Array.from({ length: KEYS }, (_, i) => client!.get(`key:${i}`)));
    assert.deepEqual(values.filter((v, i) => v !== `value-${i}`), []);
    // Every master holds its share (the keys spread over all three shards' slots).
    const admin = readUser(dir, 'admin');
    const sizes = await Promise.all([1, 2, 3].map((i) => onNode(PORT_BASE + i, admin, (r) => r.dbsize())));
    assert.equal(sizes.reduce((a, b) => a + b, 0), KEYS, `dbsize per master: ${sizes}`);
    assert.ok(sizes.every((n) => n > KEYS / 5), `each master holds a share: ${sizes}`);
  });

  it('a redeploy finds the cluster formed and leaves it (and every container) as it is', async (t) => {
    if (!requireDocker(t) || !result) return;
    const ids = projectContainerIds(NAME);
    const again = await deploy(work.dir);
    assert.equal(again.healthy, true);
    assert.deepEqual(again.clusterSteps, []);
    assert.deepEqual(projectContainerIds(NAME), ids);
    assert.deepEqual(slotMap(again.status!), slotMap(result.status!));
  });

  it('after a restart of every node (compose restart) the cluster comes back ok, with the same slot map and keys', async (t) => {
    if (!requireDocker(t) || !result) return;
    const before = (await status(work.dir)).snapshot;
    const restart = spawnSync('docker-compose', ['-p', NAME, '-f', join(dir, 'compose.yaml'), 'restart'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(restart.status, 0, restart.stderr);
    const after = await statusUntil(work.dir, (_s, code) => code === 0, 90_000);
    assert.equal(after.healthy, true, JSON.stringify(after.checks));
    assert.deepEqual(shardMap(after), shardMap(before));
    const values = await Promise.all(Array.from({ length: KEYS }, (_, i) => client!.get(`key:${i}`)));
    assert.deepEqual(values.filter((v, i) => v !== `value-${i}`), [], 'every key back after the restart (AOF in the volumes)');
  });

  it('containers removed and deployed again (data kept, new addresses): the same cluster, not created again', async (t) => {
    if (!requireDocker(t) || !result) return;
    const before = (await status(work.dir)).snapshot;
    const down = await runCli(['cleanup', '--name', NAME, '--keep-data'], { cwd: work.dir });
    assert.equal(down.exitCode, 0, down.stderr);
    assert.deepEqual(projectResources(NAME).containers, []);
    const again = await deploy(work.dir);
    assert.equal(again.healthy, true);
    assert.equal(again.clusterSteps?.some((s) => / CLUSTER (ADDSLOTSRANGE|REPLICATE) /.test(s)), false, `not created again: ${JSON.stringify(again.clusterSteps)}`);
    assert.deepEqual(shardMap(again.status!), shardMap(before));
    client?.disconnect();
    client = connect();
    const values = await Promise.all(Array.from({ length: KEYS }, (_, i) => client!.get(`key:${i}`)));
    assert.deepEqual(values.filter((v, i) => v !== `value-${i}`), [], 'every key kept in the volumes');
  });

  it("killing a shard master: a replica takes over its slots and the client's writes go on", async (t) => {
    if (!requireDocker(t) || !result) return;
    const acked: string[] = [];
    let failed = 0;
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const key = `w:${n++}`;
        try {
          await client!.set(key, key);
          acked.push(key);
        } catch {
          failed++;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const ackedBeforeKill = acked.length;
      assert.ok(ackedBeforeKill > 0, 'writing before the kill');
      const kill = spawnSync('docker', ['kill', containerId(NAME, 'redis-1')], { encoding: 'utf8' });
      assert.equal(kill.status, 0, kill.stderr);
      // redis-4 (redis-1's replica) serves 0-5460 once the other masters agreed redis-1 failed.
      const promoted = await statusUntil(work.dir, (s) => s.shards?.[0]?.master === 'redis-4', 60_000);
      const seen = async () => `checks: ${JSON.stringify(promoted.checks)}; redis-2 sees:\n${await onNode(PORT_BASE + 2, readUser(dir, 'admin'), (r) => r.call('CLUSTER', 'NODES') as Promise<string>)}`;
      if (slotMap(promoted)[0] !== '0-5460=redis-4') assert.fail(`no failover of redis-1 within 60 s; ${await seen()}`);
      assert.deepEqual(slotMap(promoted), ['0-5460=redis-4', '5461-10922=redis-2', '10923-16383=redis-3']);
      const ackedAtPromotion = acked.length;
      await new Promise((r) => setTimeout(r, 3000));
      assert.ok(acked.length > ackedAtPromotion + 50, `writes go on after the failover (${acked.length - ackedAtPromotion} in 3 s; ${failed} failed in all)`);
    } finally {
      writing = false;
      await writer;
    }
    // Keys in every shard's slots, the failed-over one included, are written and read through the cluster.
    await Promise.all(Array.from({ length: 300 }, (_, i) => client!.set(`after:${i}`, String(i))));
    const after = await Promise.all(Array.from({ length: 300 }, (_, i) => client!.get(`after:${i}`)));
    assert.deepEqual(after.filter((v, i) => v !== String(i)), []);
    const admin = readUser(dir, 'admin');
    assert.ok((await onNode(PORT_BASE + 4, admin, (r) => r.info('replication'))).includes('role:master'), 'redis-4 is a master now');
    // The killed node comes back as a replica of the node that took over its slots.
    const start = spawnSync('docker', ['start', containerId(NAME, 'redis-1')], { encoding: 'utf8' });
    assert.equal(start.status, 0, start.stderr);
    const healed = await statusUntil(work.dir, (_s, code) => code === 0, 90_000);
    assert.equal(healed.healthy, true, JSON.stringify(healed.checks));
    assert.deepEqual(healed.shards?.[0], { slots: '0-5460', master: 'redis-4', replicas: [{ service: 'redis-1', linkUp: true, lagBytes: 0 }] });
  });
});

describe('cluster with TLS on the real engine', { timeout: TEST_TIMEOUT, skip: dockerSuiteSkip() }, () => {
  const name = 'cl-it-cluster-tls';
  const work = tempWorkdir('redis-ha-cluster-tls-');
  const dir = join(work.dir, '.redis-ha', name);
  let result: DeployResult | undefined;

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(name);
    result = await deploy(work.dir, name, 23400, ['--tls']);
  });

  after(async () => {
    if (result) await runCli(['cleanup', '--name', name], { cwd: work.dir }).catch(() => undefined);
    forceRemoveProject(name);
    assert.deepEqual(projectResources(name), { containers: [], networks: [], volumes: [] });
    work.remove();
  });

  it('forms over the TLS cluster bus, and a host-side TLS Cluster client with the natMap reaches every slot', async (t) => {
    if (!requireDocker(t) || !result) return;
    assert.equal(result.healthy, true);
    assert.equal(result.status?.shards?.length, 3);
    const topology = JSON.parse(readFileSync(join(dir, 'topology.json'), 'utf8')) as Topology;
    const app = { ...readUser(dir, 'app'), tls: { ca: readFileSync(join(dir, 'tls', 'ca.crt'), 'utf8'), caFile: join(dir, 'tls', 'ca.crt') } };
    const client = new Cluster(clusterStartupNodes(topology), { ...clusterClientOptions(topology, app), natMap: result.natMap });
    client.on('error', () => undefined);
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => client.set(`tls:${i}`, String(i))));
      const values = await Promise.all(Array.from({ length: 300 }, (_, i) => client.get(`tls:${i}`)));
      assert.deepEqual(values.filter((v, i) => v !== String(i)), []);
    } finally {
      client.disconnect();
    }
  });
});
