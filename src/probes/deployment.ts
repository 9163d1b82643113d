// Probes of a whole deployment through its published ports: every node, every Sentinel,
// HAProxy (stats, and which node each port lands on), the exporter. What they see, no verdict:
// health/status.ts judges.
import { addressOf, type Deployment } from '../deployment.js';
import { redisNodes, sentinelNodes, type NodeRef } from '../model/nodes.js';
import { type Credentials, parseInfo, withConnection } from './connect.js';
import {
  probeAlertmanager as probeAlertmanagerApi,
  probeExporterTarget,
  probeHaproxyStats,
  probePrometheus as probePrometheusApi,
  type AlertmanagerProbe,
  type HaproxyServerState,
  type PrometheusProbe,
} from './http.js';
import { probeNode, type NodeState } from './redis.js';
import { probeSentinel, type SentinelState } from './sentinel.js';

export interface NodeStatus extends NodeState {
  service: string;
  hostPort: number;
  lagBytes?: number;
}

export interface SentinelStatus extends SentinelState {
  service: string;
  hostPort: number;
}

/** The node a connection through a port lands on, or why it could not be asked. */
export type Behind = { name: string; role: string } | { error: string };

export interface HaproxyProbe {
  reachable: boolean;
  error?: string;
  servers: HaproxyServerState[];
  /** Only asked when the stats answer. */
  write?: Behind;
  read?: Behind;
}

export interface ExporterProbe {
  reachable: boolean;
  error?: string;
  targets: { target: string; up: number | undefined }[];
}

const endpointOf = (d: Deployment, n: NodeRef) => ({ host: addressOf(d, n.name), port: n.hostPort });

/** Which node a connection through a published port lands on (the node's announced name). */
export async function nodeBehind(host: string, port: number, auth: Credentials): Promise<{ name: string; role: string }> {
  return withConnection({ host, port }, auth, async (r) => {
    const [, name] = (await r.config('GET', 'replica-announce-ip')) as string[];
    const role = parseInfo(await r.info('replication')).role ?? '?';
    return { name: name ?? '?', role };
  });
}

const behind = (d: Deployment, port: number): Promise<Behind> =>
  nodeBehind(addressOf(d, 'haproxy'), port, d.auth).catch((err: Error) => ({ error: err.message }));

export async function probeHaproxy(d: Deployment): Promise<HaproxyProbe> {
  const t = d.topology;
  try {
    const servers = await probeHaproxyStats(addressOf(d, 'haproxy'), t.haproxy.statsPort, d.stats);
    const [write, read] = await Promise.all([behind(d, t.haproxy.writePort), behind(d, t.haproxy.readPort)]);
    return { reachable: true, servers, write, read };
  } catch (err) {
    return { reachable: false, error: (err as Error).message, servers: [] };
  }
}

/** The exporter publishes no port: it is asked through HAProxy's stats port, with the stats login, by node name. */
export async function probeExporter(d: Deployment): Promise<ExporterProbe> {
  const targets = redisNodes(d.topology).map((n) => n.name);
  try {
    const results = await Promise.all(
      targets.map(async (target) => ({ target, up: await probeExporterTarget(addressOf(d, 'haproxy'), d.topology.haproxy.statsPort, target, d.stats) })),
    );
    return { reachable: true, targets: results };
  } catch (err) {
    return { reachable: false, error: (err as Error).message, targets: targets.map((target) => ({ target, up: undefined })) };
  }
}

/** The deployment's Prometheus (monitoring), at its published port with the stats login. */
export function probePrometheus(d: Deployment): Promise<PrometheusProbe> {
  return probePrometheusApi(addressOf(d, 'prometheus'), d.topology.monitoring.prometheus.port, d.stats);
}

/** The deployment's Alertmanager (monitoring.alertmanager), at its published port with the stats login. */
export function probeAlertmanager(d: Deployment): Promise<AlertmanagerProbe> {
  return probeAlertmanagerApi(addressOf(d, 'alertmanager'), d.topology.monitoring.alertmanager.port, d.stats);
}

export async function probeNodes(d: Deployment): Promise<NodeStatus[]> {
  const nodes: NodeStatus[] = await Promise.all(
    redisNodes(d.topology).map(async (n) => ({ service: n.name, hostPort: n.hostPort, ...(await probeNode(endpointOf(d, n), d.auth)) })),
  );
  const master = nodes.find((n) => n.role === 'master');
  for (const n of nodes) {
    if (master && n !== master && n.offset !== undefined && master.offset !== undefined) n.lagBytes = Math.max(0, master.offset - n.offset);
  }
  return nodes;
}

export async function probeSentinels(d: Deployment): Promise<SentinelStatus[]> {
  return Promise.all(
    sentinelNodes(d.topology).map(async (s) => ({
      service: s.name,
      hostPort: s.hostPort,
      ...(await probeSentinel(endpointOf(d, s), d.auth, d.topology.sentinel.masterName)),
    })),
  );
}
