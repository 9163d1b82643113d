// `redis-ha rotate-secrets` against the real engine (full, fast profile): a workload writes
// through the Sentinel client and the HAProxy write port during a rotation of every user and
// its --finish, and none of its writes may fail. Workload A logs in with the OLD app password
// and runs through both commands (open connections stay logged in); workload B, started between
// them with the NEW one, is what a client looks like after it changed. Mid-rotation a replica
// restarts and must accept both passwords. After --finish the old passwords are refused on every
// node and Sentinel (and at HAProxy's stats login), the new ones work, and a kill-master still
// fails over: Sentinel, replication, HAProxy checks and the exporter all use the new secrets.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readDeployment } from '../../src/files/deployment.js';
import { readKeyspace } from '../../src/failover/verify.js';
import { haproxyClientOptions, Workload, type WorkloadPath } from '../../src/failover/workload.js';
import { probeHost, redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import type { Topology } from '../../src/model/schema.js';
import { SECRET_USES } from '../../src/operations/rotate-secrets-plan.js';
import { type Credentials, withConnection } from '../../src/probes/connect.js';
import { sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { SECRET_NAMES, type SecretName } from '../../src/synth/secrets.js';
import { containerId, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, requireDocker, runCli } from '../helpers/docker.js';
import { login } from '../helpers/login.js';
import { until, untilAcked } from '../helpers/wait.js';

const NAME = 'rs-rotate';
// While a workload runs, never a synchronous child process: it blocks this process's event
// loop, and the workload's commands in flight then time out here, not on the server.
const run = promisify(execFile);
const PORT_BASE = 18400;

const readSecrets = (dir: string) =>
  Object.fromEntries(SECRET_NAMES.map((n) => [n, readFileSync(join(dir, 'secrets', n), 'utf8').trim()])) as Record<SecretName, string>;

/** Where each user logs in: every node and/or every Sentinel. */
const serversOf = (t: Topology, user: SecretName) => [
  ...(SECRET_USES[user].redis ? redisNodes(t) : []),
  ...(SECRET_USES[user].sentinel ? sentinelNodes(t) : []),
];

const statsLogin = async (t: Topology, password: string) =>
  (await fetch(`http://127.0.0.1:${t.haproxy.statsPort}/stats`, { headers: { authorization: `Basic ${Buffer.from(`stats:${password}`).toString('base64')}` } })).status;

describe('rotate-secrets on full (fast profile), under load', { concurrency: false, skip: dockerSuiteSkip() }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'rs-rotate-'));
  const dir = join(cwd, '.redis-ha', NAME);
  let t: Topology | undefined;
  let host = '127.0.0.1';
  let deployError = '';

  before(async () => {
    const r = await runCli(['deploy', 'full', '--profile', 'fast', '--name', NAME, '--port-base', String(PORT_BASE), ...IMAGE_FLAGS, '--json'], { cwd, timeoutMs: 300_000 });
    if (r.exitCode !== 0) {
      deployError = r.stderr.slice(-2000);
      return;
    }
    const files = await readDeployment(dir);
    t = files.topology;
    host = probeHost(t);
  });

  after(async () => {
    await runCli(['cleanup', '--name', NAME], { cwd, timeoutMs: 180_000 });
    forceRemoveProject(NAME);
    rmSync(cwd, { recursive: true, force: true });
  });

  const VIAS = ['sentinel', 'haproxy'] as const;
  const workload = (app: Credentials, prefix: string) => {
    const paths: WorkloadPath[] = [
      { via: 'sentinel', options: sentinelClientOptions(t!, app, host) },
      { via: 'haproxy', options: haproxyClientOptions(host, t!.haproxy.writePort, app) },
    ];
    return new Workload(paths, { rate: 100, durability: 'async', prefix, maxMs: 240_000, now: () => performance.now() });
  };

  // As admin, with the password secrets/admin holds now (it changes during the test).
  const masterName = async () =>
    withConnection({ host, port: sentinelNodes(t!)[0]!.hostPort }, { username: 'admin', password: readSecrets(dir).admin }, async (r) => ((await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t!.sentinel.masterName)) as string[])[0]!);

  it('every user rotated and finished with 0 failed writes; old passwords refused after, new ones accepted; kill-master still fails over', { timeout: 420_000 }, async (tc) => {
    if (!requireDocker(tc)) return;
    assert.ok(t, `deploy failed: ${deployError}`);
    const old = readSecrets(dir);
    const prefix = `rs-${Date.now()}`;
    const a = workload({ username: 'app', password: old.app }, `${prefix}-a`);
    let b: Workload | undefined;
    const t0 = performance.now();
    const events: string[] = [];
    const mark = (what: string) => events.push(`${what} at ${Math.round(performance.now() - t0)} ms`);
    await a.start();
    let rotateMs: number;
    let finishMs: number;
    let fresh: Record<SecretName, string>;
    try {
      await untilAcked('workload A (old app password)', a, VIAS);
      mark('rotate');
      const rotate = await runCli(['rotate-secrets', '--name', NAME, '--json'], { cwd, timeoutMs: 180_000 });
      mark('rotated');
      assert.equal(rotate.exitCode, 0, rotate.stderr + rotate.stdout);
      const result = JSON.parse(rotate.stdout) as { users: string[]; totalMs: number; clients: { user: string; file: string }[] };
      rotateMs = result.totalMs;
      assert.deepEqual(result.users, [...SECRET_NAMES]);
      assert.ok(result.clients.some((c) => c.user === 'app' && c.file === join(dir, 'secrets', 'app')), 'names the file clients must read');
      fresh = readSecrets(dir);
      for (const n of SECRET_NAMES) {
        assert.notEqual(fresh[n], old[n], `${n} has a new secret`);
        assert.equal(readFileSync(join(dir, 'secrets', `${n}.old`), 'utf8').trim(), old[n], `${n}.old keeps the old one`);
      }
      // No secret reached a command line or the log of any container.
      const logs = (await run('sh', ['-c', `for c in $(docker ps -q --filter label=com.docker.compose.project=${NAME}); do docker logs $c 2>&1; docker top $c -eo pid,args; done`], { maxBuffer: 64 << 20 })).stdout;
      assert.match(logs, /redis-server/, 'the process lists were read');
      for (const n of SECRET_NAMES) assert.ok(!logs.includes(fresh[n]) && !logs.includes(old[n]), `the ${n} secret is not in any container log or process list`);

      // Mid-rotation both passwords work, for every user where it exists...
      for (const user of SECRET_NAMES) {
        for (const s of serversOf(t, user)) {
          assert.equal(await login(host, s.hostPort, user, old[user]), 'ok', `${s.name}: old ${user} still accepted`);
          assert.equal(await login(host, s.hostPort, user, fresh[user]), 'ok', `${s.name}: new ${user} accepted`);
        }
      }
      // ...also on a replica that restarts now (it builds its config from the rendered file).
      const master = await masterName();
      const replica = redisNodes(t).find((n) => n.name !== master)!;
      const replicaId = (await run('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${NAME}`, '--filter', `label=com.docker.compose.service=${replica.name}`])).stdout.trim();
      mark(`restart ${replica.name}`);
      await run('docker', ['restart', '-t', '2', replicaId]);
      let link = '';
      await until(
        `${replica.name} relinked after its restart (masterauth from the new secret)`,
        async () => {
          link = await withConnection({ host, port: replica.hostPort }, { username: 'admin', password: fresh.admin }, async (r) => String(await r.info('replication')), 1000).catch((e: Error) => e.message);
          return link.includes('master_link_status:up');
        },
        { timeoutMs: 30_000, intervalMs: 200, state: () => link.match(/master_link_status:\w+/)?.[0] ?? link.slice(0, 200) },
      );
      for (const pw of [old.app, fresh.app]) assert.equal(await login(host, replica.hostPort, 'app', pw), 'ok', `restarted ${replica.name} accepts both app passwords`);

      // Clients move to the new password; A (old password, connected) keeps writing.
      b = workload({ username: 'app', password: fresh.app }, `${prefix}-b`);
      await b.start();
      await untilAcked('workload B (new app password)', b, VIAS);
      mark('B started; finish');
      const fin = await runCli(['rotate-secrets', '--name', NAME, '--finish', '--json'], { cwd, timeoutMs: 180_000 });
      mark('finished');
      assert.equal(fin.exitCode, 0, fin.stderr + fin.stdout);
      finishMs = (JSON.parse(fin.stdout) as { totalMs: number }).totalMs;
      // Both keep writing after it: A's connections stay logged in with the password now removed.
      const finishedAt = performance.now();
      await untilAcked('workload A after --finish', a, VIAS, { since: finishedAt });
      await untilAcked('workload B after --finish', b, VIAS, { since: finishedAt });
    } finally {
      await a.stop();
      await b?.stop();
    }
    const ops = [...a.ops, ...(b?.ops ?? [])];
    const notOk = ops.filter((o) => o.outcome !== 'ok');
    tc.diagnostic(`rotation ${rotateMs} ms, finish ${finishMs} ms; writes: ${ops.length} (A ${a.ops.length}, B ${b?.ops.length}), not ok ${notOk.length}`);
    tc.diagnostic(events.join(', '));
    assert.deepEqual(notOk.map((o) => `${o.key} ${o.via} ${o.outcome} at ${Math.round(o.start - t0)} ms: ${o.error}`), [], 'no write failed during the rotation and the finish');
    const master = await masterName();
    const { keys } = await readKeyspace(master, { host, port: redisNodes(t).find((n) => n.name === master)!.hostPort }, { username: 'admin', password: fresh!.admin }, `tf:${prefix}-*`);
    assert.deepEqual(ops.filter((o) => !keys.has(o.key)).map((o) => o.key), [], 'every acknowledged write is on the master');

    // After --finish: the old passwords are refused everywhere, the new ones accepted.
    assert.equal(readFileSync(join(dir, 'redis', 'redis-1.conf'), 'utf8').match(/^user app on #[0-9a-f]{64} /m) !== null, true, 'the config holds one app hash');
    for (const user of SECRET_NAMES) {
      for (const s of serversOf(t, user)) {
        assert.equal(await login(host, s.hostPort, user, old[user]), 'WRONGPASS', `${s.name}: old ${user} refused`);
        assert.equal(await login(host, s.hostPort, user, fresh![user]), 'ok', `${s.name}: new ${user} accepted`);
      }
    }
    assert.equal(await statsLogin(t, old['haproxy-stats']), 401, 'HAProxy stats refuses the old login');
    assert.equal(await statsLogin(t, fresh!['haproxy-stats']), 200, 'HAProxy stats takes the new login');

    // A kill-master after the rotation: Sentinel (new auth-pass, sentinel-pass) fails over,
    // the old master rejoins (new masterauth), HAProxy's checks (new health) and the exporter
    // (new password file) see everything: status is healthy again.
    const oldMaster = await masterName();
    const killedAt = Date.now();
    spawnSync('docker', ['kill', containerId(NAME, oldMaster)], { stdio: 'ignore' });
    let newMaster = oldMaster;
    try {
      await until(
        'the Sentinels fail over',
        async () => (newMaster = await masterName().catch(() => oldMaster)) !== oldMaster,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      tc.diagnostic(`failover after rotation: ${newMaster} named after ${Date.now() - killedAt} ms`);
    } finally {
      spawnSync('docker', ['start', containerId(NAME, oldMaster)], { stdio: 'ignore' });
    }
    let status = '';
    await until(
      'status healthy after the failover',
      async () => {
        const r = await runCli(['status', '--name', NAME], { cwd, timeoutMs: 30_000 });
        status = r.stdout;
        return r.exitCode === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1000, state: () => status },
    );
  });
});
