// Every generated file read by the program that reads it in production: haproxy -c,
// redis-server, redis-sentinel, docker-compose config, promtool. Binaries that are
// missing skip their test with the reason, unless CI=true, where they fail it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { loadTopology } from '../../src/model/load.js';
import { redisNodes } from '../../src/model/nodes.js';
import { PRESETS, type PresetName } from '../../src/model/schema.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { freePort, requireBinary, run, startBackground, waitFor, which } from '../helpers/binaries.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';
import type { Topology } from '../../src/model/schema.js';
import { FIXED_SECRETS as SECRETS } from '../helpers/secrets.js';

/** Lines in a Redis / Sentinel log that mean the config was not accepted as written. */
const BAD_LOG = /Bad directive|FATAL|Unrecognized|wrong number of arguments|Invalid argument/i;

async function writeFiles(dir: string, files: Map<string, string>): Promise<void> {
  for (const [path, content] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/**
 * A runnable copy of a rendered redis.conf / sentinel.conf in `workDir`, as the start
 * scripts make it in the container: the password lines appended. One line differs:
 * `dir /data` becomes `dir <workDir>`, because Redis chdir()s while it reads that line,
 * before command-line overrides (`--dir`) apply, and /data does not exist on this host.
 */
async function runnableCopy(rendered: string, workDir: string, authLines: string[]): Promise<string> {
  const text = await readFile(rendered, 'utf8');
  const dirLines = text.split('\n').filter((l) => l.startsWith('dir '));
  assert.deepEqual(dirLines, ['dir /data'], `${rendered} sets dir /data exactly once`);
  const copy = join(workDir, 'live.conf');
  await writeFile(copy, `${text.replace(/^dir \/data$/m, `dir ${workDir}`)}\n${authLines.join('\n')}\n`);
  return copy;
}

/** redis-cli as one of the deployment's users (admin unless named), the way the container scripts log in. */
function cliAs(user: keyof typeof SECRETS, port: number, ...args: string[]) {
  return run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '--raw', '--user', user, ...args], {
    env: { ...process.env, REDISCLI_AUTH: SECRETS[user] },
    timeoutMs: 5000,
  });
}
const redisCli = (port: number, ...args: string[]) => cliAs('admin', port, ...args);

async function startAndPing(t: TestContext, binary: string, conf: string, workDir: string) {
  const port = await freePort();
  const server = startBackground(binary, [conf, '--port', String(port), '--bind', '127.0.0.1', '--dir', workDir, '--daemonize', 'no'], {
    cwd: workDir,
  });
  t.after(() => server.stop());
  const answered = await waitFor(() => server.exited() || redisCli(port, 'PING').stdout.trim() === 'PONG', 10_000);
  assert.ok(answered && !server.exited(), `${binary} ${conf} answers PING on 127.0.0.1:${port}; output:\n${server.output()}`);
  return { port, server };
}

for (const preset of PRESETS) {
  describe(`real tools read the ${preset} preset`, () => {
    let dir: string;
    let topology: Topology;
    let files: Map<string, string>;
    before(async () => {
      dir = await makeTempDir();
      topology = (await loadTopology({ preset: preset as PresetName })).topology;
      files = synthesize(topology, SECRETS);
      await writeFiles(dir, files);
    });
    after(() => removeDir(dir));

    it('docker-compose config -q accepts compose.yaml', (t) => {
      if (!requireBinary(t, 'docker-compose')) return;
      const r = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir });
      assert.equal(r.status, 0, `docker-compose config failed:\n${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim(), '', 'no warnings');
    });

    it('every redis.conf starts a real redis-server (master and replicas)', async (t) => {
      if (!requireBinary(t, 'redis-server') || !requireBinary(t, 'redis-cli')) return;
      const nodes = [...files.keys()].filter((p) => p.startsWith('redis/'));
      assert.equal(nodes.length, redisNodes(topology).length);
      for (const node of nodes) {
        await t.test(node, async (st) => {
          const work = await makeTempDir('redis-ha-redis-');
          st.after(() => removeDir(work));
          const conf = await runnableCopy(join(dir, node), work, [`masterauth ${SECRETS.replica}`]);
          const { port, server } = await startAndPing(st, 'redis-server', conf, work);
          const role = redisCli(port, 'ROLE').stdout.split('\n')[0];
          // A cluster node starts as a master of nothing; redis-ha makes the replicas (CLUSTER REPLICATE).
          assert.equal(role, node === 'redis/redis-1.conf' || topology.cluster.enabled ? 'master' : 'slave', `${node} starts in its rendered role`);
          if (topology.cluster.enabled) {
            assert.match(redisCli(port, 'INFO', 'cluster').stdout, /^cluster_enabled:1/m, `${node} runs in cluster mode`);
            assert.equal(redisCli(port, 'CONFIG', 'GET', 'cluster-announce-hostname').stdout.split('\n')[1], node.slice('redis/'.length, -'.conf'.length));
            assert.ok(existsSync(join(work, 'nodes.conf')), `${node}: nodes.conf is written in dir (the node's volume)`);
          }
          redisCli(port, 'SHUTDOWN', 'NOSAVE');
          await waitFor(() => server.exited(), 5000);
          // A replica cannot resolve its master (redis-1) on this host; that line is expected.
          const log = server.output().split('\n').filter((l) => !/Unable to connect to MASTER/.test(l)).join('\n');
          assert.doesNotMatch(log, BAD_LOG, `${node}: redis-server log:\n${server.output()}`);
        });
      }
    });

    it('every sentinel.conf starts a real redis-sentinel that names redis-1 as master', async (t) => {
      const sentinels = [...files.keys()].filter((p) => p.startsWith('sentinel/'));
      if (!topology.sentinel.enabled) {
        assert.deepEqual(sentinels, [], 'no sentinel.conf without Sentinel');
        return;
      }
      if (!requireBinary(t, 'redis-sentinel') || !requireBinary(t, 'redis-cli')) return;
      assert.equal(sentinels.length, topology.sentinel.count);
      for (const sentinel of sentinels) {
        await t.test(sentinel, async (st) => {
          const work = await makeTempDir('redis-ha-sentinel-');
          st.after(() => removeDir(work));
          // Sentinel rewrites its config: it runs from a writable copy, with the lines sentinel-start.sh adds.
          const conf = await runnableCopy(join(dir, sentinel), work, [
            `sentinel auth-pass ${topology.sentinel.masterName} ${SECRETS.sentinel}`,
            `sentinel sentinel-pass ${SECRETS.sentinel}`,
          ]);
          const { port, server } = await startAndPing(st, 'redis-sentinel', conf, work);
          const master = redisCli(port, 'SENTINEL', 'get-master-addr-by-name', topology.sentinel.masterName);
          assert.deepEqual(master.stdout.trim().split('\n'), ['redis-1', '6379']);
          redisCli(port, 'SHUTDOWN', 'NOSAVE');
          await waitFor(() => server.exited(), 5000);
          assert.doesNotMatch(server.output(), BAD_LOG, `${sentinel}: redis-sentinel log:\n${server.output()}`);
        });
      }
    });

    it('haproxy -c accepts haproxy.cfg without warnings', async (t) => {
      if (!topology.haproxy.enabled) {
        assert.equal(files.has('haproxy/haproxy.cfg'), false, 'no haproxy.cfg without HAProxy');
        return;
      }
      if (!requireBinary(t, 'haproxy')) return;
      await checkHaproxy(join(dir, 'haproxy/haproxy.cfg'));
    });

    it('promtool accepts prometheus.yml and alerts.yml', (t) => {
      if (!topology.exporter.enabled) {
        assert.equal(files.has('prometheus/prometheus.yml'), false, 'no prometheus.yml without the exporter');
        return;
      }
      if (!requireBinary(t, 'promtool')) return;
      const config = run('promtool', ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
      assert.equal(config.status, 0, `promtool check config:\n${config.stdout}${config.stderr}`);
      const rules = run('promtool', ['check', 'rules', join(dir, 'prometheus/alerts.yml')]);
      assert.equal(rules.status, 0, `promtool check rules:\n${rules.stdout}${rules.stderr}`);
      assert.match(rules.stdout, /SUCCESS: \d+ rules found/);
    });

    it('promtool accepts web.yml, and its hash opens for the stats password only (monitoring)', async (t) => {
      if (!topology.monitoring.enabled || !topology.auth.enabled) {
        assert.equal(files.has('prometheus/web.yml'), false, 'no web.yml without monitoring and users');
        return;
      }
      if (!requireBinary(t, 'promtool')) return;
      const web = run('promtool', ['check', 'web-config', join(dir, 'prometheus/web.yml')]);
      assert.equal(web.status, 0, `promtool check web-config:\n${web.stdout}${web.stderr}`);
      const { default: bcrypt } = await import('bcryptjs');
      const hash = /^ {2}stats: (\S+)$/m.exec(await readFile(join(dir, 'prometheus/web.yml'), 'utf8'))?.[1] ?? '';
      assert.equal(bcrypt.compareSync(SECRETS['haproxy-stats'], hash), true);
      assert.equal(bcrypt.compareSync(SECRETS.admin, hash), false);
    });
  });
}

/** haproxy.cfg with its @@secret@@ placeholders filled in, as haproxy-start.sh does in the container. */
async function checkHaproxy(cfg: string): Promise<void> {
  const text = await readFile(cfg, 'utf8');
  const filled = text.replace(/@@([a-z-]+)@@/g, (_, name: keyof typeof SECRETS) => SECRETS[name]);
  await writeFile(`${cfg}.live`, filled);
  const r = run('haproxy', ['-c', '-f', `${cfg}.live`]);
  const output = r.stdout + r.stderr;
  assert.equal(r.status, 0, `haproxy -c failed:\n${output}`);
  assert.doesNotMatch(output, /\[WARNING\]|\[ALERT\]/, `haproxy -c reported:\n${output}`);
}

describe('real tools read variants of the full preset', () => {
  const variants: [string, Record<string, unknown>][] = [
    ['10 nodes and 5 Sentinels (quorum 3)', { replicas: 9, sentinel: { count: 5, quorum: 3 } }],
    ['auth disabled', { auth: { enabled: false } }],
    ['fast profile, check interval 100 ms', { profile: 'fast', haproxy: { checkIntervalMs: 100 } }],
    ['Grafana and Alertmanager (monitoring.grafana)', { monitoring: { grafana: { enabled: true }, alertmanager: { enabled: true } } }],
    ['Grafana, auth disabled', { auth: { enabled: false }, monitoring: { grafana: { enabled: true } } }],
  ];
  for (const [label, overrides] of variants) {
    it(`haproxy -c accepts haproxy.cfg: ${label}`, async (t) => {
      if (!requireBinary(t, 'haproxy')) return;
      const dir = await makeTempDir();
      t.after(() => removeDir(dir));
      await writeFiles(dir, synthesize(topologyOf('full', overrides), SECRETS));
      await checkHaproxy(join(dir, 'haproxy/haproxy.cfg'));
    });

    it(`docker-compose config -q accepts compose.yaml: ${label}`, async (t) => {
      if (!requireBinary(t, 'docker-compose')) return;
      const dir = await makeTempDir();
      t.after(() => removeDir(dir));
      await writeFiles(dir, synthesize(topologyOf('full', overrides), SECRETS));
      const r = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir });
      assert.equal(r.status, 0, `docker-compose config failed:\n${r.stdout}${r.stderr}`);
    });
  }
});

describe('real tools read the full preset with Alertmanager (monitoring.alertmanager)', () => {
  const variants: [string, Record<string, unknown>][] = [
    ['no receiver', { monitoring: { alertmanager: { enabled: true } } }],
    ['a webhook, fast profile', { profile: 'fast', monitoring: { alertmanager: { enabled: true, receiver: { webhookUrl: 'https://hooks.example.com/redis-ha?token=a1&b="2"#x' } } } }],
    ['auth disabled', { auth: { enabled: false }, monitoring: { alertmanager: { enabled: true } } }],
  ];
  for (const [label, overrides] of variants) {
    it(`amtool accepts alertmanager.yml, promtool prometheus.yml with its alerting section (and web.yml): ${label}`, async (t) => {
      if (!requireBinary(t, 'amtool') || !requireBinary(t, 'promtool')) return;
      const dir = await makeTempDir();
      t.after(() => removeDir(dir));
      const topology = topologyOf('full', overrides);
      await writeFiles(dir, synthesize(topology, SECRETS));
      const am = run('amtool', ['check-config', join(dir, 'alertmanager/alertmanager.yml')]);
      assert.equal(am.status, 0, `amtool check-config:\n${am.stdout}${am.stderr}`);
      assert.match(am.stdout, /SUCCESS/);
      assert.match(am.stdout, /1 receivers/);
      const prom = run('promtool', ['check', 'config', join(dir, 'prometheus/prometheus.yml')]);
      assert.equal(prom.status, 0, `promtool check config:\n${prom.stdout}${prom.stderr}`);
      assert.match(await readFile(join(dir, 'prometheus/prometheus.yml'), 'utf8'), /^alerting:\n {2}alertmanagers:/m);
      if (topology.auth.enabled) {
        const web = run('promtool', ['check', 'web-config', join(dir, 'alertmanager/web.yml')]);
        assert.equal(web.status, 0, `promtool check web-config (the exporter-toolkit format Alertmanager reads too):\n${web.stdout}${web.stderr}`);
      }
      if (requireBinary(t, 'docker-compose')) {
        const compose = run('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir });
        assert.equal(compose.status, 0, `docker-compose config:\n${compose.stdout}${compose.stderr}`);
      }
    });
  }

  // Negative control: amtool does refuse a receiver the route does not know.
  it('amtool refuses a route to a receiver that is not defined', async (t) => {
    if (!requireBinary(t, 'amtool')) return;
    const dir = await makeTempDir();
    t.after(() => removeDir(dir));
    await writeFile(join(dir, 'alertmanager.yml'), 'route:\n  receiver: nowhere\nreceivers:\n  - name: none\n');
    assert.notEqual(run('amtool', ['check-config', join(dir, 'alertmanager.yml')]).status, 0);
  });
});

// Negative control: the harness above does notice a config Redis refuses.
describe('the redis-server harness', () => {
  it('sees a bad directive as a failed start with "Bad directive" in the log', async (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    const work = await makeTempDir('redis-ha-redis-');
    t.after(() => removeDir(work));
    const conf = join(work, 'bad.conf');
    await writeFile(conf, 'port 6379\nno-such-directive yes\n');
    const port = await freePort();
    const server = startBackground('redis-server', [conf, '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no'], {
      cwd: work,
    });
    t.after(() => server.stop());
    assert.ok(await waitFor(() => server.exited(), 10_000), 'redis-server exits');
    assert.match(server.output(), BAD_LOG);
  });
});

// Each user can do what it needs and nothing more, against a real redis-server and
// redis-sentinel started from the rendered full preset (users as rendered, passwords as the
// start scripts add them).
describe('the rendered users, on a real redis-server and redis-sentinel', () => {
  let dir: string;
  let topology: Topology;
  let master: number;
  let replica: number;
  let sentinel: number;
  const works: string[] = [];
  const stops: (() => void)[] = [];
  const nopermOrErr = (r: { stdout: string; stderr: string }) => /NOPERM|ERR|WRONGPASS/.test(r.stdout + r.stderr);

  async function start(binary: string, rendered: string, authLines: string[], extra: string[] = []) {
    const work = await makeTempDir('redis-ha-acl-');
    works.push(work);
    const conf = await runnableCopy(join(dir, rendered), work, authLines);
    const port = await freePort();
    const server = startBackground(binary, [conf, '--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--daemonize', 'no', ...extra], { cwd: work });
    stops.push(() => server.stop());
    const ok = await waitFor(() => server.exited() || cliAs('health', port, 'PING').stdout.trim() === 'PONG', 10_000);
    assert.ok(ok && !server.exited(), `${binary} ${rendered} answers the health user; output:\n${server.output()}`);
    return port;
  }

  before(async () => {
    if (!which('redis-server') || !which('redis-sentinel')) return;
    dir = await makeTempDir();
    topology = topologyOf('full', { profile: 'fast' });
    await writeFiles(dir, synthesize(topology, SECRETS));
    master = await start('redis-server', 'redis/redis-1.conf', [`masterauth ${SECRETS.replica}`]);
    // redis-2 as rendered, but replicating the local master (the name redis-1 does not resolve here).
    replica = await start('redis-server', 'redis/redis-2.conf', [`masterauth ${SECRETS.replica}`], ['--replicaof', 'no', 'one']);
    // ...and announcing its local address, so that the Sentinel can reach it to promote it.
    cliAs('admin', replica, 'CONFIG', 'SET', 'replica-announce-ip', '127.0.0.1', 'replica-announce-port', String(replica));
    cliAs('admin', replica, 'REPLICAOF', '127.0.0.1', String(master));
    sentinel = await start('redis-sentinel', 'sentinel/sentinel-1.conf', [
      `sentinel auth-pass ${topology.sentinel.masterName} ${SECRETS.sentinel}`,
      `sentinel sentinel-pass ${SECRETS.sentinel}`,
    ]);
  });
  after(async () => {
    for (const stop of stops) stop();
    for (const w of works) await removeDir(w);
    if (dir) await removeDir(dir);
  });

  it('nobody gets in without a user: default is off, wrong passwords fail', (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    const anon = run('redis-cli', ['-h', '127.0.0.1', '-p', String(master), '--raw', 'GET', 'k'], { timeoutMs: 5000 });
    assert.match(anon.stdout + anon.stderr, /NOAUTH/);
    const wrong = run('redis-cli', ['-h', '127.0.0.1', '-p', String(master), '--no-auth-warning', '--user', 'app', '--raw', 'PING'], {
      env: { ...process.env, REDISCLI_AUTH: SECRETS.admin },
      timeoutMs: 5000,
    });
    assert.match(wrong.stdout + wrong.stderr, /WRONGPASS/);
  });

  it('replica: replicates through masteruser/masterauth, and can do nothing else', async (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    const linked = await waitFor(() => /master_link_status:up/.test(cliAs('admin', replica, 'INFO', 'replication').stdout), 10_000);
    assert.ok(linked, `the replica links with the replica user:\n${cliAs('admin', replica, 'INFO', 'replication').stdout}`);
    assert.ok(nopermOrErr(cliAs('replica', master, 'GET', 'k')), 'replica cannot GET');
    assert.ok(nopermOrErr(cliAs('replica', master, 'SET', 'k', 'v')), 'replica cannot SET');
    assert.ok(nopermOrErr(cliAs('replica', master, 'INFO')), 'replica cannot INFO');
  });

  it('app: data commands and INFO, no CONFIG, ACL, KEYS, FLUSHALL, REPLICAOF, CLIENT KILL/LIST, SHUTDOWN, MONITOR', (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    assert.equal(cliAs('app', master, 'SET', 'card', '4111').stdout.trim(), 'OK');
    assert.equal(cliAs('app', master, 'GET', 'card').stdout.trim(), '4111');
    assert.match(cliAs('app', master, 'INFO', 'replication').stdout, /role:master/, 'ioredis reads role from INFO');
    assert.equal(cliAs('app', master, 'CLIENT', 'SETNAME', 'x').stdout.trim(), 'OK');
    for (const cmd of [['CONFIG', 'GET', 'masterauth'], ['ACL', 'LIST'], ['KEYS', '*'], ['FLUSHALL'], ['REPLICAOF', 'NO', 'ONE'], ['CLIENT', 'KILL', 'ID', '1'], ['CLIENT', 'LIST'], ['SHUTDOWN'], ['MONITOR']]) {
      const r = cliAs('app', master, ...cmd);
      assert.match(r.stdout + r.stderr, /NOPERM/, `app: ${cmd.join(' ')} is refused`);
    }
  });

  it('exporter: INFO and its metrics commands, but no key value, no key name, no CONFIG', (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    assert.match(cliAs('exporter', master, 'INFO').stdout, /redis_version/);
    assert.doesNotMatch(cliAs('exporter', master, 'SLOWLOG', 'LEN').stdout + cliAs('exporter', master, 'SLOWLOG', 'LEN').stderr, /NOPERM/);
    for (const cmd of [['GET', 'card'], ['STRLEN', 'card'], ['SCAN', '0'], ['EVAL', "return redis.call('get','card')", '0'], ['CONFIG', 'GET', 'masterauth'], ['CLIENT', 'KILL', 'ID', '1'], ['SLOWLOG', 'RESET']]) {
      const r = cliAs('exporter', master, ...cmd);
      assert.match(r.stdout + r.stderr, /NOPERM/, `exporter: ${cmd.join(' ')} is refused`);
      assert.doesNotMatch(r.stdout, /4111/);
    }
  });

  it('health: PING, INFO, ROLE and nothing else', (t) => {
    if (!requireBinary(t, 'redis-server')) return;
    assert.equal(cliAs('health', master, 'PING').stdout.trim(), 'PONG');
    assert.match(cliAs('health', master, 'INFO', 'replication').stdout, /role:master/);
    assert.match(cliAs('health', master, 'ROLE').stdout, /^master/);
    for (const cmd of [['GET', 'card'], ['SET', 'a', 'b'], ['CONFIG', 'GET', 'maxmemory'], ['CLIENT', 'LIST'], ['SUBSCRIBE', 'x']]) {
      const r = cliAs('health', master, ...cmd);
      assert.match(r.stdout + r.stderr, /NOPERM/, `health: ${cmd.join(' ')} is refused`);
    }
  });

  it('sentinel (user): monitors and fails over through its ACL; the master logs no denial', async (t) => {
    if (!requireBinary(t, 'redis-sentinel')) return;
    const name = topology.sentinel.masterName;
    // Point the rendered Sentinel at the local master, logging in as the user sentinel.
    cliAs('admin', sentinel, 'SENTINEL', 'REMOVE', name);
    assert.equal(cliAs('admin', sentinel, 'SENTINEL', 'MONITOR', name, '127.0.0.1', String(master), '1').stdout.trim(), 'OK');
    cliAs('admin', sentinel, 'SENTINEL', 'SET', name, 'auth-user', 'sentinel', 'auth-pass', SECRETS.sentinel, 'down-after-milliseconds', '1000');
    const seesReplica = await waitFor(() => /num-slaves\n1/.test(cliAs('admin', sentinel, 'SENTINEL', 'MASTER', name).stdout), 15_000);
    assert.ok(seesReplica, `the Sentinel sees the master and its replica:\n${cliAs('admin', sentinel, 'SENTINEL', 'MASTER', name).stdout}`);
    await waitFor(() => /master_link_status:up/.test(cliAs('admin', replica, 'INFO', 'replication').stdout), 5000);
    const replicaOk = await waitFor(() => /^flags\nslave$/m.test(cliAs('admin', sentinel, 'SENTINEL', 'REPLICAS', name).stdout), 15_000);
    assert.ok(replicaOk, `the Sentinel reaches the replica:\n${cliAs('admin', sentinel, 'SENTINEL', 'REPLICAS', name).stdout}`);
    assert.equal(cliAs('admin', sentinel, 'SENTINEL', 'FAILOVER', name).stdout.trim(), 'OK');
    const promoted = await waitFor(() => cliAs('health', replica, 'ROLE').stdout.startsWith('master'), 20_000);
    assert.ok(promoted, 'the replica was promoted by the Sentinel, as the user sentinel');
    const denied = cliAs('admin', master, 'ACL', 'LOG').stdout + cliAs('admin', replica, 'ACL', 'LOG').stdout;
    assert.doesNotMatch(denied, /sentinel/, `no command of the user sentinel was refused:\n${denied}`);
  });

  it('Sentinel users: app discovers and subscribes only; health asks the master only; exporter reads state only', (t) => {
    if (!requireBinary(t, 'redis-sentinel')) return;
    const name = topology.sentinel.masterName;
    for (const user of ['app', 'health'] as const) {
      assert.equal(cliAs(user, sentinel, 'SENTINEL', 'get-master-addr-by-name', name).stdout.trim().split('\n').length, 2, `${user} finds the master`);
    }
    for (const sub of [['masters'], ['sentinels', name], ['slaves', name]]) {
      assert.doesNotMatch(cliAs('app', sentinel, 'SENTINEL', ...sub).stdout + cliAs('app', sentinel, 'SENTINEL', ...sub).stderr, /NOPERM/, `app: SENTINEL ${sub[0]}`);
    }
    const sub = run('redis-cli', ['-h', '127.0.0.1', '-p', String(sentinel), '--no-auth-warning', '--user', 'app', 'SUBSCRIBE', '+switch-master'], {
      env: { ...process.env, REDISCLI_AUTH: SECRETS.app },
      timeoutMs: 1000,
    });
    assert.match(sub.stdout, /subscribe\n\+switch-master\n1/, 'app subscribes to +switch-master');
    assert.match(cliAs('exporter', sentinel, 'INFO').stdout, /sentinel_masters:1/);
    assert.doesNotMatch(cliAs('exporter', sentinel, 'SENTINEL', 'CKQUORUM', name).stdout, /NOPERM/);
    const refused: [keyof typeof SECRETS, string[]][] = [
      ['app', ['SENTINEL', 'SET', name, 'auth-pass', 'x']],
      ['app', ['SENTINEL', 'FAILOVER', name]],
      ['app', ['SENTINEL', 'REMOVE', name]],
      ['app', ['SENTINEL', 'CONFIG', 'GET', '*']],
      ['app', ['SUBSCRIBE', '__sentinel__:hello']],
      ['app', ['INFO']],
      ['health', ['SENTINEL', 'masters']],
      ['health', ['SENTINEL', 'SET', name, 'quorum', '1']],
      ['exporter', ['SENTINEL', 'SET', name, 'quorum', '1']],
      ['exporter', ['SENTINEL', 'FAILOVER', name]],
      ['sentinel', ['SENTINEL', 'SET', name, 'quorum', '1']],
      ['sentinel', ['SENTINEL', 'FAILOVER', name]],
    ];
    for (const [user, cmd] of refused) {
      const r = cliAs(user, sentinel, ...cmd);
      assert.match(r.stdout + r.stderr, /NOPERM/, `${user}: ${cmd.join(' ')} is refused on the Sentinel`);
    }
  });
});
