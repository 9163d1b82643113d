// The services of a topology, by role-neutral name. Shared by synth, runtime and probes.
import { clusterNodeCount } from './cluster.js';
import { PORT_OFFSETS } from './normalize.js';
import type { Topology } from './schema.js';

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const HAPROXY_WRITE_PORT = 6379;
export const HAPROXY_READ_PORT = 6380;
export const HAPROXY_STATS_PORT = 8404;
export const EXPORTER_PORT = 9121;

export interface NodeRef {
  /** Compose service name and in-network hostname, e.g. `redis-2`. */
  name: string;
  /** Port inside the network. */
  port: number;
  /** Port published on the host (on `topology.bind`). */
  hostPort: number;
}

/** Every Redis node: the master and its replicas, or with cluster.enabled every shard's nodes (model/cluster.ts). */
export function redisNodes(t: Topology): NodeRef[] {
  const count = t.cluster.enabled ? clusterNodeCount(t) : t.replicas + 1;
  return Array.from({ length: count }, (_, i) => redisNodeNamed(t, `redis-${i + 1}`));
}

/** A Redis node by name (`redis-7`), whether the topology has it or not: a cluster being scaled runs nodes the topology does not (yet, or any more). */
export function redisNodeNamed(t: Pick<Topology, 'portBase'>, name: string): NodeRef {
  const i = Number(name.slice(name.lastIndexOf('-') + 1));
  return { name, port: REDIS_PORT, hostPort: t.portBase + PORT_OFFSETS.redis + i };
}

export function sentinelNodes(t: Topology): NodeRef[] {
  if (!t.sentinel.enabled) return [];
  return Array.from({ length: t.sentinel.count }, (_, i) => ({
    name: `sentinel-${i + 1}`,
    port: SENTINEL_PORT,
    hostPort: t.portBase + PORT_OFFSETS.sentinel + i + 1,
  }));
}

/** The node that starts as master. After a failover the Sentinels decide. */
export const INITIAL_MASTER = 'redis-1';

/** Every published port with the service and setting that owns it. */
export function publishedPorts(t: Topology): { port: number; service: string; path: string }[] {
  const ports = [
    ...redisNodes(t).map((n) => ({ port: n.hostPort, service: n.name, path: 'portBase' })),
    ...sentinelNodes(t).map((n) => ({ port: n.hostPort, service: n.name, path: 'portBase' })),
  ];
  if (t.haproxy.enabled) {
    ports.push(
      { port: t.haproxy.writePort, service: 'haproxy', path: 'haproxy.writePort' },
      { port: t.haproxy.readPort, service: 'haproxy', path: 'haproxy.readPort' },
      { port: t.haproxy.statsPort, service: 'haproxy', path: 'haproxy.statsPort' },
    );
  }
  if (t.monitoring.enabled) ports.push({ port: t.monitoring.prometheus.port, service: 'prometheus', path: 'monitoring.prometheus.port' });
  if (t.monitoring.alertmanager.enabled) ports.push({ port: t.monitoring.alertmanager.port, service: 'alertmanager', path: 'monitoring.alertmanager.port' });
  if (t.monitoring.grafana.enabled) ports.push({ port: t.monitoring.grafana.port, service: 'grafana', path: 'monitoring.grafana.port' });
  return ports;
}

/** Address the published ports are reached at from this host. */
export function probeHost(t: Topology): string {
  if (t.hostAddress) return t.hostAddress;
  return t.bind === '0.0.0.0' || t.bind === '::' ? '127.0.0.1' : t.bind;
}

/**
 * For clients outside the compose network: announced address -> published address. `host` is
 * one address for every service (compose), or on swarm the address of the node that runs each
 * service's task (its port is published in host mode there): `node address:published port`.
 */
export function natMap(
  t: Topology,
  host: string | ((service: string) => string) = probeHost(t),
): Record<string, { host: string; port: number }> {
  const hostOf = typeof host === 'string' ? () => host : host;
  return Object.fromEntries(
    [...redisNodes(t), ...sentinelNodes(t)].map((n) => [`${n.name}:${n.port}`, { host: hostOf(n.name), port: n.hostPort }]),
  );
}
