// Pure logic behind deploy / status: INFO and stats parsing, the health checks on a
// snapshot, the wait helper (with a fake clock), the compose argv of both variants, snippets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkContainers, checkReplication, checkSentinels, type NodeStatus, type SentinelStatus } from '../../src/health/status.js';
import { natMap } from '../../src/model/nodes.js';
import { sleep, waitFor, WaitTimeoutError, type Clock } from '../../src/wait.js';
import { loadTopology } from '../../src/model/load.js';
import { metricValue, parseHaproxyCsv } from '../../src/probes/http.js';
import { parseReplicationInfo } from '../../src/probes/redis.js';
import { composeArgv } from '../../src/runtime/compose.js';
import type { ContainerInfo } from '../../src/runtime/runtime.js';
import { snippets } from '../../src/report/snippets.js';

const sentinelTopology = async () => (await loadTopology({ preset: 'sentinel' })).topology;

describe('INFO replication parsing', () => {
  it('reads a master with its replicas', () => {
    const info = [
      '# Replication',
      'role:master',
      'connected_slaves:2',
      'slave0:ip=redis-2,port=6379,state=online,offset=1211,lag=0',
      'slave1:ip=redis-3,port=6379,state=online,offset=1100,lag=1',
      'master_repl_offset:1211',
      '',
    ].join('\r\n');
    const s = parseReplicationInfo(info);
    assert.equal(s.role, 'master');
    assert.equal(s.offset, 1211);
    assert.equal(s.connectedReplicas, 2);
    assert.deepEqual(s.replicas?.[1], { host: 'redis-3', port: 6379, state: 'online', offset: 1100, lagSeconds: 1 });
  });

  it('reads a replica, its master and its link', () => {
    const info = 'role:slave\r\nmaster_host:redis-2\r\nmaster_port:6379\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:-1\r\nslave_repl_offset:42\r\n';
    assert.deepEqual(parseReplicationInfo(info), {
      role: 'slave',
      master: 'redis-2:6379',
      linkUp: false,
      offset: 42,
      lastIoSecondsAgo: -1,
    });
  });
});

describe('HAProxy stats and exporter metrics parsing', () => {
  it('keeps server rows with their status, drops frontends and backends', () => {
    const csv = '# pxname,svname,qcur,status\nredis_write,FRONTEND,,OPEN\nredis_write,redis-1,0,UP\nredis_write,redis-2,0,DOWN\nredis_write,BACKEND,0,UP\n';
    assert.deepEqual(parseHaproxyCsv(csv), [
      { backend: 'redis_write', server: 'redis-1', status: 'UP' },
      { backend: 'redis_write', server: 'redis-2', status: 'DOWN' },
    ]);
  });

  it('reads a metric with or without labels, not one whose name it prefixes', () => {
    const text = '# HELP redis_up x\nredis_uptime_in_seconds 9\nredis_up 1\nredis_connected_slaves{a="b"} 2\n';
    assert.equal(metricValue(text, 'redis_up'), 1);
    assert.equal(metricValue(text, 'redis_connected_slaves'), 2);
    assert.equal(metricValue(text, 'redis_missing'), undefined);
  });
});

const node = (service: string, extra: Partial<NodeStatus>): NodeStatus => ({ service, hostPort: 0, reachable: true, ...extra });
const container = (service: string, state = 'running', health?: string): ContainerInfo => ({
  id: service,
  name: service,
  project: 'p',
  service,
  state,
  health,
  exitCode: state === 'exited' ? 137 : 0,
  labels: {},
  ports: {},
  networks: [],
});

describe('health checks on a snapshot', () => {
  it('replication: one master, replicas linked to it and caught up', () => {
    const nodes = [
      node('redis-1', { role: 'master', offset: 100 }),
      node('redis-2', { role: 'slave', master: 'redis-1:6379', linkUp: true, offset: 100, lagBytes: 0 }),
    ];
    assert.equal(checkReplication(nodes, { caughtUp: true }).ok, true);
  });

  it('replication: two masters is named as such', () => {
    const r = checkReplication([node('redis-1', { role: 'master' }), node('redis-2', { role: 'master' })], { caughtUp: false });
    assert.equal(r.ok, false);
    assert.equal(r.detail, '2 masters: redis-1, redis-2');
  });

  it('replication: a replica behind fails only when caught-up is asked for', () => {
    const nodes = [
      node('redis-1', { role: 'master', offset: 100 }),
      node('redis-2', { role: 'slave', master: 'redis-1:6379', linkUp: true, offset: 60, lagBytes: 40 }),
    ];
    assert.equal(checkReplication(nodes, { caughtUp: false }).ok, true);
    assert.deepEqual(checkReplication(nodes, { caughtUp: true }), {
      name: 'replication',
      ok: false,
      detail: 'redis-2 40 bytes behind',
      services: ['redis-2'],
    });
  });

  it('replication: a replica of another node is not linked', () => {
    const nodes = [node('redis-1', { role: 'master' }), node('redis-2', { role: 'slave', master: 'redis-3:6379', linkUp: true })];
    assert.match(checkReplication(nodes, { caughtUp: false }).detail, /redis-2 -> redis-3:6379/);
  });

  it('containers: an exited or unhealthy container is fatal (waiting cannot help), a restarting one is not; one before its first healthcheck is ready', async () => {
    const t = await sentinelTopology();
    const all = ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'];
    const healthy = all.map((s) => container(s, 'running', 'healthy'));
    assert.equal(checkContainers(t, healthy).ok, true);
    const exited = checkContainers(t, [...healthy.slice(1), container('redis-1', 'exited')]);
    assert.equal(exited.fatal, true);
    assert.equal(exited.detail, 'redis-1 exited (code 137)');
    assert.equal(checkContainers(t, [...healthy.slice(1), { ...container('redis-1', 'running', 'unhealthy'), healthFailingStreak: 3 }]).fatal, true);
    // Docker's mark on a container it paused (no healthcheck failed), kept after unpause until the
    // next healthcheck: not a failure; while still paused it is not ready.
    const unpaused = checkContainers(t, [...healthy.slice(1), { ...container('redis-1', 'running', 'unhealthy'), healthFailingStreak: 0 }]);
    assert.equal(unpaused.ok, true);
    assert.match(unpaused.detail, /^6 running; redis-1 marked unhealthy by Docker since a pause, no healthcheck failed/);
    const paused = checkContainers(t, [...healthy.slice(1), { ...container('redis-1', 'paused', 'unhealthy'), healthFailingStreak: 0 }]);
    assert.equal(paused.ok, false);
    assert.equal(paused.fatal, undefined);
    // The same mark on a container that stops and restarts in a loop (the monitor stops with it): fatal.
    const looping = checkContainers(t, [...healthy.slice(1), { ...container('redis-1', 'restarting', 'unhealthy'), healthFailingStreak: 0 }]);
    assert.equal(looping.fatal, true);
    assert.equal(looping.detail, 'redis-1 is unhealthy');
    const restarting = checkContainers(t, [...healthy.slice(1), container('redis-1', 'restarting')]);
    assert.equal(restarting.ok, false);
    assert.equal(restarting.fatal, undefined);
    // Container healthchecks gate nothing: the host-side probes of the other checks decide.
    const starting = checkContainers(t, [...healthy.slice(1), container('redis-1', 'running', 'starting')]);
    assert.equal(starting.ok, true);
    assert.equal(starting.detail, '6 running (1 before their first container healthcheck)');
    assert.deepEqual(checkContainers(t, healthy.slice(1)).services, ['redis-1']);
  });

  it('sentinels: each must name the master, see every replica and peer, and pass CKQUORUM', async () => {
    const t = await sentinelTopology();
    const good = (service: string): SentinelStatus => ({
      service,
      hostPort: 0,
      reachable: true,
      master: 'redis-1',
      replicasOk: ['redis-2', 'redis-3'],
      otherSentinels: ['a', 'b'],
      ckquorum: { ok: true, message: 'OK' },
    });
    const three = ['sentinel-1', 'sentinel-2', 'sentinel-3'].map(good);
    assert.equal(checkSentinels(t, 'redis-1', three).ok, true);
    const split = [...three.slice(0, 2), { ...good('sentinel-3'), master: 'redis-2', replicasOk: ['redis-3'] }];
    const r = checkSentinels(t, 'redis-1', split);
    assert.equal(r.ok, false);
    assert.equal(r.detail, 'sentinel-3 names redis-2 as master; sentinel-3 does not see replica(s) redis-2');
    assert.deepEqual(r.services, ['sentinel-3']);
    // A Sentinel that names the master but holds it subjectively down: Sentinel clients skip it.
    const sdown = checkSentinels(t, 'redis-1', [...three.slice(0, 2), { ...good('sentinel-3'), masterFlags: 's_down,master' }]);
    assert.equal(sdown.ok, false);
    assert.equal(sdown.detail, 'sentinel-3 flags the master s_down,master (clients asking it find no master)');
    assert.equal(checkSentinels(t, 'redis-1', three.map((x) => ({ ...x, masterFlags: 'master' }))).ok, true);
  });
});

describe('waitFor', () => {
  const fakeClock = (): Clock & { slept: number } => {
    let now = 0;
    return {
      slept: 0,
      now: () => now,
      async sleep(ms) {
        now += ms;
        this.slept += ms;
      },
    };
  };

  it('returns the value once the poll is done', async () => {
    let n = 0;
    const value = await waitFor('n to reach 3', async () => ({ verdict: ++n >= 3 ? 'done' : 'waiting', value: n, state: `n=${n}` }), {
      timeoutMs: 1000,
      intervalMs: 100,
      clock: fakeClock(),
    });
    assert.equal(value, 3);
  });

  it('times out naming the condition, the limit and the last state', async () => {
    const clock = fakeClock();
    await assert.rejects(
      waitFor('the moon', async () => ({ verdict: 'waiting', value: 0, state: 'still waning' }), { timeoutMs: 1000, intervalMs: 100, clock }),
      (err: WaitTimeoutError<number>) => {
        assert.equal(err.message, 'timed out after 1.0 s waiting for the moon; last state: still waning');
        assert.equal(err.fatal, false);
        return true;
      },
    );
    assert.ok(clock.slept <= 1000);
  });

  it('fails at once on a fatal state, without waiting out the timeout', async () => {
    const clock = fakeClock();
    await assert.rejects(
      waitFor('health', async () => ({ verdict: 'fatal', value: 0, state: 'redis-1 exited (code 1)' }), { timeoutMs: 60_000, intervalMs: 100, clock }),
      /health: redis-1 exited \(code 1\)/,
    );
    assert.equal(clock.slept, 0);
  });
});

describe('sleep', () => {
  it('resolves after the time given', async () => {
    const started = performance.now();
    await sleep(20);
    assert.ok(performance.now() - started >= 15);
  });

  it("ends at once when its signal aborts, rejecting with the signal's reason", async () => {
    const abort = new AbortController();
    const reason = new Error('Ctrl-C');
    const started = performance.now();
    setTimeout(() => abort.abort(reason), 10);
    await assert.rejects(sleep(60_000, { signal: abort.signal }), (err) => err === reason);
    assert.ok(performance.now() - started < 5000, 'slept out the minute');
    await assert.rejects(sleep(60_000, { signal: abort.signal }), (err) => err === reason, 'an aborted signal: rejects without waiting');
  });
});

describe('compose argv', () => {
  const project = { name: 'shop', dir: '/x/.redis-ha/shop', file: '/x/.redis-ha/shop/compose.yaml' };
  it('v2 is the docker plugin, v1 the docker-compose binary; both carry project, file and directory', () => {
    const flags = ['-p', 'shop', '-f', project.file, '--project-directory', project.dir, 'up', '-d'];
    assert.deepEqual(composeArgv('v2', project, ['up', '-d']), ['docker', ['compose', ...flags]]);
    assert.deepEqual(composeArgv('v1', project, ['up', '-d']), ['docker-compose', flags]);
  });
});

describe('connection snippets', () => {
  it('map every announced name to its published port; the printed lines hold no password unless asked', async () => {
    const t = await sentinelTopology();
    assert.deepEqual(natMap(t)['redis-2:6379'], { host: '127.0.0.1', port: 7002 });
    assert.deepEqual(natMap(t)['sentinel-3:26379'], { host: '127.0.0.1', port: 7103 });
    const masked = snippets(t, { username: 'app', password: 's3cret' }, false, '/d');
    for (const text of Object.values(masked)) assert.ok(!String(text).includes('s3cret'));
    assert.match(snippets(t, { username: 'app', password: 's3cret' }, true, '/d').redisCli, /--user app -a 's3cret'/);
  });
});
