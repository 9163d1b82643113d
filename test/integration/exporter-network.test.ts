// The exporter behind HAProxy and the two networks, checked live on a real `deploy full`:
// - the exporter publishes no port and is only on the internal back network;
// - its metrics come through HAProxy's stats port, with the stats login (401 without), for
//   exactly this deployment's nodes and Sentinels; any other target is refused (403) before it
//   reaches the exporter, which logs no connection attempt to it (a direct request from inside
//   the network is the control: it shows what the log says when the exporter does dial);
// - from the exporter's network namespace nothing beyond the back network is reachable (the
//   front addresses of the deployment's own containers, a container on a network this test
//   creates), while the back addresses are (control);
// - names resolve as compose.ts says (front address between services on both networks, back
//   address from the exporter);
// - Redis, Sentinel and a host-side ioredis Sentinel client work on the published ports;
// - a container cut from both networks and reconnected as partition-master heals it (with its
//   alias) is reachable again on its port and relinks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { containerId, dockerSuiteSkip, forceRemoveProject, IMAGE_FLAGS, LOCAL_IMAGES, requireDocker, runCli, tempWorkdir } from '../helpers/docker.js';

const NAME = 'xp-net';
// Below the ephemeral port range (32768+): a client socket's local port must never take a published one.
const PORT_BASE = 19400;
const BACK = `${NAME}_redis-ha-back`;
const FRONT = `${NAME}_redis-ha`;
/** A network of this test's own, outside the deployment. */
const OUTSIDE = 'xp-net-outside';
const OUTSIDE_LISTENER = 'xp-net-outside-listener';
const BUSYBOX = '/bin/busybox';
const NODES = ['redis-1', 'redis-2', 'redis-3'];
const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
const inspect = (id: string) => JSON.parse(docker('inspect', id).stdout)[0];
/** A container's address on one network. */
const addressOn = (service: string, network: string): string => {
  const ip = inspect(containerId(NAME, service)).NetworkSettings.Networks[network]?.IPAddress as string | undefined;
  assert.ok(ip, `${service} has an address on ${network}`);
  return ip;
};

/** Runs the host's static busybox in a container's network namespace (root; nsenter). */
function inNetns(service: string, ...args: string[]) {
  const pid = String(inspect(containerId(NAME, service)).State.Pid);
  return spawnSync('nsenter', ['-t', pid, '-n', BUSYBOX, ...args], { encoding: 'utf8', timeout: 20_000 });
}
/**
 * True when a TCP connection from the service's network namespace to ip:port opens within 2 s
 * (busybox nc has no -z: it runs `busybox true` on the connection and exits with its status).
 */
const connects = (service: string, ip: string, port: number) => inNetns(service, 'nc', '-w', '2', ip, String(port), '-e', BUSYBOX, 'true').status === 0;
/** The address a name resolves to, asked from the service's network namespace (Docker's embedded DNS). */
function resolve(service: string, name: string): string {
  const r = inNetns(service, 'nslookup', name, '127.0.0.11');
  const addresses = [...r.stdout.split(/^Name:/m)[1]?.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g) ?? []].map((m) => m[1]);
  assert.equal(addresses.length, 1, `${name} from ${service}: one address (${r.stdout}${r.stderr})`);
  return addresses[0]!;
}

function canEnterNetns(t: TestContext): boolean {
  if (process.getuid?.() !== 0) {
    t.skip('needs root (nsenter into the containers\' network namespaces)');
    return false;
  }
  if (spawnSync('nsenter', ['--version']).status !== 0 || spawnSync(BUSYBOX, ['true']).status !== 0) {
    t.skip(`needs nsenter (util-linux) and ${BUSYBOX} (busybox-static)`);
    return false;
  }
  return true;
}

describe('the exporter behind HAProxy, the back and front networks (live)', { timeout: 420_000, skip: dockerSuiteSkip() }, () => {
  const work = tempWorkdir('redis-ha-xp-net-');
  const dir = join(work.dir, '.redis-ha', NAME);
  let deployed = false;
  const secret = (name: string) => readFileSync(join(dir, 'secrets', name), 'utf8').trim();
  const stats = `http://127.0.0.1:${PORT_BASE + 202}`;
  const login = () => ({ authorization: `Basic ${Buffer.from(`stats:${secret('haproxy-stats')}`).toString('base64')}` });

  before(async () => {
    forceRemoveProject(NAME);
    docker('rm', '-f', '-v', OUTSIDE_LISTENER);
    docker('network', 'rm', OUTSIDE);
    const r = await runCli(['deploy', 'full', '--name', NAME, '--port-base', String(PORT_BASE), '--profile', 'fast', ...IMAGE_FLAGS], {
      cwd: work.dir,
      timeoutMs: 300_000,
    });
    assert.equal(r.exitCode, 0, `deploy failed:\n${r.stderr}\n${r.stdout}`);
    deployed = true;
  });
  after(async () => {
    docker('rm', '-f', '-v', OUTSIDE_LISTENER);
    docker('network', 'rm', OUTSIDE);
    if (deployed) await runCli(['cleanup', '--name', NAME], { cwd: work.dir, timeoutMs: 120_000 });
    forceRemoveProject(NAME);
    work.remove();
  });

  it('the exporter publishes no port and is only on the internal back network', (t) => {
    if (!requireDocker(t)) return;
    const exporter = inspect(containerId(NAME, 'exporter'));
    assert.deepEqual(Object.keys(exporter.NetworkSettings.Networks), [BACK]);
    assert.deepEqual(exporter.HostConfig.PortBindings ?? {}, {});
    assert.ok(Object.values(exporter.NetworkSettings.Ports ?? {}).every((b) => b === null), 'no host binding');
    assert.equal(inspect(BACK).Internal, true, 'the back network is internal');
    const front = inspect(FRONT);
    assert.equal(front.Internal, false);
    for (const service of [...NODES, ...SENTINELS, 'haproxy']) {
      assert.deepEqual(Object.keys(inspect(containerId(NAME, service)).NetworkSettings.Networks).sort(), [BACK, FRONT].sort(), service);
    }
  });

  it('without the stats login /scrape is 401', async (t) => {
    if (!requireDocker(t)) return;
    for (const path of ['/scrape?target=redis-1', '/scrape?target=127.0.0.1:6379', '/exporter/metrics']) {
      assert.equal((await fetch(`${stats}${path}`)).status, 401, path);
    }
  });

  it('with the login, every node and Sentinel is scraped; a foreign target is refused and never dialled', async (t) => {
    if (!requireDocker(t)) return;
    for (const target of [...NODES, ...SENTINELS]) {
      const r = await fetch(`${stats}/scrape?target=${target}`, { headers: login() });
      const text = await r.text();
      assert.equal(r.status, 200, target);
      assert.match(text, /^redis_up 1$/m, target);
    }
    const sentinelText = await (await fetch(`${stats}/scrape?target=sentinel-1`, { headers: login() })).text();
    assert.match(sentinelText, /^redis_sentinel_masters 1$/m, 'a Sentinel target is scraped as a Sentinel (port 26379)');

    const foreign = [
      '127.0.0.1:6379',
      'redis://xp-foreign.invalid:6379',
      'redis://redis-1:6379', // a URI, even of a node: only bare names pass
      'redis-1.xp-foreign.invalid',
      'REDIS-1',
      'redis-10',
      '',
    ];
    for (const target of foreign) {
      const r = await fetch(`${stats}/scrape?target=${encodeURIComponent(target)}`, { headers: login() });
      assert.equal(r.status, 403, `target=${target}`);
    }
    assert.equal((await fetch(`${stats}/scrape`, { headers: login() })).status, 403, 'no target');
    // A second target (and any other parameter) never reaches the exporter: the query is rewritten.
    const second = await fetch(`${stats}/scrape?target=redis-2&target=redis://xp-second.invalid:6379&check-single-keys=*`, { headers: login() });
    assert.equal(second.status, 200);
    assert.match(await second.text(), /^redis_up 1$/m);
    // The exporter's own metrics, through the same login.
    assert.match(await (await fetch(`${stats}/exporter/metrics`, { headers: login() })).text(), /^redis_exporter_build_info\{/m);

    const logs = () => {
      const r = docker('logs', containerId(NAME, 'exporter'));
      return r.stdout + r.stderr;
    };
    const before = logs();
    for (const marker of ['127.0.0.1:6379', 'xp-foreign.invalid', 'xp-second.invalid']) assert.ok(!before.includes(marker), `the exporter's log names ${marker}: it was dialled`);

    // Control: asked directly from inside the back network (a container of this test's own), the
    // exporter does dial, and its log says so. Without this the check above could not fail.
    const direct = docker(
      'run', '--rm', '--network', BACK, '-v', `${BUSYBOX}:${BUSYBOX}:ro`, '--entrypoint', BUSYBOX, LOCAL_IMAGES.redis,
      'wget', '-qO-', 'http://exporter:9121/scrape?target=redis://localhost:1',
    );
    assert.match(direct.stdout, /^redis_up 0$/m, `direct scrape: ${direct.stderr}`);
    assert.match(logs(), /Couldn't connect to redis instance \(redis:\/\/localhost:1\)/);
  });

  it("from the exporter's network namespace only the back network answers", async (t) => {
    if (!requireDocker(t) || !canEnterNetns(t)) return;
    // Control: the back addresses of HAProxy and a node answer.
    assert.ok(connects('exporter', addressOn('haproxy', BACK), 8404), 'HAProxy on the back network');
    assert.ok(connects('exporter', addressOn('redis-1', BACK), 6379), 'redis-1 on the back network');
    // The same containers' front addresses do not: nothing is forwarded off an internal bridge.
    assert.ok(!connects('exporter', addressOn('haproxy', FRONT), 8404), "HAProxy's front address");
    assert.ok(!connects('exporter', addressOn('redis-1', FRONT), 6379), "redis-1's front address");
    // Nor a listener on a network of this test's own (reachable from a container on that network: control).
    assert.equal(docker('network', 'create', '--label', 'io.redis-ha.test=xp', OUTSIDE).status, 0);
    const run = docker(
      'run', '-d', '--name', OUTSIDE_LISTENER, '--network', OUTSIDE, '-v', `${BUSYBOX}:${BUSYBOX}:ro`, '--entrypoint', BUSYBOX, LOCAL_IMAGES.redis,
      'nc', '-ll', '-p', '7000', '-e', BUSYBOX, 'true',
    );
    assert.equal(run.status, 0, run.stderr);
    const listener = inspect(OUTSIDE_LISTENER).NetworkSettings.Networks[OUTSIDE].IPAddress as string;
    // It may take a moment to listen: the control is retried.
    let probe = { status: -1, stderr: '' } as { status: number | null; stderr: string };
    for (let i = 0; i < 10 && probe.status !== 0; i++) {
      if (i > 0) await new Promise((resolveWait) => setTimeout(resolveWait, 500));
      probe = docker(
        'run', '--rm', '--network', OUTSIDE, '-v', `${BUSYBOX}:${BUSYBOX}:ro`, '--entrypoint', BUSYBOX, LOCAL_IMAGES.redis,
        'nc', '-w', '2', listener, '7000', '-e', BUSYBOX, 'true',
      );
    }
    assert.equal(probe.status, 0, `control: the listener answers on its own network (${probe.stderr})`);
    assert.ok(!connects('exporter', listener, 7000), 'a container on another network');
  });

  it('names resolve to the front address between services on both networks, to the back address from the exporter', (t) => {
    if (!requireDocker(t) || !canEnterNetns(t)) return;
    for (const name of ['redis-1', 'sentinel-2']) {
      assert.equal(resolve('haproxy', name), addressOn(name, FRONT), `${name} from haproxy`);
      assert.equal(resolve('redis-3', name), addressOn(name, FRONT), `${name} from redis-3`);
      assert.equal(resolve('exporter', name), addressOn(name, BACK), `${name} from the exporter`);
    }
    assert.equal(resolve('haproxy', 'exporter'), addressOn('exporter', BACK), 'the exporter from haproxy');
  });

  it('Redis and Sentinel answer on their published ports; a host-side ioredis Sentinel client writes and reads', async (t) => {
    if (!requireDocker(t)) return;
    const auth = { username: 'app', password: secret('app') };
    const opts = { ...auth, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true };
    for (const port of [PORT_BASE + 1, PORT_BASE + 2, PORT_BASE + 3, PORT_BASE + 101, PORT_BASE + 102, PORT_BASE + 103]) {
      const r = new Redis({ host: '127.0.0.1', port, ...opts });
      r.on('error', () => undefined);
      try {
        await r.connect();
        assert.equal(await r.ping(), 'PONG', `port ${port}`);
      } finally {
        r.disconnect();
      }
    }
    const status = await runCli(['status', '--name', NAME, '--json'], { cwd: work.dir, timeoutMs: 60_000 });
    assert.equal(status.exitCode, 0, status.stderr + status.stdout);
    const { natMap } = JSON.parse(status.stdout) as { natMap: Record<string, { host: string; port: number }> };
    const client = new Redis({
      sentinels: [1, 2, 3].map((i) => ({ host: '127.0.0.1', port: PORT_BASE + 100 + i })),
      name: 'mymaster',
      natMap,
      sentinelUsername: 'app',
      sentinelPassword: secret('app'),
      ...auth,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      assert.equal(await client.set('xp:key', 'through-sentinel'), 'OK');
      assert.equal(await client.get('xp:key'), 'through-sentinel');
      assert.equal((await client.info('replication')).match(/^role:(\w+)/m)?.[1], 'master');
    } finally {
      client.disconnect();
    }
  });

  it('a replica cut from both networks and reconnected (as partition-master heals) is reachable and relinks', async (t) => {
    if (!requireDocker(t)) return;
    const id = containerId(NAME, 'redis-3');
    for (const network of [BACK, FRONT]) assert.equal(docker('network', 'disconnect', network, id).status, 0, network);
    for (const network of [BACK, FRONT]) assert.equal(docker('network', 'connect', '--alias', 'redis-3', network, id).status, 0, network);
    const r = new Redis({ host: '127.0.0.1', port: PORT_BASE + 3, username: 'app', password: secret('app'), maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    r.on('error', () => undefined);
    try {
      const deadline = Date.now() + 30_000;
      let link = '';
      while (Date.now() < deadline) {
        link = await r.info('replication').then((i) => i.match(/^master_link_status:(\w+)/m)?.[1] ?? '', () => '');
        if (link === 'up') break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      }
      assert.equal(link, 'up', 'redis-3 answers on its published port and is linked to its master again');
    } finally {
      r.disconnect();
    }
    if (canEnterNetns(t)) assert.equal(resolve('redis-1', 'redis-3'), addressOn('redis-3', FRONT), 'its name resolves again, to the front address');
  });
});
