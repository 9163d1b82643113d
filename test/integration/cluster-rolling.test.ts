// A rolling deploy of a config change onto a live cluster, on the real engine: a 3 x 1 cluster
// (fast profile) deployed with AOF, then deployed again with RDB persistence while a cluster
// client (the printed snippet's options) writes across every slot. Asserted: the plan (each
// replica first, then each master after a CLUSTER FAILOVER away from it), every node runs the
// new config, the client saw no failed write and every acknowledged key is there, the cluster is
// healthy; then a change of shape (4 shards) on the live cluster is refused with nothing written.
// `after` removes the deployment (through the CLI, then by label), also when a test fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeployResult } from '../../src/commands/deploy.js';
import { ClusterWorkload } from '../../src/failover/cluster-workload.js';
import { readDeployment } from '../../src/files/deployment.js';
import { clusterShards, keySlot, shardOfSlot } from '../../src/model/cluster.js';
import { clusterClientOptions, clusterStartupNodes } from '../../src/probes/cluster-client.js';
import { withConnection } from '../../src/probes/connect.js';
import { redisNodes } from '../../src/model/nodes.js';
import { dockerAnswers, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, projectResources, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';
import { Cluster } from 'ioredis';

const NAME = 'clr-it-cluster';
const PORT_BASE = 24200;

const deployArgs = (...extra: string[]) => ['deploy', 'cluster', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', '--json', ...IMAGE_FLAGS, ...extra];

describe('rolling deploy of a live cluster (real engine)', { timeout: 600_000, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-cluster-rolling-');
  const dir = join(work.dir, '.redis-ha', NAME);
  let deployed = false;

  before(async () => {
    if (!dockerAnswers()) return;
    forceRemoveProject(NAME);
    const r = await runCli(deployArgs('--persistence', 'aof'), { cwd: work.dir });
    assert.equal(r.exitCode, 0, `deploy cluster failed:\n${r.stderr}\n${r.stdout}`);
    deployed = true;
  });

  after(async () => {
    if (deployed) await runCli(['cleanup', '--name', NAME], { cwd: work.dir }).catch(() => undefined);
    forceRemoveProject(NAME);
    assert.deepEqual(projectResources(NAME), { containers: [], networks: [], volumes: [] });
    work.remove();
  });

  it('a redis.conf change rolls one node at a time, masters after a CLUSTER FAILOVER; a cluster client writing meanwhile loses nothing', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const files = await readDeployment(dir);
    const plan = clusterShards(files.topology);
    const workload = new ClusterWorkload(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.admin), {
      rate: 100,
      durability: 'async',
      prefix: 'clr-it',
      maxMs: 300_000,
      now: () => performance.now(),
      shardOf: (key) => shardOfSlot(plan, keySlot(key)),
    });
    await workload.start();
    let r;
    try {
      r = await runCli(deployArgs('--persistence', 'rdb'), { cwd: work.dir, timeoutMs: 400_000 });
    } finally {
      await workload.stop();
    }
    assert.equal(r.exitCode, 0, `rolling deploy failed:\n${r.stderr}\n${r.stdout}`);
    const result = JSON.parse(r.stdout) as DeployResult;
    const steps = result.rollout!.plan;
    assert.deepEqual(steps.slice(0, 3), ['re-create redis-4 (replica)', 're-create redis-5 (replica)', 're-create redis-6 (replica)'], steps.join('\n'));
    for (const master of ['redis-1', 'redis-2', 'redis-3']) {
      const failover = steps.findIndex((s) => s.startsWith(`CLUSTER FAILOVER away from ${master} `));
      assert.ok(failover >= 3, `a failover away from ${master}:\n${steps.join('\n')}`);
      assert.equal(steps[failover + 1], `re-create ${master} (the old master) as a replica`, steps.join('\n'));
    }
    assert.equal(result.rollout!.clusterFailovers?.length, 3, JSON.stringify(result.rollout));

    // The client: no write failed; every acknowledged key is there.
    const counts = workload.counts;
    assert.ok(counts.ok > 100, JSON.stringify(counts));
    assert.equal(counts.failed, 0, `failed writes: ${JSON.stringify(workload.ops.filter((o) => o.outcome === 'failed').slice(0, 5))}`);
    const client = new Cluster(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.admin));
    try {
      const acked = workload.ops.filter((o) => o.outcome === 'ok');
      const values = await Promise.all(acked.map((o) => client.get(o.key)));
      const missing = acked.filter((o, i) => values[i] !== o.value).map((o) => o.key);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${acked.length} acknowledged keys missing`);
      // Every node runs the new config (RDB: appendonly no).
      const nodes = redisNodes(files.topology);
      const appendonly = await Promise.all(nodes.map((n) => withConnection({ host: '127.0.0.1', port: n.hostPort }, files.admin, (c) => c.call('CONFIG', 'GET', 'appendonly') as Promise<string[]>)));
      assert.deepEqual(appendonly.map((x) => x[1]), Array(6).fill('no'));
      await Promise.all(acked.map((o) => client.unlink(o.key)));
    } finally {
      client.disconnect();
    }
    const status = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
    assert.equal(status.exitCode, 0, status.stdout);
  });

  it('another shape on the live cluster (4 shards): exit 2, nothing written, the cluster untouched', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const before = readFileSync(join(dir, 'topology.json'), 'utf8');
    const compose = readFileSync(join(dir, 'compose.yaml'), 'utf8');
    const r = await runCli(deployArgs('--persistence', 'rdb', '--shards', '4'), { cwd: work.dir });
    assert.equal(r.exitCode, 2, r.stderr);
    // --json: the error is the JSON on stdout.
    assert.match(r.stdout, /runs 3 shards x 1 replica\(s\); this deploy asks for 4 shards x 1 replica\(s\)/);
    assert.equal(readFileSync(join(dir, 'topology.json'), 'utf8'), before);
    assert.equal(readFileSync(join(dir, 'compose.yaml'), 'utf8'), compose);
    const status = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir });
    assert.equal(status.exitCode, 0, status.stdout);
  });
});
