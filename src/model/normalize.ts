// Fills in what the schema leaves open: timings from the profile, ports from the port base.
import { DEFAULT_MAXMEMORY } from './memory.js';
import { PROFILE_TIMINGS, type Topology, type topologyInputSchema } from './schema.js';
import type { z } from 'zod';

/** Offsets from `portBase` for each published port (see docs/topology.md, "Ports"). */
export const PORT_OFFSETS = {
  redis: 0, // redis-i -> portBase + i
  sentinel: 100, // sentinel-i -> portBase + 100 + i
  haproxyWrite: 200,
  haproxyRead: 201,
  haproxyStats: 202,
  prometheus: 203,
  alertmanager: 204,
  grafana: 205,
} as const;

/** Replicas of the master when the topology sets none. */
export const DEFAULT_REPLICAS = 2;

export function normalize(parsed: z.output<typeof topologyInputSchema>): Topology {
  const timing = PROFILE_TIMINGS[parsed.profile];
  const base = parsed.portBase;
  return {
    ...parsed,
    // A cluster's masters each have replicasPerShard replicas; replicas itself is refused there (rules).
    replicas: parsed.cluster.enabled ? parsed.cluster.replicasPerShard : (parsed.replicas ?? DEFAULT_REPLICAS),
    cluster: { ...parsed.cluster, nodeTimeoutMs: parsed.cluster.nodeTimeoutMs ?? timing.clusterNodeTimeoutMs },
    redis: { ...parsed.redis, maxmemory: parsed.redis.maxmemory ?? DEFAULT_MAXMEMORY },
    sentinel: {
      ...parsed.sentinel,
      downAfterMs: parsed.sentinel.downAfterMs ?? timing.downAfterMs,
      failoverTimeoutMs: parsed.sentinel.failoverTimeoutMs ?? timing.failoverTimeoutMs,
    },
    haproxy: {
      ...parsed.haproxy,
      writePort: parsed.haproxy.writePort ?? base + PORT_OFFSETS.haproxyWrite,
      readPort: parsed.haproxy.readPort ?? base + PORT_OFFSETS.haproxyRead,
      statsPort: parsed.haproxy.statsPort ?? base + PORT_OFFSETS.haproxyStats,
    },
    monitoring: {
      ...parsed.monitoring,
      enabled: parsed.monitoring.enabled,
      prometheus: {
        ...parsed.monitoring.prometheus,
        port: parsed.monitoring.prometheus.port ?? base + PORT_OFFSETS.prometheus,
        scrapeInterval: parsed.monitoring.prometheus.scrapeInterval ?? timing.scrapeInterval,
      },
      alertmanager: {
        ...parsed.monitoring.alertmanager,
        // Without monitoring.enabled a rule refuses it.
        enabled: parsed.monitoring.alertmanager.enabled,
        port: parsed.monitoring.alertmanager.port ?? base + PORT_OFFSETS.alertmanager,
      },
      grafana: {
        ...parsed.monitoring.grafana,
        // As Alertmanager: without monitoring.enabled a rule refuses it.
        enabled: parsed.monitoring.grafana.enabled,
        port: parsed.monitoring.grafana.port ?? base + PORT_OFFSETS.grafana,
      },
    },
  };
}
