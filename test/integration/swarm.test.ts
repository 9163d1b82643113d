// redis-ha on a real 3-node swarm (the lab: 3 Docker engines in network namespaces): every preset
// deployed with --target swarm (each redis-i on its own node, Sentinels spread), a host-side
// Sentinel client writing before and after kill-node, every node fault and kill-master through
// test-failover, and cleanup leaving nothing on any node. Needs root (skips otherwise; fails
// under CI=true). The lab is torn down even when a test fails.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { nodeDocker } from '../../src/lab/engine.js';
import { createLab, destroyLab, nodePlan } from '../../src/lab/lab.js';
import { readDeployment } from '../../src/files/deployment.js';
import { sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { runCli } from '../helpers/docker.js';
import { labUnavailable, requireLab } from '../helpers/lab.js';

const NODES = [1, 2, 3].map(nodePlan);
const env = { DOCKER_HOST: NODES[0]!.dockerHost };
const NODE_HOSTS = NODES.flatMap((n) => ['--node-host', `${n.name}=${n.dockerHost}`]);
const IMAGES = ['--redis-image', 'redis-ha-local/redis:7.0', '--haproxy-image', 'redis-ha-local/haproxy:2.6', '--exporter-image', 'redis-ha-local/redis-exporter:1.45'];

const docker = async (node: number, args: string[]) => (await nodeDocker(NODES[node - 1]!, args, 60_000)).stdout.split('\n').filter(Boolean);

/** What a stack leaves on every node: containers, volumes, networks, configs, secrets, node labels. */
async function leftovers(name: string): Promise<string[]> {
  const found: string[] = [];
  for (const i of [1, 2, 3]) {
    const label = `label=com.docker.stack.namespace=${name}`;
    for (const c of await docker(i, ['ps', '-a', '--filter', label, '--format', '{{.Names}}'])) found.push(`node${i} container ${c}`);
    for (const v of await docker(i, ['volume', 'ls', '--filter', label, '--format', '{{.Name}}'])) found.push(`node${i} volume ${v}`);
    for (const n of await docker(i, ['network', 'ls', '--filter', label, '--format', '{{.Name}}'])) found.push(`node${i} network ${n}`);
  }
  for (const kind of ['config', 'secret']) {
    for (const o of await docker(1, [kind, 'ls', '--filter', `label=com.docker.stack.namespace=${name}`, '--format', '{{.Name}}'])) found.push(`${kind} ${o}`);
  }
  const labels = await docker(1, ['node', 'inspect', 'node1', 'node2', 'node3', '--format', '{{.Description.Hostname}} {{json .Spec.Labels}}']);
  for (const line of labels) if (line.includes(`io.redis-ha.${name}.`)) found.push(`labels ${line}`);
  return found;
}

describe('swarm: redis-ha on a 3-node lab', { timeout: 1_800_000 }, () => {
  let unavailable: string | undefined;
  let cwd = '';
  const deployed = new Set<string>();

  before(async () => {
    unavailable = await labUnavailable();
    if (unavailable) return;
    cwd = await mkdtemp(join(tmpdir(), 'redis-ha-swarm-'));
    await createLab({ nodes: 3 });
  });

  // Whatever failed: every stack removed, then the lab torn down.
  after(async () => {
    if (unavailable) return;
    for (const name of deployed) await runCli(['cleanup', '--name', name], { cwd, env }).catch(() => undefined);
    await destroyLab();
    await rm(cwd, { recursive: true, force: true });
  });

  const deploy = async (preset: string, name: string) => {
    deployed.add(name);
    return runCli(['deploy', preset, '--target', 'swarm', '--name', name, '--bind', '0.0.0.0', '--profile', 'fast', ...IMAGES, ...NODE_HOSTS, '--timeout', '120', '--json'], { cwd, env, timeoutMs: 300_000 });
  };

  for (const preset of ['basic', 'sentinel', 'full']) {
    it(`${preset}: deploys healthy, one Redis node and one Sentinel per node; status sees every task; cleanup leaves nothing on any node`, async (t) => {
      if (!requireLab(t, unavailable)) return;
      const name = `sw-${preset}`;
      const r = await deploy(preset, name);
      assert.equal(r.exitCode, 0, r.stdout + r.stderr);
      const result = JSON.parse(r.stdout);
      assert.equal(result.healthy, true);
      t.diagnostic(`${preset}: healthy after ${(result.timings.totalMs / 1000).toFixed(1)} s`);
      const tasks = result.status.containers as { service: string; node: string }[];
      const on = (prefix: string) => tasks.filter((c) => c.service.startsWith(prefix)).map((c) => c.node);
      assert.deepEqual(on('redis-').sort(), ['node1', 'node2', 'node3'], JSON.stringify(tasks));
      if (preset !== 'basic') assert.deepEqual(on('sentinel-').sort(), ['node1', 'node2', 'node3'], JSON.stringify(tasks));
      if (preset === 'full') assert.equal(new Set(on('haproxy')).size, 2, 'two HAProxy replicas on two nodes');
      // The natMap points each announced name at its node's address (host-mode ports there).
      const redis1Node = tasks.find((c) => c.service === 'redis-1')!.node;
      assert.equal(result.natMap['redis-1:6379'].host, NODES.find((n) => n.name === redis1Node)!.address);

      const status = await runCli(['status', '--name', name, '--json'], { cwd, env });
      assert.equal(status.exitCode, 0, status.stdout + status.stderr);
      assert.equal(JSON.parse(status.stdout).containers.filter((c: { node?: string }) => c.node).length, tasks.length);

      const clean = await runCli(['cleanup', '--name', name, '--json'], { cwd, env, timeoutMs: 180_000 });
      assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);
      const removed = JSON.parse(clean.stdout)[0];
      assert.equal(removed.volumes.length, preset === 'basic' ? 3 : 6, JSON.stringify(removed.volumes));
      assert.ok(removed.nodeLabels.length >= 3, JSON.stringify(removed.nodeLabels));
      assert.deepEqual(await leftovers(name), []);
      deployed.delete(name);
    });
  }

  it('full: a host-side Sentinel client writes before and after kill-node; kill-master, kill-node (--durability wait), partition-node, drain-node pass; cleanup leaves nothing', async (t) => {
    if (!requireLab(t, unavailable)) return;
    const name = 'sw-fo';
    const r = await deploy('full', name);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const natMap = JSON.parse(r.stdout).natMap as Record<string, { host: string; port: number }>;

    // A client on the host, with the options the snippet prints and the swarm natMap.
    const files = await readDeployment(join(cwd, '.redis-ha', name));
    const hostOf = (service: string) => natMap[`${service}:${service.startsWith('sentinel') ? 26379 : 6379}`]!.host;
    const client = new Redis(sentinelClientOptions(files.topology, files.app, hostOf));
    client.on('error', () => {});
    t.after(() => client.disconnect());
    await client.set('before-kill-node', '1');

    const fo = await runCli(['test-failover', '--name', name, '--scenario', 'kill-master', '--scenario', 'kill-node', '--durability', 'wait', '--json'], { cwd, env, timeoutMs: 900_000 });
    const waitRun = JSON.parse(fo.stdout);
    for (const s of waitRun.scenarios) t.diagnostic(`${s.scenario}: ${s.oldMaster} -> ${s.newMaster}, switch ${s.timings.switchMasterMs} ms, sentinel-client gap ${s.timings.sentinelClientWriteGapMs} ms, acked ${s.writes.acked}, lost ${s.writes.lostAcked}, rejoin ${s.rejoin.oldMasterRole}`);
    assert.equal(fo.exitCode, 0, fo.stdout + fo.stderr);
    const killNode = waitRun.scenarios.find((s: { scenario: string }) => s.scenario === 'kill-node');
    assert.equal(killNode.writes.lostAcked, 0);
    assert.equal(killNode.rejoin.oldMasterRole, 'slave', 'the killed node came back and its Redis rejoined as a replica');

    // The same client, after the node's death and return: reads its earlier write, writes again.
    assert.equal(await client.get('before-kill-node'), '1');
    await client.set('after-kill-node', '1');
    assert.equal(await client.get('after-kill-node'), '1');

    const more = await runCli(['test-failover', '--name', name, '--scenario', 'partition-node', '--scenario', 'drain-node', '--json'], { cwd, env, timeoutMs: 900_000 });
    const asyncRun = JSON.parse(more.stdout);
    for (const s of asyncRun.scenarios) t.diagnostic(`${s.scenario}: ${s.oldMaster} -> ${s.newMaster}, switch ${s.timings.switchMasterMs} ms, sentinel-client gap ${s.timings.sentinelClientWriteGapMs} ms, acked ${s.writes.acked}, lost ${s.writes.lostAcked}`);
    assert.equal(more.exitCode, 0, more.stdout + more.stderr);

    client.disconnect();
    const clean = await runCli(['cleanup', '--name', name], { cwd, env, timeoutMs: 180_000 });
    assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);
    assert.deepEqual(await leftovers(name), []);
    deployed.delete(name);
  });
});
