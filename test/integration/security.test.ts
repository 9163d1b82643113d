// The secure default, checked live on a real `deploy full`: no process is root (healthchecks
// included), no secret in any container's `docker inspect` or in `compose config`, every
// container hardened, the live configs private, the exporter returns no key value, HAProxy's
// stats ask for a login. (Per-user permissions: real-tools.test.ts, against real binaries.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { forceRemoveProject, LOCAL_IMAGES, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const NAME = 'se-sec';
const PORT_BASE = 12400;

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' });

describe('security of the default deployment (live)', { timeout: 300_000 }, () => {
  const work = tempWorkdir('redis-ha-security-');
  const dir = join(work.dir, '.redis-ha', NAME);
  let deployed = false;
  let ids: string[] = [];
  const secret = (name: string) => readFileSync(join(dir, 'secrets', name), 'utf8').trim();

  before(async () => {
    if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) return;
    forceRemoveProject(NAME);
    // The shortest container healthcheck interval the model allows (the default is a minute), so
    // that the root check below sees a healthcheck run within seconds.
    const file = join(work.dir, 'topology.yaml');
    writeFileSync(
      file,
      [
        'preset: full',
        `name: ${NAME}`,
        `portBase: ${PORT_BASE}`,
        'profile: fast',
        'healthcheckIntervalMs: 10000',
        'redis:',
        `  image: ${LOCAL_IMAGES.redis}`,
        'haproxy:',
        `  image: ${LOCAL_IMAGES.haproxy}`,
        'exporter:',
        `  image: ${LOCAL_IMAGES.exporter}`,
        'monitoring:',
        '  prometheus:',
        `    image: ${LOCAL_IMAGES.prometheus}`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['deploy', '--file', file], {
      cwd: work.dir,
      timeoutMs: 240_000,
    });
    assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout}`);
    deployed = true;
    ids = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${NAME}`).stdout.split('\n').filter(Boolean);
  });
  after(async () => {
    if (deployed) await runCli(['cleanup', '--name', NAME], { cwd: work.dir, timeoutMs: 120_000 });
    forceRemoveProject(NAME);
    work.remove();
  });

  it('no process of any container runs as root, healthchecks included (docker top, and a healthcheck caught running)', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    assert.equal(ids.length, 9, 'redis x3, sentinel x3, haproxy, exporter, prometheus');
    for (const id of ids) {
      const rows = docker('top', id, '-o', 'uid,pid,cmd').stdout.trim().split('\n').slice(1);
      assert.ok(rows.length > 0, `docker top ${id} lists processes`);
      for (const row of rows) assert.notEqual(row.trim().split(/\s+/)[0], '0', `a root process in ${id}: ${row}`);
    }
    // A healthcheck lives for a few tens of milliseconds once every 10 s per container: `docker
    // top` is too slow to catch one, the host's /proc is not (the engine runs on this host, with
    // no user namespace remapping, so a process's uid here is its uid in the container).
    const caught: string[] = [];
    const deadline = Date.now() + 25_000;
    while (caught.length < 3 && Date.now() < deadline) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let cmd: string;
        let status: string;
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
          if (!/redis-cli .*--user health/.test(cmd)) continue;
          status = readFileSync(`/proc/${pid}/status`, 'utf8');
        } catch {
          continue; // gone between the listing and the read
        }
        const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
        assert.ok(uid, `/proc/${pid}/status has a Uid line`);
        assert.notEqual(uid[1], '0', `a healthcheck runs as root (real uid): ${cmd}`);
        assert.notEqual(uid[2], '0', `a healthcheck runs as root (effective uid): ${cmd}`);
        if (!caught.includes(pid)) caught.push(pid);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(caught.length >= 3, `healthcheck processes caught running in 25 s: ${caught.length} (expected 3 or more, none as root)`);
  });

  it('no secret value is in any container\'s docker inspect, nor in compose config', (t) => {
    if (!requireDocker(t) || !deployed) return;
    const inspect = docker('inspect', ...ids).stdout;
    const config = spawnSync('docker-compose', ['-p', NAME, 'config'], { cwd: dir, encoding: 'utf8' }).stdout;
    assert.ok(inspect.length > 1000 && config.includes('services:'));
    const names = readdirSync(join(dir, 'secrets')).filter((f) => !f.endsWith('.json'));
    assert.deepEqual(names.sort(), ['admin', 'app', 'exporter', 'haproxy-stats', 'health', 'replica', 'sentinel']);
    for (const n of names) {
      assert.ok(!inspect.includes(secret(n)), `the ${n} secret is in docker inspect`);
      assert.ok(!config.includes(secret(n)), `the ${n} secret is in compose config`);
    }
    assert.doesNotMatch(inspect, /REDIS_PASSWORD/);
  });

  it('every container: non-root user, cap_drop ALL, no-new-privileges, read-only root, pids and memory limits, rotated logs', (t) => {
    if (!requireDocker(t) || !deployed) return;
    type Inspected = {
      Name: string;
      Config: { User?: string };
      HostConfig: {
        CapDrop: string[] | null;
        CapAdd: string[] | null;
        SecurityOpt?: string[];
        ReadonlyRootfs: boolean;
        PidsLimit: number;
        Memory: number;
        LogConfig: { Type: string; Config: Record<string, string> };
        PortBindings?: Record<string, { HostIp: string }[]> | null;
      };
    };
    for (const c of JSON.parse(docker('inspect', ...ids).stdout) as Inspected[]) {
      const name = c.Name;
      assert.ok(c.Config.User && !/^(0|root)(:|$)/.test(c.Config.User), `${name} user ${c.Config.User}`);
      assert.deepEqual(c.HostConfig.CapDrop, ['ALL'], name);
      assert.equal(c.HostConfig.CapAdd, null, name);
      assert.ok(c.HostConfig.SecurityOpt?.includes('no-new-privileges:true'), name);
      assert.equal(c.HostConfig.ReadonlyRootfs, true, name);
      assert.ok(c.HostConfig.PidsLimit > 0, `${name} pids limit`);
      assert.ok(c.HostConfig.Memory > 0, `${name} memory limit`);
      // The nodes: the default maxmemory (256mb) twice over plus 64 MiB.
      if (/redis-\d/.test(name)) assert.equal(c.HostConfig.Memory, 576 * 1024 ** 2, `${name} memory limit from maxmemory`);
      assert.equal(c.HostConfig.LogConfig.Type, 'json-file', name);
      assert.equal(c.HostConfig.LogConfig.Config['max-size'], '10m', name);
      for (const p of Object.values(c.HostConfig.PortBindings ?? {})) {
        for (const b of p) assert.equal(b.HostIp, '127.0.0.1', `${name} publishes on loopback only`);
      }
    }
  });

  it('live configs in /data are mode 0600 and owned by the redis user', (t) => {
    if (!requireDocker(t) || !deployed) return;
    for (const [service, file] of [['redis-1', 'redis.conf'], ['sentinel-1', 'sentinel.conf']]) {
      const id = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${NAME}`, '--filter', `label=com.docker.compose.service=${service}`).stdout.trim();
      const r = docker('exec', id, 'stat', '-c', '%a %U', `/data/${file}`);
      assert.equal(r.stdout.trim(), '600 redis', `${service} /data/${file}`);
    }
  });

  it('the exporter returns no key value (check-single-keys), HAProxy stats ask for a login', async (t) => {
    if (!requireDocker(t) || !deployed) return;
    const app = new Redis({ host: '127.0.0.1', port: PORT_BASE + 200, username: 'app', password: secret('app'), maxRetriesPerRequest: 1, retryStrategy: () => null });
    app.on('error', () => undefined);
    try {
      assert.equal(await app.set('secret:card', '4111-1111-1111-1111'), 'OK');
    } finally {
      app.disconnect();
    }
    const auth = `Basic ${Buffer.from(`stats:${secret('haproxy-stats')}`).toString('base64')}`;
    // The exporter publishes no port: through HAProxy's stats port, which drops every parameter but the target.
    for (const node of ['redis-1', 'redis-2', 'redis-3']) {
      const url = `http://127.0.0.1:${PORT_BASE + 202}/scrape?target=${node}&check-single-keys=secret:card&check-keys=secret:*`;
      const text = await (await fetch(url, { headers: { authorization: auth } })).text();
      assert.match(text, /^redis_up 1$/m, `${node} is still scraped`);
      assert.doesNotMatch(text, /4111/, `${node}: the exporter leaks the key's value`);
      assert.doesNotMatch(text, /redis_key_value/, node);
    }
    const stats = `http://127.0.0.1:${PORT_BASE + 202}`;
    assert.equal((await fetch(`${stats}/stats`)).status, 401);
    assert.equal((await fetch(`${stats}/metrics`)).status, 401);
    assert.equal((await fetch(`${stats}/stats;csv`, { headers: { authorization: auth } })).status, 200);
  });
});
