// Endpoints and ready-to-paste connection snippets printed after a deploy. The ioredis one is
// generated from the option table the failover workload measures with (probes/sentinel-client.ts).
import { natMap, probeHost, redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { type Credentials, NO_AUTH } from '../probes/connect.js';
import { keepConnected, sentinelClientEntries, type OptionEntry } from '../probes/sentinel-client.js';
import { maskSecret } from './style.js';

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
  return list;
}

export interface Snippets {
  redisCli: string;
  ioredis?: string;
  redisPy?: string;
}

/** Snippets for client applications: they log in as `auth` (the user app; its secret is secrets/app). */
export function snippets(t: Topology, auth: Credentials, showSecrets: boolean, hostOf?: (service: string) => string): Snippets {
  const at = (service: string) => hostOf?.(service) ?? probeHost(t);
  const hosts = hostOf ?? probeHost(t);
  const pw = maskSecret(auth.password ?? '', showSecrets);
  const user = auth.username ?? 'app';
  // With TLS: the deployment's CA (its certificates name 127.0.0.1, the host the snippets use).
  const caFile = auth.tls?.caFile;
  const cliAuth = (caFile ? ` --tls --cacert ${shellWord(caFile)}` : '') + (t.auth.enabled ? ` --user ${user} -a '${pw}' --no-auth-warning` : '');
  const writePort = t.haproxy.enabled ? t.haproxy.writePort : redisNodes(t)[0]!.hostPort;
  const sentinels = sentinelNodes(t);
  const out: Snippets = {
    redisCli: t.haproxy.enabled
      ? `redis-cli -h ${at('haproxy')} -p ${writePort}${cliAuth}    # writes via HAProxy; reads: -p ${t.haproxy.readPort}`
      : sentinels.length
        ? `redis-cli -h ${at(sentinels[0]!.name)} -p ${sentinels[0]!.hostPort}${cliAuth} SENTINEL get-master-addr-by-name ${t.sentinel.masterName}`
        : `redis-cli -h ${at('redis-1')} -p ${writePort}${cliAuth}    # redis-1, the master`,
  };
  if (!sentinels.length) return out;
  const client: Credentials = { ...(t.auth.enabled ? { username: user, password: pw } : NO_AUTH), ...(auth.tls ? { tls: auth.tls } : {}) };
  out.ioredis = ioredisSnippet(sentinelClientEntries(t, client, hosts));
  const pyNat = Object.entries(natMap(t, hosts))
    .map(([k, v]) => {
      const [h, p] = k.split(':');
      return `("${h}", ${p}): ("${v.host}", ${v.port})`;
    })
    .join(', ');
  // A JSON string is a valid Python string literal, whatever the password holds.
  const pyPw = t.auth.enabled ? JSON.stringify(pw) : 'None';
  const pyUser = t.auth.enabled ? JSON.stringify(user) : 'None';
  // ssl_check_hostname: on compose the certificates carry 127.0.0.1 (and the service names). On
  // swarm the NAT leads to node addresses, which no certificate names: the chain is still
  // verified against the deployment's own CA (ssl_cert_reqs defaults to required), which signs
  // only its services.
  const checkHost = auth.tls?.serverNames ? 'False' : 'True';
  const pySsl = caFile ? `"ssl": True, "ssl_ca_certs": ${JSON.stringify(caFile)}, "ssl_check_hostname": ${checkHost}` : '';
  const pySslKwargs = caFile ? `ssl=True, ssl_ca_certs=${JSON.stringify(caFile)}, ssl_check_hostname=${checkHost}, ` : '';
  out.redisPy = [
    'from redis.sentinel import Sentinel',
    '# Sentinels announce in-network names; map them to the ports published on this host.',
    `NAT = {${pyNat}}`,
    'class HostSentinel(Sentinel):',
    '    def discover_master(self, name):',
    '        addr = tuple(super().discover_master(name))',
    '        return NAT.get(addr, addr)',
    '    def discover_slaves(self, name):',
    '        return [NAT.get(tuple(a), tuple(a)) for a in super().discover_slaves(name)]',
    `sentinel = HostSentinel([${sentinels.map((s) => `("${at(s.name)}", ${s.hostPort})`).join(', ')}],`,
    `                        sentinel_kwargs={"username": ${pyUser}, "password": ${pyPw}${pySsl ? `, ${pySsl}` : ''}},\n` +
      `                        ${pySslKwargs}username=${pyUser}, password=${pyPw}, socket_timeout=1)`,
    `master = sentinel.master_for("${t.sentinel.masterName}")`,
  ].join('\n');
  return out;
}

/** A path as one shell word (single-quoted unless plain). */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

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

/** The ioredis snippet: the classes the options name, the options, and keepConnected. */
export function ioredisSnippet(entries: OptionEntry[]): string {
  const classes = entries.filter((e) => isClass(e.value));
  return [
    classes.length ? "import Redis, { SentinelConnector } from 'ioredis';" : "import Redis from 'ioredis';",
    ...(entries.some((e) => e.source?.includes('readFileSync(')) ? ["import { readFileSync } from 'node:fs';"] : []),
    ...(entries.some((e) => e.source?.includes('checkServerIdentity(')) ? ["import { checkServerIdentity } from 'node:tls';"] : []),
    ...classes.flatMap((e) => [`// ${e.comment ?? e.key}`, String(e.value)]),
    'const redis = new Redis({',
    ...entries.map((e) => `  ${e.key}: ${e.source ?? jsSource(e.value, '  ')},${e.comment && !isClass(e.value) ? `  // ${e.comment}` : ''}`),
    '});',
    "redis.on('error', () => {});  // connection errors: ioredis reconnects by itself (log err.message if you like)",
    '// ioredis can end a Sentinel client for good when a failover is announced while it is',
    '// reconnecting; keepConnected connects again unless you closed it.',
    String(keepConnected),
    'const release = keepConnected(redis);  // call release() before redis.quit()',
  ].join('\n');
}
