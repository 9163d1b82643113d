// Endpoints and the connection snippets printed after a deploy: a few lines that import the
// client modules deploy writes (report/client-modules.ts, made from the option table the
// failover workload measures with).
import { natMap, probeHost, redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { Credentials } from '../probes/connect.js';
import { maskSecret } from './style.js';
import { clusterClientEntries, clusterStartupNodes } from '../probes/cluster-client.js';

export interface Endpoint {
  service: string;
  role: string;
  address: string;
}

/** `hostOf`: on swarm, the address of the node that publishes each service's ports. */
export function endpoints(t: Topology, hostOf?: (service: string) => string): Endpoint[] {
  const at = (service: string) => hostOf?.(service) ?? probeHost(t);
  const list: Endpoint[] = [
    ...redisNodes(t).map((n) => ({ service: n.name, role: 'redis', address: `${at(n.name)}:${n.hostPort}` })),
    ...sentinelNodes(t).map((s) => ({ service: s.name, role: 'sentinel', address: `${at(s.name)}:${s.hostPort}` })),
  ];
  if (t.haproxy.enabled) {
    list.push(
      { service: 'haproxy', role: 'writes (current master)', address: `${at('haproxy')}:${t.haproxy.writePort}` },
      { service: 'haproxy', role: 'reads (replicas)', address: `${at('haproxy')}:${t.haproxy.readPort}` },
      { service: 'haproxy', role: 'stats /stats, metrics /metrics', address: `http://${at('haproxy')}:${t.haproxy.statsPort}` },
    );
  }
  if (t.exporter.enabled) {
    // Through HAProxy's stats port (its login): the exporter itself publishes no port.
    list.push({ service: 'exporter', role: 'metrics /scrape?target=redis-1 (any node or Sentinel; login stats)', address: `http://${at('haproxy')}:${t.haproxy.statsPort}` });
  }
  if (t.monitoring.enabled) {
    list.push({ service: 'prometheus', role: `Prometheus: targets, alerts, queries${t.auth.enabled ? ' (login stats)' : ''}`, address: `http://${at('prometheus')}:${t.monitoring.prometheus.port}` });
  }
  if (t.monitoring.alertmanager.enabled) {
    list.push({ service: 'alertmanager', role: `Alertmanager: alerts received, silences${t.auth.enabled ? ' (login stats)' : ''}`, address: `http://${at('alertmanager')}:${t.monitoring.alertmanager.port}` });
  }
  if (t.monitoring.grafana.enabled) {
    list.push({ service: 'grafana', role: `Grafana: the redis-ha dashboard${t.auth.enabled ? ' (login stats)' : ''}`, address: `http://${at('grafana')}:${t.monitoring.grafana.port}` });
  }
  return list;
}

export interface Snippets {
  redisCli: string;
  /** The lines that use the client modules deploy writes (report/client-modules.ts). */
  ioredis?: string;
  redisPy?: string;
  /** The dotenv file: for scripts, docker --env-file, a CI job's environment. */
  env: string;
}

/**
 * What deploy prints for client applications: redis-cli (as `auth`, the user app; its secret is
 * secrets/app), and a line each importing the modules in <dir>/clients/.
 */
export function snippets(t: Topology, auth: Credentials, showSecrets: boolean, dir: string, hostOf?: (service: string) => string): Snippets {
  const at = (service: string) => hostOf?.(service) ?? probeHost(t);
  const pw = maskSecret(auth.password ?? '', showSecrets);
  const user = auth.username ?? 'app';
  // With TLS: the deployment's CA (its certificates name 127.0.0.1, the host the snippets use).
  const caFile = auth.tls?.caFile;
  const cliAuth = (caFile ? ` --tls --cacert ${shellWord(caFile)}` : '') + (t.auth.enabled ? ` --user ${user} -a '${pw}' --no-auth-warning` : '');
  const writePort = t.haproxy.enabled ? t.haproxy.writePort : redisNodes(t)[0]!.hostPort;
  const sentinels = sentinelNodes(t);
  const clients = `${dir}/clients`;
  const out: Snippets = {
    redisCli: t.haproxy.enabled
      ? `redis-cli -h ${at('haproxy')} -p ${writePort}${cliAuth}    # writes via HAProxy; reads: -p ${t.haproxy.readPort}`
      : sentinels.length
        ? `redis-cli -h ${at(sentinels[0]!.name)} -p ${sentinels[0]!.hostPort}${cliAuth} SENTINEL get-master-addr-by-name ${t.sentinel.masterName}`
        : t.cluster.enabled
          ? `redis-cli -h ${at('redis-1')} -p ${writePort}${cliAuth}    # redis-1 only: keys of other shards answer MOVED with a name this host cannot resolve`
          : `redis-cli -h ${at('redis-1')} -p ${writePort}${cliAuth}    # redis-1, the master`,
    env: `set -a; . ${shellWord(`${clients}/env`)}; set +a    # or: redis-ha env --name ${t.name} --format json|github`,
  };
  if (t.cluster.enabled) return { ...out, ...clusterSnippets(t, auth, dir, hostOf) };
  if (!sentinels.length) return out;
  out.ioredis = `import { connect } from ${jsSource(`${clients}/ioredis.mjs`)};  const redis = await connect();`;
  out.redisPy = `import sys; sys.path.insert(0, ${JSON.stringify(clients)}); from redis_py import connect; r = connect()`;
  return out;
}

/**
 * A cluster: an ioredis Cluster and a redis-py RedisCluster, each mapping the names the nodes
 * announce to the published ports, reading the password from secrets/app (never printed).
 */
function clusterSnippets(t: Topology, auth: Credentials, dir: string, hostOf?: (service: string) => string): Pick<Snippets, 'ioredis' | 'redisPy'> {
  const host = hostOf ?? probeHost(t);
  const secretFile = `${dir}/secrets/app`;
  // The login is printed as code that reads it: the password from secrets/app, the CA from its file.
  const login = [
    ...(auth.username !== undefined ? [`username: ${jsSource(auth.username)}`] : []),
    ...(t.auth.enabled ? [`password: readFileSync(${jsSource(secretFile)}, 'utf8').trim()`] : []),
    ...(auth.tls ? [`tls: { ca: readFileSync(${jsSource(auth.tls.caFile)}) }`] : []),
  ];
  const entries = clusterClientEntries(t, auth, host);
  const code = (e: (typeof entries)[number]) => (e.key === 'redisOptions' ? `{ ${login.join(', ')} }` : jsSource(e.value, '  '));
  const options = `{\n${entries.map((e) => `  ${e.key}: ${code(e)},`).join('\n')}\n}`;
  const reads = t.auth.enabled || auth.tls ? "import { readFileSync } from 'node:fs'; " : '';
  const startup = clusterStartupNodes(t, host);
  const nat = Object.entries(natMap(t, host))
    .map(([from, to]) => {
      const [name, port] = from.split(':');
      return `("${name}", ${port}): ("${to.host}", ${to.port})`;
    })
    .join(', ');
  const pyLogin = t.auth.enabled ? `, username="${auth.username ?? 'app'}", password=open(${JSON.stringify(secretFile)}).read().strip()` : '';
  const tls = auth.tls ? `, ssl=True, ssl_ca_certs=${JSON.stringify(auth.tls.caFile)}` : '';
  return {
    ioredis: `${reads}import { Cluster } from 'ioredis'; const redis = new Cluster(${jsSource(startup)}, ${options});`,
    redisPy:
      `# address_remap needs redis-py >= 5.0\nfrom redis.cluster import RedisCluster, ClusterNode; NAT = {${nat}}; ` +
      `r = RedisCluster(startup_nodes=[${startup.map((n) => `ClusterNode("${n.host}", ${n.port})`).join(', ')}]${pyLogin}${tls}, address_remap=lambda a: NAT.get(a, a))`,
  };
}

/** A path as one shell word (single-quoted unless plain). */
export const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const isClass = (v: unknown): v is { name: string } => typeof v === 'function' && /^class\b/.test(String(v));

/** JavaScript source for a value of the option table (functions print their own source). */
export function jsSource(value: unknown, indent = ''): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isClass(value)) return value.name;
  if (typeof value === 'function') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => jsSource(v, indent)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    const key = (k: string) => (IDENTIFIER.test(k) ? k : jsSource(k));
    // Flat objects on one line ({ host: '127.0.0.1', port: 7001 }); nested ones one entry a line.
    if (entries.every(([, v]) => v === null || typeof v !== 'object')) return `{ ${entries.map(([k, v]) => `${key(k)}: ${jsSource(v, indent)}`).join(', ')} }`;
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${key(k)}: ${jsSource(v, inner)},`).join('\n')}\n${indent}}`;
  }
  throw new Error(`no JavaScript source for ${typeof value}`);
}
