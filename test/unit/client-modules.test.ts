// The client files deploy writes into <out>/clients/ and the lines it prints about them. The
// ioredis module, imported as an application imports it, builds exactly the options
// test-failover measures with (sentinelClientOptions); the redis-py module, imported by
// python3 with Debian's redis-py, builds the Sentinel client the snippet used to; the dotenv
// file reads back through a shell. No client file holds a password.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkServerIdentity } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { SentinelConnector } from 'ioredis';
import { parseDotenv } from '../../src/commands/env.js';
import { natMap, sentinelNodes } from '../../src/model/nodes.js';
import type { Topology } from '../../src/model/schema.js';
import { QuietSentinelConnector, sentinelClientOptions } from '../../src/probes/sentinel-client.js';
import { NO_AUTH, type Credentials } from '../../src/probes/connect.js';
import { clientEnv, clientFiles } from '../../src/report/client-modules.js';
import { clusterClientOptions, clusterStartupNodes } from '../../src/probes/cluster-client.js';
import { jsSource, snippets } from '../../src/report/snippets.js';
import { pythonWithRedis } from '../helpers/binaries.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { topologyOf } from '../helpers/topology.js';

const SECRET = "s3cr'et\\x\"pw";

/** Writes the client files (and secrets/app) into a fresh directory; returns it. */
async function written(t: Topology, app: Credentials, hostOf?: (s: string) => string): Promise<string> {
  const dir = await makeTempDir('redis-ha-clients-');
  await mkdir(join(dir, 'secrets'));
  await writeFile(join(dir, 'secrets', 'app'), `${SECRET}\n`);
  for (const [path, content] of clientFiles({ topology: t, dir, app, hostOf })) {
    await mkdir(join(dir, 'clients'), { recursive: true });
    await writeFile(join(dir, path), content);
    assert.ok(!content.includes(SECRET) && !content.includes('s3cr'), `${path} holds no password`);
  }
  return dir;
}

type Options = Record<string, unknown>;
const importModule = async (dir: string) => (await import(pathToFileURL(join(dir, 'clients', 'ioredis.mjs')).href)) as { options: () => Options; MASTER_NAME: string; HAPROXY_WRITE_URL?: string; HAPROXY_READ_URL?: string; connect: unknown; connectHaproxy?: unknown };

function sameOptions(got: Options, want: Options): void {
  assert.deepEqual(Object.keys(got), Object.keys(want));
  for (const [key, w] of Object.entries(want)) {
    const g = got[key];
    if (typeof w === 'function' && key !== 'Connector') assert.equal(String(g), String(w), `${key}: same source`);
    else if (key !== 'Connector' && key !== 'tls' && key !== 'sentinelTLS') assert.deepEqual(g, w, key);
  }
  // Same behaviour, not only the same text.
  const fn = (o: Options, k: string) => o[k] as (x: unknown) => unknown;
  for (const k of ['retryStrategy', 'sentinelRetryStrategy', 'sentinelReconnectStrategy']) {
    for (const times of [1, 2, 3, 10, 100]) assert.equal(fn(got, k)(times), fn(want, k)(times), `${k}(${times})`);
  }
  for (const msg of ["READONLY You can't write against a read only replica.", 'ERR other']) {
    assert.equal(fn(got, 'reconnectOnError')(new Error(msg)), fn(want, 'reconnectOnError')(new Error(msg)));
  }
  assert.equal((got.Connector as { name: string }).name, QuietSentinelConnector.name);
  assert.ok((got.Connector as { prototype: unknown }).prototype instanceof SentinelConnector, 'the module\'s Connector is a SentinelConnector');
}

describe('clients/ioredis.mjs', () => {
  for (const [label, preset, overrides, app] of [
    ['sentinel, auth', 'sentinel', {}, { username: 'app', password: 'unused' }],
    ['full, 5 Sentinels, no auth', 'full', { sentinel: { count: 5, quorum: 3 }, auth: { enabled: false } }, NO_AUTH],
  ] as const) {
    it(`imported, its options() are the options test-failover measures with, the password read from secrets/app (${label})`, async (t) => {
      const topo = topologyOf(preset, { portBase: 8000, ...overrides });
      const dir = await written(topo, app);
      t.after(() => removeDir(dir));
      const m = await importModule(dir);
      const auth = topo.auth.enabled ? { username: 'app', password: SECRET } : NO_AUTH;
      sameOptions(m.options(), sentinelClientOptions(topo, auth) as Options);
      assert.equal(m.MASTER_NAME, topo.sentinel.masterName);
      assert.equal(typeof m.connect, 'function');
      if (preset === 'full') {
        assert.equal(m.HAPROXY_WRITE_URL, `redis://127.0.0.1:${topo.haproxy.writePort}`);
        assert.equal(typeof m.connectHaproxy, 'function');
      } else {
        assert.equal(m.HAPROXY_WRITE_URL, undefined);
      }
    });
  }

  it('with TLS: tls and sentinelTLS read <out>/tls/ca.crt; on swarm the certificate must name a service', async (t) => {
    const ca = '-----BEGIN CERTIFICATE-----\nfixed\n-----END CERTIFICATE-----\n';
    const base = await makeTempDir('redis-ha-ca-');
    t.after(() => removeDir(base));
    const caFile = join(base, 'ca.crt');
    await writeFile(caFile, ca);
    const compose = topologyOf('full', { tls: { enabled: true } });
    const dir = await written(compose, { username: 'app', password: 'x', tls: { ca, caFile } });
    t.after(() => removeDir(dir));
    const o = (await importModule(dir)).options();
    for (const key of ['tls', 'sentinelTLS']) assert.equal(String((o[key] as { ca: Buffer }).ca), ca, `${key}: the CA file's text`);
    assert.equal(o.enableTLSForSentinelMode, true);
    assert.match(await readFile(join(dir, 'clients', 'ioredis.mjs'), 'utf8'), /export const HAPROXY_WRITE_URL = 'rediss:\/\/app@127\.0\.0\.1:/);

    const swarm = topologyOf('sentinel', { tls: { enabled: true }, target: 'swarm', bind: '0.0.0.0' });
    const serverNames = ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'];
    const app = { username: 'app', password: 'x', tls: { ca, caFile, serverNames } };
    const hostOf = (s: string) => `10.0.0.${s.endsWith('1') ? 1 : 2}`;
    const sdir = await written(swarm, app, hostOf);
    t.after(() => removeDir(sdir));
    const so = (await importModule(sdir)).options();
    const check = (so.tls as { checkServerIdentity: (h: string, c: unknown) => unknown }).checkServerIdentity;
    const expected = (sentinelClientOptions(swarm, app, hostOf) as { tls: { checkServerIdentity: (h: string, c: unknown) => unknown } }).tls.checkServerIdentity;
    const cert = (names: string) => ({ subject: { CN: names.split(',')[0]! }, subjectaltname: names });
    for (const c of [cert('DNS:redis-2, DNS:localhost, IP Address:127.0.0.1'), cert('DNS:evil'), cert('IP Address:10.0.0.2')]) {
      assert.equal(check('10.0.0.2', c) === undefined, expected('10.0.0.2', c) === undefined, c.subjectaltname);
    }
    assert.ok(check('10.0.0.2', cert('DNS:evil')) instanceof Error);
    assert.equal(check('10.0.0.2', cert('DNS:redis-2')), undefined);
    assert.equal(typeof checkServerIdentity, 'function');
    assert.deepEqual((so.sentinels as { host: string }[]).map((s) => s.host), ['10.0.0.1', '10.0.0.2', '10.0.0.2']);
  });

  it('says what to do when ioredis cannot be found', async (t) => {
    const topo = topologyOf('sentinel');
    const dir = await written(topo, { username: 'app', password: 'x' });
    t.after(() => removeDir(dir));
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(dir, 'clients', 'ioredis.mjs')).href)})`], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cannot find ioredis; install it where your tests run \(npm install ioredis\)/);
  });
});

describe('clients/redis_py.py', () => {
  it('imported by python3 with redis-py: the Sentinel client logs in as app with the secret, maps announced names, TLS as configured', async (t) => {
    const python = pythonWithRedis(t);
    if (!python) return;
    const py = (dir: string, code: string) => {
      const r = spawnSync(python, ['-c', `import sys, json; sys.path.insert(0, ${JSON.stringify(join(dir, 'clients'))})\nimport redis_py\n${code}`], { encoding: 'utf8', cwd: '/' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const read = `s = redis_py.sentinel()\nk = s.sentinels[0].connection_pool.connection_kwargs\nm = redis_py.connect().connection_pool.connection_kwargs\nprint(json.dumps({"sentinel": {x: k.get(x) for x in ("username", "password", "ssl_ca_certs", "ssl_check_hostname")}, "master": {x: m.get(x) for x in ("username", "password", "socket_timeout")}, "nat": {f"{a[0]}:{a[1]}": list(b) for a, b in redis_py.NAT.items()}, "sentinels": redis_py.SENTINELS, "haproxy": redis_py.HAPROXY_WRITE}))`;
    const topo = topologyOf('full', { portBase: 8100 });
    const dir = await written(topo, { username: 'app', password: 'x' });
    t.after(() => removeDir(dir));
    const got = py(dir, read);
    assert.deepEqual(got.sentinel, { username: 'app', password: SECRET, ssl_ca_certs: null, ssl_check_hostname: null });
    assert.deepEqual(got.master, { username: 'app', password: SECRET, socket_timeout: 1 });
    assert.deepEqual(got.nat, Object.fromEntries(Object.entries(natMap(topo)).map(([k, v]) => [k, [v.host, v.port]])));
    assert.deepEqual(got.haproxy, ['127.0.0.1', topo.haproxy.writePort]);

    const tls = topologyOf('sentinel', { tls: { enabled: true } });
    const tdir = await written(tls, { username: 'app', password: 'x', tls: { ca: '', caFile: '/x/tls/ca.crt' } });
    t.after(() => removeDir(tdir));
    const tg = py(tdir, read);
    assert.deepEqual(tg.sentinel, { username: 'app', password: SECRET, ssl_ca_certs: '/x/tls/ca.crt', ssl_check_hostname: true });
    assert.equal(tg.haproxy, null);
  });
});

describe('clients for a cluster', () => {
  it('clients/ioredis.mjs, imported: STARTUP_NODES and options() are the table the snippet prints and test-failover measures with, the password read from secrets/app', async (t) => {
    const topo = topologyOf('cluster', { portBase: 8300 });
    const dir = await written(topo, { username: 'app', password: 'unused' });
    t.after(() => removeDir(dir));
    const m = (await import(pathToFileURL(join(dir, 'clients', 'ioredis.mjs')).href)) as { options: () => Options; STARTUP_NODES: unknown; connect: unknown };
    assert.deepEqual(m.STARTUP_NODES, clusterStartupNodes(topo));
    assert.deepEqual(m.options(), clusterClientOptions(topo, { username: 'app', password: SECRET }));
    assert.equal(typeof m.connect, 'function');
    const open = topologyOf('cluster', { portBase: 8400, auth: { enabled: false } });
    const odir = await written(open, NO_AUTH);
    t.after(() => removeDir(odir));
    const o = (await import(pathToFileURL(join(odir, 'clients', 'ioredis.mjs')).href)) as { options: () => Options };
    assert.deepEqual(o.options(), clusterClientOptions(open, NO_AUTH));
  });

  it('clients/redis_py.py, imported by python3: the startup nodes and NAT map of the snippet; on redis-py < 5 connect() says it needs 5.0 (address_remap) and what to do', async (t) => {
    const python = pythonWithRedis(t);
    if (!python) return;
    const topo = topologyOf('cluster', { portBase: 8500 });
    const dir = await written(topo, { username: 'app', password: 'x' });
    t.after(() => removeDir(dir));
    const code = `import sys, json; sys.path.insert(0, ${JSON.stringify(join(dir, 'clients'))})
import redis, redis_py
out = {"version": redis.__version__, "startup": redis_py.STARTUP_NODES, "nat": {f"{a[0]}:{a[1]}": list(b) for a, b in redis_py.NAT.items()}, "secret": redis_py._secret()}
try:
    redis_py.connect(socket_connect_timeout=0.2)
    out["connect"] = "made"
except Exception as e:
    out["connect"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))`;
    const r = spawnSync(python, ['-c', code], { encoding: 'utf8', cwd: '/' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { version: string; startup: [string, number][]; nat: Record<string, [string, number]>; secret: string; connect: string };
    assert.deepEqual(got.startup, clusterStartupNodes(topo).map((n) => [n.host, n.port]));
    assert.deepEqual(got.nat, Object.fromEntries(Object.entries(natMap(topo)).map(([k, v]) => [k, [v.host, v.port]])));
    assert.equal(got.secret, SECRET);
    // Debian's redis-py is 4.3.4 (no address_remap): the module says so instead of failing later.
    if (Number(got.version.split('.')[0]) < 5) assert.match(got.connect, /^RuntimeError: .*needs redis-py 5\.0 or later .*this is redis-py 4\..*pip install 'redis>=5'/);
    else assert.doesNotMatch(got.connect, /needs redis-py 5/);
  });
});

describe('clients/env and the printed lines', () => {
  it('a shell reads the dotenv file to the values `redis-ha env` prints; a password file, never a password', async (t) => {
    const topo = topologyOf('full', { portBase: 8200 });
    const dir = await written(topo, { username: 'app', password: 'x' });
    t.after(() => removeDir(dir));
    const file = join(dir, 'clients', 'env');
    const text = await readFile(file, 'utf8');
    const r = spawnSync('sh', ['-c', 'set -a; . "$1"; set +a; env', 'sh', file], { encoding: 'utf8', env: {} });
    assert.equal(r.status, 0, r.stderr);
    const shell = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]).filter(([k]) => k!.startsWith('REDIS')));
    assert.deepEqual(shell, parseDotenv(text));
    assert.deepEqual(parseDotenv(text), Object.fromEntries(clientEnv({ topology: topo, dir, app: { username: 'app' } })));
    assert.equal(shell.REDIS_PASSWORD_FILE, join(dir, 'secrets', 'app'));
    assert.equal(shell.REDIS_WRITE_URL, `redis://app@127.0.0.1:${topo.haproxy.writePort}`);
    assert.equal(shell.REDIS_SENTINELS, sentinelNodes(topo).map((n) => `127.0.0.1:${n.hostPort}`).join(','));
    assert.equal(shell.REDIS_NAT_MAP!.split(',').length, Object.keys(natMap(topo)).length);
  });

  it('deploy prints one line per client: redis-cli, an import of each module, the env file; no password unless asked', () => {
    const t = topologyOf('sentinel');
    const s = snippets(t, { username: 'app', password: 's3cret' }, false, '/work/.redis-ha/shop');
    for (const text of Object.values(s)) {
      assert.equal(String(text).split('\n').length, 1);
      assert.ok(!String(text).includes('s3cret'));
    }
    assert.equal(s.ioredis, "import { connect } from '/work/.redis-ha/shop/clients/ioredis.mjs';  const redis = await connect();");
    assert.equal(s.redisPy, 'import sys; sys.path.insert(0, "/work/.redis-ha/shop/clients"); from redis_py import connect; r = connect()');
    assert.match(s.env, /^set -a; \. \/work\/\.redis-ha\/shop\/clients\/env; set \+a/);
    assert.match(snippets(t, { username: 'app', password: 's3cret' }, true, '/d').redisCli, /-a 's3cret'/);
    assert.equal(snippets(topologyOf('basic'), NO_AUTH, false, '/d').ioredis, undefined);
  });

  it('prints JavaScript literals for the table values', () => {
    assert.equal(jsSource("it's"), "'it\\'s'");
    assert.equal(jsSource({ 'a:1': { host: 'h', port: 1 } }), "{\n  'a:1': { host: 'h', port: 1 },\n}");
    assert.equal(jsSource([1, true, undefined]), '[1, true, undefined]');
  });
});
