// Endpoints and ready-to-paste connection snippets printed after a deploy.
import { natMap, probeHost, redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { Credentials } from '../probes/connect.js';
import { maskSecret } from './style.js';

export interface Endpoint {
  service: string;
  role: string;
  address: string;
}

export function endpoints(t: Topology): Endpoint[] {
  const host = probeHost(t);
  const list: Endpoint[] = [
    ...redisNodes(t).map((n) => ({ service: n.name, role: 'redis', address: `${host}:${n.hostPort}` })),
    ...sentinelNodes(t).map((s) => ({ service: s.name, role: 'sentinel', address: `${host}:${s.hostPort}` })),
  ];
  if (t.haproxy.enabled) {
    list.push(
      { service: 'haproxy', role: 'writes (current master)', address: `${host}:${t.haproxy.writePort}` },
      { service: 'haproxy', role: 'reads (replicas)', address: `${host}:${t.haproxy.readPort}` },
      { service: 'haproxy', role: 'stats /stats, metrics /metrics', address: `http://${host}:${t.haproxy.statsPort}` },
    );
  }
  if (t.exporter.enabled) {
    list.push({ service: 'exporter', role: 'metrics /scrape?target=redis://redis-1:6379', address: `http://${host}:${t.exporter.port}` });
  }
  return list;
}

export interface Snippets {
  redisCli: string;
  ioredis?: string;
  redisPy?: string;
}

/** Snippets for client applications: they log in as `auth` (the user app; its secret is secrets/app). */
export function snippets(t: Topology, auth: Credentials, showSecrets: boolean): Snippets {
  const host = probeHost(t);
  const pw = maskSecret(auth.password ?? '', showSecrets);
  const user = auth.username ?? 'app';
  const cliAuth = t.auth.enabled ? ` --user ${user} -a '${pw}' --no-auth-warning` : '';
  const writePort = t.haproxy.enabled ? t.haproxy.writePort : redisNodes(t)[0]!.hostPort;
  const sentinels = sentinelNodes(t);
  const out: Snippets = {
    redisCli: t.haproxy.enabled
      ? `redis-cli -h ${host} -p ${writePort}${cliAuth}    # writes via HAProxy; reads: -p ${t.haproxy.readPort}`
      : sentinels.length
        ? `redis-cli -h ${host} -p ${sentinels[0]!.hostPort}${cliAuth} SENTINEL get-master-addr-by-name ${t.sentinel.masterName}`
        : `redis-cli -h ${host} -p ${writePort}${cliAuth}    # redis-1, the master`,
  };
  if (!sentinels.length) return out;
  const nat = `{\n${Object.entries(natMap(t, host))
    .map(([k, v]) => `    '${k}': { host: '${v.host}', port: ${v.port} },`)
    .join('\n')}\n  }`;
  const pwLiteral = t.auth.enabled ? `'${pw}'` : 'undefined';
  const userLiteral = t.auth.enabled ? `'${user}'` : 'undefined';
  out.ioredis = [
    "import Redis from 'ioredis';",
    'const redis = new Redis({',
    `  sentinels: [${sentinels.map((s) => `{ host: '${host}', port: ${s.hostPort} }`).join(', ')}],`,
    `  name: '${t.sentinel.masterName}',`,
    `  username: ${userLiteral},`,
    `  password: ${pwLiteral},`,
    `  sentinelUsername: ${userLiteral},`,
    `  sentinelPassword: ${pwLiteral},`,
    '  // Sentinels announce in-network names; map them to the ports published on this host.',
    `  natMap: ${nat},`,
    '  updateSentinels: false,  // peers are announced by in-network name',
    '  failoverDetector: true,  // follow +switch-master at once',
    '  connectTimeout: 500,',
    '  commandTimeout: 1000,',
    '  maxRetriesPerRequest: 1,',
    '  retryStrategy: (times) => Math.min(50 * times, 100),  // ask the Sentinels again every <= 100 ms',
    '  sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),',
    "  reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),",
    '});',
    '// ioredis can end a Sentinel client for good when a failover is announced while it is',
    '// reconnecting; connect again unless you closed it (set closing = true before quit()).',
    'let closing = false;',
    "redis.on('end', () => { if (!closing) setTimeout(() => redis.connect().catch(() => {}), 100); });",
  ].join('\n');
  const pyNat = Object.entries(natMap(t, host))
    .map(([k, v]) => {
      const [h, p] = k.split(':');
      return `("${h}", ${p}): ("${v.host}", ${v.port})`;
    })
    .join(', ');
  const pyPw = t.auth.enabled ? `"${pw}"` : 'None';
  const pyUser = t.auth.enabled ? `"${user}"` : 'None';
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
    `sentinel = HostSentinel([${sentinels.map((s) => `("${host}", ${s.hostPort})`).join(', ')}],`,
    `                        sentinel_kwargs={"username": ${pyUser}, "password": ${pyPw}},\n` +
      `                        username=${pyUser}, password=${pyPw}, socket_timeout=1)`,
    `master = sentinel.master_for("${t.sentinel.masterName}")`,
  ].join('\n');
  return out;
}
