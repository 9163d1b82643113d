// What an application's tests import to reach a deployment, written by deploy into
// <out>/clients/: an ES module for ioredis, a Python module for redis-py and a dotenv file.
// The ioredis module's options are the option table test-failover measures with
// (probes/sentinel-client.ts), printed the way the snippet prints them; the redis-py module is
// the redis-py snippet with its password read from the secret file. No module holds a secret:
// each reads <out>/secrets/app when it runs, so a rotated password is picked up.
import { natMap, probeHost, redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { KEEP_CONNECTED_SOURCE, QUIET_SENTINEL_CONNECTOR_SOURCE, sentinelClientEntries, type OptionEntry } from '../probes/sentinel-client.js';
import type { Credentials } from '../probes/connect.js';
import { jsSource } from './snippets.js';
import { clusterClientEntries, clusterStartupNodes } from '../probes/cluster-client.js';

/** The application's user and its secret file (relative to the deployment directory). */
const APP_USER = 'app';
const APP_SECRET = 'secrets/app';

export interface ClientTarget {
  topology: Topology;
  /** The deployment directory (absolute): the dotenv file names files under it. */
  dir: string;
  /** The application's login (user app) and, with TLS, the CA; its password is never written. */
  app: Credentials;
  /** On swarm: the address of the node that publishes each service's ports. */
  hostOf?: (service: string) => string;
}

/** The values of clients/env and `redis-ha env`, in order. */
export function clientEnv(c: ClientTarget): [string, string][] {
  const t = c.topology;
  const at = (service: string) => c.hostOf?.(service) ?? probeHost(t);
  const auth = t.auth.enabled;
  const scheme = c.app.tls ? 'rediss' : 'redis';
  const url = (host: string, port: number) => `${scheme}://${auth ? `${APP_USER}@` : ''}${host}:${port}`;
  const env: [string, string][] = [['REDIS_HA_DEPLOYMENT', t.name]];
  const sentinels = sentinelNodes(t);
  // Announced name:port=published-host:port, comma-separated (Sentinel's and the cluster's alike).
  const natMapEnv = () => Object.entries(natMap(t, c.hostOf ?? probeHost(t))).map(([from, to]) => `${from}=${to.host}:${to.port}`).join(',');
  if (t.cluster.enabled) {
    // Any node gives a cluster client the slot map; the nodes announce in-network names.
    env.push(['REDIS_CLUSTER_NODES', redisNodes(t).map((n) => `${at(n.name)}:${n.hostPort}`).join(',')], ['REDIS_NAT_MAP', natMapEnv()]);
  } else if (sentinels.length) {
    env.push(['REDIS_SENTINELS', sentinels.map((s) => `${at(s.name)}:${s.hostPort}`).join(',')], ['REDIS_MASTER_NAME', t.sentinel.masterName]);
    env.push(['REDIS_NAT_MAP', natMapEnv()]);
  } else {
    const master = redisNodes(t)[0]!;
    env.push(['REDIS_URL', url(at(master.name), master.hostPort)]);
  }
  if (t.haproxy.enabled) env.push(['REDIS_WRITE_URL', url(at('haproxy'), t.haproxy.writePort)], ['REDIS_READ_URL', url(at('haproxy'), t.haproxy.readPort)]);
  if (auth) env.push(['REDIS_USERNAME', APP_USER], ['REDIS_PASSWORD_FILE', `${c.dir}/${APP_SECRET}`]);
  if (c.app.tls) env.push(['REDIS_CA_FILE', c.app.tls.caFile]);
  env.push(['REDIS_HA_CLIENTS_DIR', `${c.dir}/clients`]);
  return env;
}

/** A dotenv value: bare when plain, else double-quoted (dotenv, docker --env-file and `set -a; .` all read it). */
const dotenvValue = (v: string) => (/^[\w@%+=:,./-]*$/.test(v) ? v : `"${v.replace(/(["\\$`])/g, '\\$1')}"`);

export function dotenv(env: [string, string][]): string {
  return `${env.map(([k, v]) => `${k}=${dotenvValue(v)}`).join('\n')}\n`;
}

/** The ioredis options with the password read from the secret file where the module runs. */
function moduleEntries(c: ClientTarget): OptionEntry[] {
  const t = c.topology;
  const login: Credentials = { ...(t.auth.enabled ? { username: APP_USER, password: '' } : {}), ...(c.app.tls ? { tls: c.app.tls } : {}) };
  return sentinelClientEntries(t, login, c.hostOf ?? probeHost(t)).map((e) =>
    (e.key === 'password' || e.key === 'sentinelPassword') && t.auth.enabled ? { ...e, source: 'secret()' } : e,
  );
}

const isClass = (v: unknown): v is { name: string } => typeof v === 'function' && /^class\b/.test(String(v));

/** How the module finds ioredis: the application's copy (its working directory), else one beside the module. */
const LOAD_IOREDIS = [
  '// ioredis as your application has it installed (its working directory), else beside this file.',
  'function loadIoredis() {',
  "  for (const from of [join(process.cwd(), 'package.json'), import.meta.url]) {",
  '    try {',
  "      return createRequire(from)('ioredis');",
  '    } catch {',
  '      // try the next place',
  '    }',
  '  }',
  "  throw new Error('redis-ha clients/ioredis.mjs: cannot find ioredis; install it where your tests run (npm install ioredis)');",
  '}',
  'const ioredis = loadIoredis();',
];

const READY = [
  '/** Resolves once `redis` is ready; rejects (and disconnects it) after `ms`. */',
  'function ready(redis, ms) {',
  "  if (redis.status === 'ready') return Promise.resolve(redis);",
  '  return new Promise((resolve, reject) => {',
  '    const timer = setTimeout(() => {',
  '      redis.disconnect();',
  '      reject(new Error(`redis-ha: not connected within ${ms} ms (status ${redis.status})`));',
  '    }, ms);',
  "    redis.once('ready', () => {",
  '      clearTimeout(timer);',
  '      resolve(redis);',
  '    });',
  '  });',
  '}',
];

/** The redis-py modules' map of announced name:port to this host's address, as the lines of a Python dict. */
const pyNat = (t: Topology, host: string | ((service: string) => string)) =>
  Object.entries(natMap(t, host))
    .map(([k, v]) => {
      const [h, p] = k.split(':');
      return `    ("${h}", ${p}): ("${v.host}", ${v.port}),`;
    })
    .join('\n');

/** The redis-py modules' reader of secrets/app (when a client is made: a rotated password is picked up). */
const PY_SECRET = [
  'def _secret():',
  `    with open(os.path.join(_HERE, "..", ${APP_SECRET.split('/').map((p) => JSON.stringify(p)).join(', ')})) as f:`,
  '        return f.read().strip()',
];

/** The top of an ioredis module: what wrote it, that it holds no secret, how to use it, its imports. */
const moduleHeader = (c: ClientTarget, usage: string[]) => [
  `// redis-ha: ioredis clients for deployment "${c.topology.name}" (preset ${c.topology.preset}), written by \`redis-ha deploy\`.`,
  '// Regenerated at every deploy; do not edit. Holds no secret: the password is read from',
  `// ../${APP_SECRET} when a client is made. Needs ioredis (npm install ioredis) where your tests run.`,
  '//',
  ...usage,
  "import { readFileSync } from 'node:fs';",
  "import { createRequire } from 'node:module';",
  "import { join } from 'node:path';",
];

/**
 * A cluster: an ioredis `Cluster` with the options of the one table (probes/cluster-client.ts)
 * that the snippet prints and redis-ha's own clients use, the password read from secrets/app.
 */
export function ioredisClusterModule(c: ClientTarget): string {
  const t = c.topology;
  const host = c.hostOf ?? probeHost(t);
  const login = [
    ...(t.auth.enabled ? [`username: ${jsSource(APP_USER)}`, 'password: secret()'] : []),
    ...(c.app.tls ? [`tls: { ca: readFileSync(${jsSource(c.app.tls.caFile)}) }`] : []),
  ];
  return [
    ...moduleHeader(c, [
      `//   import { connect } from '${c.dir}/clients/ioredis.mjs';`,
      '//   const redis = await connect();   // a Cluster client: every slot; follows failovers and reshards',
      '//   ...; await redis.quit();',
    ]),
    '',
    ...LOAD_IOREDIS,
    'const { Cluster } = ioredis;',
    `const secret = () => readFileSync(new URL('../${APP_SECRET}', import.meta.url), 'utf8').trim();`,
    '',
    "/** Every node's published port: any one that answers gives the client the slot map. */",
    `export const STARTUP_NODES = ${jsSource(clusterStartupNodes(t, host))};`,
    '',
    '/** The options redis-ha tests cluster failover with (test-failover), as a new object each time. */',
    'export function options() {',
    '  return {',
    ...clusterClientEntries(t, {}, host).map((e) => `    ${e.key}: ${e.key === 'redisOptions' ? `{ ${login.join(', ')} }` : jsSource(e.value, '    ')},${e.comment ? `  // ${e.comment}` : ''}`),
    '  };',
    '}',
    '',
    ...READY,
    '',
    '/**',
    ' * A connected Cluster client (it has the slot map). `overrides`: ioredis Cluster options over',
    ' * the tested ones. quit() or disconnect() it when done.',
    ' */',
    'export async function connect(overrides = {}, { timeoutMs = 10_000 } = {}) {',
    '  const redis = new Cluster(STARTUP_NODES, { ...options(), ...overrides });',
    "  redis.on('error', () => {}); // a node's connection errors: the client reconnects by itself",
    '  return ready(redis, timeoutMs);',
    '}',
    '',
  ].join('\n');
}

/** A cluster: a redis-py `RedisCluster` as the snippet makes it (address_remap: redis-py 5.0 or later, checked at connect). */
export function redisPyClusterModule(c: ClientTarget): string {
  const t = c.topology;
  const host = c.hostOf ?? probeHost(t);
  const nat = pyNat(t, host);
  const caFile = c.app.tls?.caFile;
  const kw = [...(t.auth.enabled ? [`username="${APP_USER}"`, 'password=_secret()'] : []), ...(caFile ? ['ssl=True', `ssl_ca_certs=${JSON.stringify(caFile)}`] : [])];
  return [
    `"""redis-ha: a redis-py cluster client for deployment "${t.name}" (preset ${t.preset}), written by \`redis-ha deploy\`.`,
    '',
    'Regenerated at every deploy; do not edit. Holds no secret: the password is read from',
    `../${APP_SECRET} when a client is made. Needs redis-py 5.0 or later where your tests run:`,
    'the nodes announce their names (redis-1:6379), which address_remap (redis-py 5) maps to the',
    "ports published on this host. Inside a container on the deployment's network no map is needed.",
    '',
    `    import sys; sys.path.insert(0, "${c.dir}/clients")`,
    '    from redis_py import connect',
    '    r = connect()            # a RedisCluster: every slot; follows failovers and reshards',
    '"""',
    'import os',
    '',
    'import redis',
    'from redis.cluster import ClusterNode, RedisCluster',
    '',
    '_HERE = os.path.dirname(os.path.abspath(__file__))',
    `STARTUP_NODES = [${clusterStartupNodes(t, host).map((n) => `("${n.host}", ${n.port})`).join(', ')}]`,
    '# The nodes announce in-network names; map them to the ports published on this host.',
    `NAT = {\n${nat}\n}`,
    '',
    '',
    ...PY_SECRET,
    '',
    '',
    'def connect(**kwargs):',
    '    """A RedisCluster client through the published ports (redis-py 5.0 or later)."""',
    '    if int(redis.__version__.split(".")[0]) < 5:',
    '        raise RuntimeError(',
    '            "redis-ha clients/redis_py.py: a cluster client on the Docker host needs redis-py 5.0 or later "',
    '            "(address_remap maps the names the nodes announce to the ports published on this host); this is redis-py "',
    '            + redis.__version__',
    '            + ". Upgrade it (pip install \'redis>=5\'), or run the client in a container on the deployment\'s network."',
    '        )',
    `    return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in STARTUP_NODES], ${kw.length ? `${kw.join(', ')}, ` : ''}address_remap=lambda a: NAT.get(a, a), **kwargs)`,
    '',
  ].join('\n');
}

export function ioredisModule(c: ClientTarget): string {
  const t = c.topology;
  const entries = moduleEntries(c);
  const auth = t.auth.enabled;
  const at = (service: string) => c.hostOf?.(service) ?? probeHost(t);
  const haproxy = t.haproxy.enabled ? { host: at('haproxy'), write: t.haproxy.writePort, read: t.haproxy.readPort } : undefined;
  const scheme = c.app.tls ? 'rediss' : 'redis';
  const classes = entries.filter((e) => isClass(e.value));
  return [
    ...moduleHeader(c, [
      `//   import { connect } from '${c.dir}/clients/ioredis.mjs';`,
      '//   const redis = await connect();      // the master, through the Sentinels; follows failovers',
      ...(haproxy ? ["//   const w = await connectHaproxy('write');   // or 'read': plain clients through HAProxy"] : []),
      '//   ...; await redis.quit();',
    ]),
    ...(entries.some((e) => e.source?.includes('checkServerIdentity(')) ? ["import { checkServerIdentity } from 'node:tls';"] : []),
    '',
    ...LOAD_IOREDIS,
    'const Redis = ioredis.default ?? ioredis;',
    'const { SentinelConnector } = ioredis;',
    `const secret = () => readFileSync(new URL('../${APP_SECRET}', import.meta.url), 'utf8').trim();`,
    '',
    // The one class of the table (QuietSentinelConnector), as the source text it is made from.
    ...classes.flatMap((e) => [`// ${e.comment ?? e.key}`, QUIET_SENTINEL_CONNECTOR_SOURCE, '']),
    '// ioredis can end a Sentinel client for good when a failover is announced while it is',
    '// reconnecting; keepConnected connects again unless you closed it.',
    KEEP_CONNECTED_SOURCE,
    '',
    '/** The options redis-ha tests failover with (test-failover), as a new object each time. */',
    'export function options() {',
    '  return {',
    ...entries.map((e) => `    ${e.key}: ${e.source ?? jsSource(e.value, '    ')},${e.comment && !isClass(e.value) ? `  // ${e.comment}` : ''}`),
    '  };',
    '}',
    '',
    `export const MASTER_NAME = ${jsSource(t.sentinel.masterName)};`,
    `export const HAPROXY_WRITE_URL = ${haproxy ? jsSource(`${scheme}://${auth ? `${APP_USER}@` : ''}${haproxy.host}:${haproxy.write}`) : 'undefined'};`,
    `export const HAPROXY_READ_URL = ${haproxy ? jsSource(`${scheme}://${auth ? `${APP_USER}@` : ''}${haproxy.host}:${haproxy.read}`) : 'undefined'};`,
    '',
    ...READY,
    '',
    '/**',
    ' * A connected client of the master, found through the Sentinels; it follows failovers.',
    ' * `overrides`: ioredis options over the tested ones. quit() or disconnect() it when done.',
    ' */',
    'export async function connect(overrides = {}, { timeoutMs = 10_000 } = {}) {',
    '  const redis = new Redis({ ...options(), ...overrides });',
    "  redis.on('error', () => {}); // connection errors: ioredis reconnects by itself",
    '  const release = keepConnected(redis);',
    '  const disconnect = redis.disconnect.bind(redis);',
    '  redis.disconnect = (...args) => {',
    '    release();',
    '    return disconnect(...args);',
    '  };',
    '  // ioredis (6.0.0) leaves its connections to the Sentinels (the failover detector) open after',
    '  // quit(), and the process never exits: disconnect() once the QUIT is answered closes them.',
    '  const quit = redis.quit.bind(redis);',
    '  redis.quit = async (...args) => {',
    '    release();',
    '    try {',
    '      return await quit(...args);',
    '    } finally {',
    '      disconnect();',
    '    }',
    '  };',
    '  return ready(redis, timeoutMs);',
    '}',
    ...(haproxy
      ? [
          '',
          "/** A connected plain client through HAProxy: 'write' reaches the master, 'read' a replica. */",
          "export async function connectHaproxy(role = 'write', overrides = {}, { timeoutMs = 10_000 } = {}) {",
          `  const port = role === 'read' ? ${haproxy.read} : ${haproxy.write};`,
          '  const o = options();',
          `  const redis = new Redis({ host: ${jsSource(haproxy.host)}, port, username: o.username, password: o.password, ${c.app.tls ? 'tls: o.tls, ' : ''}connectTimeout: 500, commandTimeout: o.commandTimeout, maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(50 * times, 100), ...overrides });`,
          "  redis.on('error', () => {});",
          '  return ready(redis, timeoutMs);',
          '}',
        ]
      : []),
    '',
  ].join('\n');
}

export function redisPyModule(c: ClientTarget): string {
  const t = c.topology;
  const at = (service: string) => c.hostOf?.(service) ?? probeHost(t);
  const auth = t.auth.enabled;
  const nat = pyNat(t, c.hostOf ?? probeHost(t));
  const caFile = c.app.tls?.caFile;
  // As the snippet: on swarm the NAT leads to node addresses no certificate names; the chain
  // is still checked against the deployment's own CA.
  const checkHost = c.app.tls?.serverNames ? 'False' : 'True';
  const tls = caFile ? { ssl: 'True', ssl_ca_certs: JSON.stringify(caFile), ssl_check_hostname: checkHost } : undefined;
  const kw = (extra: Record<string, string>) =>
    Object.entries({ ...(auth ? { username: `"${APP_USER}"`, password: '_secret()' } : {}), ...(tls ?? {}), ...extra })
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  const haproxy = t.haproxy.enabled ? { host: at('haproxy'), write: t.haproxy.writePort, read: t.haproxy.readPort } : undefined;
  return [
    `"""redis-ha: redis-py clients for deployment "${t.name}" (preset ${t.preset}), written by \`redis-ha deploy\`.`,
    '',
    'Regenerated at every deploy; do not edit. Holds no secret: the password is read from',
    `../${APP_SECRET} when a client is made. Needs redis-py (4.x or 5.x) where your tests run.`,
    '',
    `    import sys; sys.path.insert(0, "${c.dir}/clients")`,
    '    from redis_py import connect',
    '    r = connect()            # the master, through the Sentinels; follows failovers',
    '"""',
    'import os',
    '',
    'from redis import Redis',
    'from redis.sentinel import Sentinel',
    '',
    '_HERE = os.path.dirname(os.path.abspath(__file__))',
    `MASTER_NAME = "${t.sentinel.masterName}"`,
    `SENTINELS = [${sentinelNodes(t).map((s) => `("${at(s.name)}", ${s.hostPort})`).join(', ')}]`,
    '# Sentinels announce in-network names; map them to the ports published on this host.',
    `NAT = {\n${nat}\n}`,
    `HAPROXY_WRITE = ${haproxy ? `("${haproxy.host}", ${haproxy.write})` : 'None'}`,
    `HAPROXY_READ = ${haproxy ? `("${haproxy.host}", ${haproxy.read})` : 'None'}`,
    '',
    '',
    ...PY_SECRET,
    '',
    '',
    'class HostSentinel(Sentinel):',
    '    def discover_master(self, service_name):',
    '        addr = tuple(super().discover_master(service_name))',
    '        return NAT.get(addr, addr)',
    '',
    '    def discover_slaves(self, service_name):',
    '        return [NAT.get(tuple(a), tuple(a)) for a in super().discover_slaves(service_name)]',
    '',
    '',
    'def sentinel(**kwargs):',
    '    """The Sentinels, with the addresses they name mapped to this host\'s published ports."""',
    `    return HostSentinel(SENTINELS, sentinel_kwargs=dict(${kw({})}), ${kw({ socket_timeout: '1' })}, **kwargs)`,
    '',
    '',
    'def connect(**kwargs):',
    '    """A client of the master, found through the Sentinels (it asks them again after a failover)."""',
    '    return sentinel().master_for(MASTER_NAME, **kwargs)',
    '',
    '',
    'def connect_replica(**kwargs):',
    '    """A client of a replica, found through the Sentinels."""',
    '    return sentinel().slave_for(MASTER_NAME, **kwargs)',
    ...(haproxy
      ? [
          '',
          '',
          'def connect_haproxy(role="write", **kwargs):',
          '    """A plain client through HAProxy: "write" reaches the master, "read" a replica."""',
          '    host, port = HAPROXY_READ if role == "read" else HAPROXY_WRITE',
          `    return Redis(host=host, port=port, ${kw({ socket_timeout: '1' })}, **kwargs)`,
        ]
      : []),
    '',
  ].join('\n');
}

/** The files deploy writes under clients/: the modules need Sentinels or a cluster; the dotenv file is always there. */
export function clientFiles(c: ClientTarget): Map<string, string> {
  const files = new Map<string, string>();
  if (c.topology.cluster.enabled) {
    files.set('clients/ioredis.mjs', ioredisClusterModule(c));
    files.set('clients/redis_py.py', redisPyClusterModule(c));
  } else if (sentinelNodes(c.topology).length) {
    files.set('clients/ioredis.mjs', ioredisModule(c));
    files.set('clients/redis_py.py', redisPyModule(c));
  }
  files.set('clients/env', `# redis-ha: deployment "${c.topology.name}", written by \`redis-ha deploy\` (no secret: REDIS_PASSWORD_FILE names it)\n${dotenv(clientEnv(c))}`);
  return files;
}
