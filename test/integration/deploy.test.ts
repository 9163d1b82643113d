// deploy / status / cleanup against the real Docker engine, for every preset, plus the
// failure paths. Each deployment gets its own name and port range; `after` removes it
// (through the CLI, then by label as a last resort), also when a test fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { StatusSnapshot } from '../../src/health/status.js';
import type { DeployResult } from '../../src/commands/deploy.js';
import { sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { until } from '../helpers/wait.js';
import type { Credentials } from '../../src/probes/connect.js';
import type { Topology } from '../../src/model/schema.js';
import {
  IMAGE_FLAGS,
  LOCAL_IMAGES,
  dockerAnswers,
  dockerSuiteSkip,
  forceRemoveProject,
  projectContainerIds,
  projectResources,
  requireDocker,
  runCli,
  tempWorkdir,
} from '../helpers/docker.js';

const TEST_TIMEOUT = 240_000;

interface Deployed {
  name: string;
  cwd: string;
  dir: string;
  /** The users redis-ha itself and client applications log in as (secrets/admin, secrets/app). */
  admin: Credentials;
  app: Credentials;
  topology: Topology;
  result: DeployResult;
}

function readUser(dir: string, username: string): Credentials {
  return { username, password: readFileSync(join(dir, 'secrets', username), 'utf8').trim() };
}

async function deployPreset(cwd: string, preset: string, name: string, portBase: number, extra: string[] = []): Promise<Deployed> {
  const r = await runCli(
    ['deploy', preset, '--name', name, '--port-base', String(portBase), '--profile', 'fast', '--json', ...IMAGE_FLAGS, ...extra],
    { cwd },
  );
  assert.equal(r.exitCode, 0, `deploy ${preset} failed:\n${r.stderr}\n${r.stdout}`);
  const result = JSON.parse(r.stdout) as DeployResult;
  const dir = join(cwd, '.redis-ha', name);
  return {
    name,
    cwd,
    dir,
    admin: readUser(dir, 'admin'),
    app: readUser(dir, 'app'),
    topology: JSON.parse(readFileSync(join(dir, 'topology.json'), 'utf8')) as Topology,
    result,
  };
}

const runId = (info: string) => /^run_id:(\w+)/m.exec(info)?.[1] ?? '';

/** A plain client that never reconnects on its own, so no test leaves a retry loop running. */
function client(port: number, auth: Credentials): Redis {
  const r = new Redis({ host: '127.0.0.1', port, ...auth, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  r.on('error', () => undefined);
  return r;
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await fn();
  }
  return last;
}

/** Writes through `writePort`, then reads the value back from every replica's own port. */
async function writeAndReadEverywhere(d: Deployed, writePort: number, key: string): Promise<void> {
  const writer = client(writePort, d.admin);
  try {
    assert.equal(await writer.set(key, `value-of-${key}`), 'OK');
  } finally {
    writer.disconnect();
  }
  const replicaPorts = d.topology.replicas ? Array.from({ length: d.topology.replicas }, (_, i) => d.topology.portBase + i + 2) : [];
  for (const port of replicaPorts) {
    const reader = client(port, d.admin);
    try {
      const value = await eventually(() => reader.get(key), (v) => v === `value-of-${key}`, 5000);
      assert.equal(value, `value-of-${key}`, `replica on port ${port} did not get ${key}`);
    } finally {
      reader.disconnect();
    }
  }
}

async function statusJson(d: Deployed): Promise<{ exitCode: number; snapshot: StatusSnapshot }> {
  const r = await runCli(['status', '--name', d.name, '--json'], { cwd: d.cwd });
  return { exitCode: r.exitCode, snapshot: JSON.parse(r.stdout) as StatusSnapshot };
}

/** What each node says about itself, straight from INFO, to compare with `status`. */
async function rolesFromNodes(d: Deployed): Promise<Record<string, string>> {
  const roles: Record<string, string> = {};
  for (let i = 1; i <= d.topology.replicas + 1; i++) {
    const r = client(d.topology.portBase + i, d.admin);
    try {
      roles[`redis-${i}`] = (await r.info('replication')).match(/^role:(\w+)/m)?.[1] ?? '?';
    } finally {
      r.disconnect();
    }
  }
  return roles;
}

async function cleanupAndAssertNothingLeft(d: Deployed): Promise<void> {
  const r = await runCli(['cleanup', '--name', d.name], { cwd: d.cwd });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(projectResources(d.name), { containers: [], networks: [], volumes: [] });
  const again = await runCli(['cleanup', '--name', d.name], { cwd: d.cwd });
  assert.equal(again.exitCode, 0, 'a second cleanup is fine');
}

for (const [preset, portBase] of [
  // Each deployment publishes ports base+1 .. base+300: keep the bases 400 apart.
  ['basic', 6000],
  ['sentinel', 6400],
  ['full', 6800],
] as const) {
  describe(`deploy ${preset} on the real engine`, { timeout: TEST_TIMEOUT, skip: dockerSuiteSkip() }, () => {
    const name = `it-${preset}`;
    const work = tempWorkdir(`redis-ha-${preset}-`);
    let d: Deployed | undefined;

    before(async () => {
      // Under CI=true without an engine the suite is not skipped: its tests fail in requireDocker().
      if (!dockerAnswers()) return;
      forceRemoveProject(name);
      d = await deployPreset(work.dir, preset, name, portBase);
    });

    after(async () => {
      if (d) await runCli(['cleanup', '--name', name], { cwd: work.dir }).catch(() => undefined);
      forceRemoveProject(name);
      work.remove();
    });

    it('reports healthy with every check of the preset', (t) => {
      if (!requireDocker(t) || !d) return;
      assert.equal(d.result.healthy, true);
      const expected = { basic: ['containers', 'replication', 'drift'], sentinel: ['containers', 'replication', 'sentinels', 'drift'], full: ['containers', 'replication', 'sentinels', 'haproxy', 'exporter', 'monitoring', 'drift'] }[preset];
      assert.deepEqual(d.result.status?.checks.map((c) => c.name), expected);
      assert.ok(d.result.status?.checks.every((c) => c.ok));
    });

    it('replicates a write through the master to every replica', async (t) => {
      if (!requireDocker(t) || !d) return;
      await writeAndReadEverywhere(d, portBase + 1, 'via-master');
    });

    if (preset === 'full') {
      it('routes writes through HAProxy to the master and reads to a replica', async (t) => {
        if (!requireDocker(t) || !d) return;
        await writeAndReadEverywhere(d, d.topology.haproxy.writePort, 'via-haproxy');
        const reader = client(d.topology.haproxy.readPort, d.admin);
        try {
          assert.match(await reader.info('replication'), /^role:slave/m);
          assert.equal(await reader.get('via-haproxy'), 'value-of-via-haproxy');
        } finally {
          reader.disconnect();
        }
      });

      it("has the exporter cover every node (through HAProxy's stats port, with its login)", async (t) => {
        if (!requireDocker(t) || !d) return;
        const stats = readUser(d.dir, 'haproxy-stats');
        const authorization = `Basic ${Buffer.from(`stats:${stats.password}`).toString('base64')}`;
        for (let i = 1; i <= d.topology.replicas + 1; i++) {
          const res = await fetch(`http://127.0.0.1:${d.topology.haproxy.statsPort}/scrape?target=redis-${i}`, { headers: { authorization } });
          const text = await res.text();
          assert.match(text, /^redis_up 1$/m, `redis-${i}`);
          assert.match(text, /^redis_instance_info\{.*role="(master|slave)"/m, `redis-${i}`);
        }
      });

      it('runs a Prometheus that scrapes every node, Sentinel, the exporter, HAProxy and itself, behind the stats login', async (t) => {
        if (!requireDocker(t) || !d) return;
        const base = `http://127.0.0.1:${d.topology.monitoring.prometheus.port}`;
        assert.equal((await fetch(`${base}/api/v1/targets`)).status, 401, 'no answer without the login');
        const wrong = `Basic ${Buffer.from('stats:not-the-password').toString('base64')}`;
        assert.equal((await fetch(`${base}/api/v1/targets`, { headers: { authorization: wrong } })).status, 401, 'nor with a wrong password');
        const stats = readUser(d.dir, 'haproxy-stats');
        const authorization = `Basic ${Buffer.from(`stats:${stats.password}`).toString('base64')}`;
        type Target = { labels: { instance: string }; health: string; lastError: string };
        let targets: Target[] = [];
        // The first scrape of each target comes within one scrape interval (15 s) of the start.
        await until(
          'every Prometheus target up',
          async () => {
            const body = (await (await fetch(`${base}/api/v1/targets?state=active`, { headers: { authorization } })).json()) as { data: { activeTargets: Target[] } };
            targets = body.data.activeTargets;
            return targets.length > 0 && targets.every((x) => x.health === 'up');
          },
          { timeoutMs: 60_000, intervalMs: 1000, state: () => JSON.stringify(targets.map((x) => `${x.labels.instance}: ${x.health} ${x.lastError}`)) },
        );
        assert.deepEqual(
          targets.map((x) => x.labels.instance).sort(),
          ['haproxy:8404', 'haproxy:8404', 'localhost:9090', 'redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'],
        );
        const rules = (await (await fetch(`${base}/api/v1/rules`, { headers: { authorization } })).json()) as { data: { groups: { rules: unknown[] }[] } };
        assert.ok(rules.data.groups.flatMap((g) => g.rules).length > 0, 'alerts.yml is loaded');
        const up = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('redis_up')}`, { headers: { authorization } })).json()) as { data: { result: { value: [number, string] }[] } };
        assert.equal(up.data.result.length, 6, 'redis_up for every node and Sentinel');
        const status = await statusJson(d);
        assert.equal(status.snapshot.monitoring?.address, base);
        assert.equal(status.snapshot.monitoring?.targets.down.length, 0);
      });
    }

    if (preset !== 'basic') {
      it('lets a host-side ioredis Sentinel client find the master, before and after a failover', async (t) => {
        if (!requireDocker(t) || !d) return;
        const redis = new Redis(sentinelClientOptions(d.topology, d.app));
        redis.on('error', () => undefined);
        try {
          // The client logs in as app (no CONFIG, no ROLE): which node it reached is told by
          // the run_id of INFO server, matched with each node's as admin sees it.
          const names = new Map<string, string>();
          for (let i = 1; i <= d.topology.replicas + 1; i++) {
            const admin = client(d.topology.portBase + i, d.admin);
            try {
              names.set(runId(await admin.info('server')), `redis-${i}`);
            } finally {
              admin.disconnect();
            }
          }
          const nodeOf = async () => names.get(runId(await redis.info('server')));
          assert.equal(await redis.set('sentinel-client', 'before'), 'OK');
          assert.equal(await nodeOf(), 'redis-1');
          // A real failover, decided by the Sentinels (non-destructive: the old master is demoted).
          const sentinel = client(d.topology.portBase + 101, d.admin);
          try {
            assert.equal(await sentinel.call('SENTINEL', 'FAILOVER', 'mymaster'), 'OK');
            const master = await eventually(
              async () => ((await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[])[0],
              (m) => m !== 'redis-1',
              15_000,
            );
            assert.notEqual(master, 'redis-1', 'Sentinel did not fail over');
            const now = await eventually(
              async () => {
                try {
                  await redis.set('sentinel-client', 'after');
                  return await nodeOf();
                } catch {
                  return undefined;
                }
              },
              (n) => n === master,
              15_000,
            );
            assert.equal(now, master, 'the client follows the failover to the new master');
          } finally {
            sentinel.disconnect();
          }
        } finally {
          redis.disconnect();
        }
        // The topology converges again: status is healthy with the new master. Sentinel demotes
        // the old master only after it has reported master for 8 s on its next INFO (every 10 s).
        const { exitCode, snapshot } = await eventually(() => statusJson(d!), (s) => s.exitCode === 0, 40_000);
        assert.equal(exitCode, 0, JSON.stringify(snapshot.checks));
        assert.notEqual(snapshot.master, 'redis-1');
      });
    }

    it('has `status` exit 0 with JSON that matches what the nodes say', async (t) => {
      if (!requireDocker(t) || !d) return;
      const { exitCode, snapshot } = await statusJson(d);
      assert.equal(exitCode, 0, JSON.stringify(snapshot.checks));
      assert.equal(snapshot.healthy, true);
      const roles = await rolesFromNodes(d);
      for (const n of snapshot.nodes) assert.equal(n.role, roles[n.service], n.service);
      assert.equal(Object.values(roles).filter((r) => r === 'master').length, 1);
      assert.equal(roles[snapshot.master!], 'master');
      assert.deepEqual(snapshot.natMap['redis-1:6379'], { host: '127.0.0.1', port: portBase + 1 });
    });

    it('keeps the data on a redeploy, re-creating nothing', async (t) => {
      if (!requireDocker(t) || !d) return;
      const w = client(portBase + 1, d.admin);
      const { snapshot } = await statusJson(d);
      const master = client(snapshot.nodes.find((n) => n.role === 'master')!.hostPort, d.admin);
      try {
        await master.set('survives-redeploy', 'yes');
      } finally {
        master.disconnect();
        w.disconnect();
      }
      const idsBefore = projectContainerIds(name);
      assert.equal(idsBefore.length, projectResources(name).containers.length);
      const again = await deployPreset(work.dir, preset, name, portBase);
      assert.equal(again.result.firstDeploy, false);
      assert.deepEqual(projectContainerIds(name), idsBefore, 'same container ids: nothing was re-created');
      const { snapshot: after } = await statusJson(d);
      const m = client(after.nodes.find((n) => n.role === 'master')!.hostPort, d.admin);
      try {
        assert.equal(await m.get('survives-redeploy'), 'yes');
      } finally {
        m.disconnect();
      }
    });

    it('cleans up without a trace, twice', async (t) => {
      if (!requireDocker(t) || !d) return;
      await cleanupAndAssertNothingLeft(d);
      d = undefined;
    });
  });
}

describe('deploy failure paths', { timeout: TEST_TIMEOUT, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-fail-');
  const names = ['it-port-taken', 'it-no-image', 'it-no-engine', 'it-never-healthy'];
  after(() => {
    for (const n of names) forceRemoveProject(n);
    work.remove();
  });

  it('refuses a port already in use, naming it, and leaves nothing behind', async (t) => {
    if (!requireDocker(t)) return;
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(7202, '127.0.0.1', () => r()));
    try {
      const r = await runCli(['deploy', 'sentinel', '--name', 'it-port-taken', '--port-base', '7200', ...IMAGE_FLAGS], { cwd: work.dir });
      assert.equal(r.exitCode, 3, r.stderr);
      assert.match(r.stderr, /port already in use: 127\.0\.0\.1:7202 \(redis-2\)/);
      assert.match(r.stderr, /--port-base/);
      assert.deepEqual(projectResources('it-port-taken'), { containers: [], networks: [], volumes: [] });
    } finally {
      squatter.close();
    }
  });

  it('names an image that is neither local nor pullable, and leaves nothing behind', async (t) => {
    if (!requireDocker(t)) return;
    const r = await runCli(
      ['deploy', 'basic', '--name', 'it-no-image', '--port-base', '7600', '--redis-image', 'redis-ha-local/does-not-exist:0'],
      { cwd: work.dir },
    );
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(r.stderr, /neither local nor pullable: redis-ha-local\/does-not-exist:0/);
    assert.deepEqual(projectResources('it-no-image'), { containers: [], networks: [], volumes: [] });
  });

  it('fails fast when nodes cannot become healthy, naming the check, the state and the logs', async (t) => {
    if (!requireDocker(t)) return;
    // An image without Redis in it: the start script cannot even write its config.
    const r = await runCli(
      ['deploy', 'basic', '--name', 'it-never-healthy', '--port-base', '7600', '--timeout', '60', '--redis-image', LOCAL_IMAGES.haproxy],
      { cwd: work.dir },
    );
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, /failing check: containers/);
    assert.match(r.stderr, /redis-\d (is unhealthy|exited)/);
    assert.match(r.stderr, /--- logs of redis-\d \(last 15 lines\) ---\n  redis-ha: first start/);
    assert.match(r.stderr, /hint: inspect with `redis-ha status --name it-never-healthy`/);
    const removed = await runCli(['cleanup', '--name', 'it-never-healthy'], { cwd: work.dir });
    assert.equal(removed.exitCode, 0, removed.stderr);
    assert.deepEqual(projectResources('it-never-healthy'), { containers: [], networks: [], volumes: [] });
  });

  it('says the engine is not reachable (and mentions DOCKER_HOST) when it is stopped', async (t) => {
    if (!requireDocker(t)) return;
    // An engine that is down and a socket nobody listens on look the same to the CLI.
    const r = await runCli(['deploy', 'basic', '--name', 'it-no-engine', '--port-base', '7600', ...IMAGE_FLAGS], {
      cwd: work.dir,
      env: { DOCKER_HOST: `unix://${join(work.dir, 'no-engine.sock')}` },
    });
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(r.stderr, /Docker engine is not reachable at DOCKER_HOST=unix:\/\//);
    assert.deepEqual(projectResources('it-no-engine'), { containers: [], networks: [], volumes: [] });
  });
});
