// The topology schema: one typed description of a deployment. Everything the
// renderer and the runtime need is here; nothing here knows about Docker.
import { z } from 'zod';

import { PRESETS, PROFILES, TARGETS, type ProfileName } from './names.js';

export { PRESETS, PROFILES, TARGETS, type PresetName, type ProfileName, type TargetName } from './names.js';

/**
 * The timings a profile sets: Sentinel's, Redis Cluster's node timeout, and (monitoring)
 * Prometheus's scrape and rule interval and how long Alertmanager holds a new group of alerts
 * before it first notifies. `fast` is for tests and demos on a quiet machine.
 */
export const PROFILE_TIMINGS: Record<
  ProfileName,
  { downAfterMs: number; failoverTimeoutMs: number; clusterNodeTimeoutMs: number; scrapeInterval: string; alertGroupWait: string; alertGroupInterval: string }
> = {
  // 30s and 5m: Alertmanager's own defaults. Cluster: 5 s like Sentinel's down-after (Redis's own default is 15 s).
  default: { downAfterMs: 5000, failoverTimeoutMs: 30000, clusterNodeTimeoutMs: 5000, scrapeInterval: '15s', alertGroupWait: '30s', alertGroupInterval: '5m' },
  // Alerts within seconds of a fault, for test-failover (docs/monitoring.md); group_interval 10 s: a
  // second fault is notified within seconds too, not 5 min later because its alert name's group
  // (the first fault's, resolved) still exists. Cluster: 2 s, not 1 s:
  // a node timeout is also how long a busy engine may delay one bus ping before a false failover.
  fast: { downAfterMs: 1000, failoverTimeoutMs: 6000, clusterNodeTimeoutMs: 2000, scrapeInterval: '2s', alertGroupWait: '2s', alertGroupInterval: '10s' },
};

// Compose project names: lowercase letters, digits, dashes and underscores, starting
// with a letter or digit (the rule Compose v2 enforces; v1 is laxer).
const projectName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "-" or "_", starting with a letter or digit')
  .max(63, 'must be at most 63 characters (it becomes part of container and network names)');

const port = z.number().int().min(1).max(65535);

// Sizes as Redis reads them: 256mb, 1gb, 0 ...
const memorySize = z.union([
  z.literal(0),
  z.string().regex(/^\d+(b|k|kb|m|mb|g|gb)?$/i, 'must be a Redis memory size such as 256mb or 1gb'),
]);

const redisSchema = z
  .object({
    image: z.string().min(1).default('redis:7.4-alpine'),
    version: z.string().min(1).default('7.4'),
    persistence: z.enum(['none', 'rdb', 'aof']).default('aof'),
    // None: normalize fills in DEFAULT_MAXMEMORY (model/memory.ts), and the rules warn.
    maxmemory: memorySize.optional(),
    maxmemoryPolicy: z
      .enum([
        'noeviction',
        'allkeys-lru',
        'allkeys-lfu',
        'allkeys-random',
        'volatile-lru',
        'volatile-lfu',
        'volatile-random',
        'volatile-ttl',
      ])
      .default('noeviction'),
    minReplicasToWrite: z.number().int().min(0).default(0),
    minReplicasMaxLag: z.number().int().min(1).default(10),
    extraConfig: z.array(z.string()).default([]),
  })
  .strict();

const sentinelSchema = z
  .object({
    enabled: z.boolean().default(false),
    count: z.number().int().min(1).max(9).default(3),
    // Range checked by the rules, which say how to fix it.
    quorum: z.number().int().default(2),
    downAfterMs: z.number().int().min(100).optional(),
    failoverTimeoutMs: z.number().int().min(1000).optional(),
    parallelSyncs: z.number().int().min(1).default(1),
    masterName: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"')
      .default('mymaster'),
  })
  .strict();

const haproxySchema = z
  .object({
    enabled: z.boolean().default(false),
    image: z.string().min(1).default('haproxy:2.9-alpine'),
    writePort: port.optional(),
    readPort: port.optional(),
    statsPort: port.optional(),
    checkIntervalMs: z.number().int().min(100).max(60000).default(500),
  })
  .strict();

const exporterSchema = z
  .object({
    enabled: z.boolean().default(false),
    image: z.string().min(1).default('oliver006/redis_exporter:v1.62.0'),
    /** No longer used (the exporter publishes no port): accepted with a warning, so older topology files still load. */
    port: port.optional(),
  })
  .strict();

/** A Prometheus duration (its own grammar: units largest first, each at most once), not zero. */
const prometheusDuration = z
  .string()
  .regex(/^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/, 'must be a Prometheus duration such as 15s, 1m30s or 15d (units y w d h m s ms, largest first)')
  .refine((d) => /[1-9]/.test(d), 'must be a Prometheus duration longer than zero, such as 15s');

/** An http:// or https:// URL, written into a YAML file as it is: no blank or control character. */
const httpUrl = z
  .string()
  .refine(
    (u) => !/[\s\x00-\x1f\x7f]/.test(u) && URL.canParse(u) && /^https?:$/.test(new URL(u).protocol),
    'must be an http:// or https:// URL, such as https://hooks.example.com/redis-ha (no blanks)',
  );

// A Prometheus in the deployment (docs/monitoring.md): it scrapes every node and Sentinel through
// HAProxy's stats port (as a Prometheus the user brings would), loads the alert rules, keeps its
// data in a named volume and publishes its port on `bind` behind a login.
const monitoringSchema = z
  .object({
    enabled: z.boolean().default(false),
    prometheus: z
      .object({
        image: z.string().min(1).default('prom/prometheus:v2.53.2'),
        port: port.optional(),
        /** Default from the profile: 15s, fast 2s. */
        scrapeInterval: prometheusDuration.optional(),
        retention: prometheusDuration.default('15d'),
      })
      .strict()
      .default({}),
    // An Alertmanager beside it (off by default): Prometheus sends it the alerts that fire, and it
    // notifies only the receiver set here; without one it sends nothing anywhere.
    alertmanager: z
      .object({
        enabled: z.boolean().default(false),
        image: z.string().min(1).default('prom/alertmanager:v0.27.0'),
        port: port.optional(),
        receiver: z
          .object({
            /** Alertmanager POSTs each group of alerts here (its webhook_configs). */
            webhookUrl: httpUrl,
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    // A Grafana beside it (off by default; the official image), provisioned with the deployment's
    // Prometheus and its dashboard (monitoring/dashboards/redis-ha.json).
    grafana: z
      .object({
        enabled: z.boolean().default(false),
        image: z.string().min(1).default('grafana/grafana:11.2.0'),
        port: port.optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

// Redis Cluster (the cluster preset): `shards` masters, each with `replicasPerShard` replicas, the
// 16384 slots split evenly over the masters (src/model/cluster.ts). Ranges are checked by the
// rules, which say how to fix them.
const clusterSchema = z
  .object({
    enabled: z.boolean().default(false),
    shards: z.number().int().min(0).max(32).default(3),
    replicasPerShard: z.number().int().min(0).max(5).default(1),
    /** cluster-node-timeout; default from the profile. */
    nodeTimeoutMs: z.number().int().min(100).max(600000).optional(),
  })
  .strict();

// Swarm node hostnames (`docker node ls`): a DNS label.
const nodeName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'must be a node hostname as `docker node ls` shows it');

/** Only read when `target: swarm`. Placement rules: see src/model/placement.ts and docs/swarm.md. */
const swarmSchema = z
  .object({
    // redis-i and sentinel-i run on nodes[(i - 1) % nodes.length]; without it, on nodes that
    // redis-ha labels on the first deploy.
    nodes: z.array(nodeName).min(1).optional(),
    // How many nodes the swarm has, for the host-failure warning at validate time.
    expectNodes: z.number().int().min(1).max(99).optional(),
    haproxyReplicas: z.number().int().min(1).max(9).default(2),
  })
  .strict();

export const topologyInputSchema = z
  .object({
    name: projectName.default('redis-ha'),
    preset: z.enum(PRESETS),
    target: z.enum(TARGETS).default('compose'),
    profile: z.enum(PROFILES).default('default'),
    // Replicas of the master; with cluster.enabled normalize sets it to cluster.replicasPerShard
    // (the replicas of each master), and the rules refuse it set.
    replicas: z.number().int().min(0).max(9).optional(),
    bind: z.string().ip({ message: 'must be an IP address such as 127.0.0.1' }).default('127.0.0.1'),
    // Where this machine reaches the published ports when the engine is elsewhere: the host of
    // DOCKER_HOST (a GitLab `docker:dind` service is `docker`). Default: bind (127.0.0.1 when it
    // is every address). Probes, snippets and client modules dial it.
    hostAddress: z
      .string()
      .regex(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9a-fA-F:.]+$/, 'must be a host name or an IP address, such as docker or 10.0.0.5')
      .optional(),
    portBase: z.number().int().min(1024).max(65000).default(7000),
    network: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a valid Docker network name')
      .default('redis-ha'),
    // Container healthchecks report liveness to Docker (`docker ps`; compose only: see synth/stack.ts); they
    // gate nothing at start (redis-ha probes from the host), so they run rarely: see docs/design.md.
    healthcheckIntervalMs: z
      .number()
      .int()
      .min(10000, 'container healthchecks gate nothing at start (redis-ha probes the deployment from the host); below 10000 ms they only burn CPU at rest')
      .max(300000)
      // A minute: each run is a shell, a redis-cli and a `runc exec`, ~150 ms of CPU for the
      // engine (measured: 36 runs a minute kept 9 % of a core busy in dockerd/containerd/runc).
      .default(60000),
    auth: z.object({ enabled: z.boolean().default(true) }).strict().default({}),
    // TLS on every Redis, Sentinel and HAProxy port, with a private CA generated on the first
    // render (<out>/tls/; see src/synth/tls.ts and docs/security.md, "TLS").
    tls: z.object({ enabled: z.boolean().default(false) }).strict().default({}),
    redis: redisSchema.default({}),
    sentinel: sentinelSchema.default({}),
    haproxy: haproxySchema.default({}),
    exporter: exporterSchema.default({}),
    monitoring: monitoringSchema.default({}),
    cluster: clusterSchema.default({}),
    swarm: swarmSchema.default({}),
  })
  .strict();

type Parsed = z.output<typeof topologyInputSchema>;
/** The topology as given (schema defaults in, nothing normalized): what the rules compare against. */
export type TopologyGiven = Parsed;

/**
 * The normalized topology: every default filled in, every port decided.
 * This is what synth and runtime receive.
 */
export interface Topology extends Omit<Parsed, 'replicas' | 'redis' | 'sentinel' | 'haproxy' | 'exporter' | 'monitoring' | 'cluster'> {
  /** Replicas of each master: the one master's, or with cluster.enabled each shard's. */
  replicas: number;
  cluster: Parsed['cluster'] & { nodeTimeoutMs: number };
  redis: Parsed['redis'] & { maxmemory: string | 0 };
  sentinel: Parsed['sentinel'] & { downAfterMs: number; failoverTimeoutMs: number };
  haproxy: Parsed['haproxy'] & { writePort: number; readPort: number; statsPort: number };
  exporter: Parsed['exporter'];
  monitoring: Parsed['monitoring'] & {
    prometheus: Parsed['monitoring']['prometheus'] & { port: number; scrapeInterval: string };
    alertmanager: Parsed['monitoring']['alertmanager'] & { port: number };
    grafana: Parsed['monitoring']['grafana'] & { port: number };
  };
}
