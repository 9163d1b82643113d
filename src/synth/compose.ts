// The compose file as a typed object. Serialized with `yaml` by synthesize().
import { createHash } from 'node:crypto';
import {
  EXPORTER_PORT,
  HAPROXY_READ_PORT,
  HAPROXY_STATS_PORT,
  HAPROXY_WRITE_PORT,
  INITIAL_MASTER,
  redisNodes,
  sentinelNodes,
} from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_PRESET } from '../labels.js';


/** Where the rendered files appear inside the containers. */
const CONF_DIR = '/usr/local/etc/redis-ha';

export interface ComposeHealthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
}

export interface ComposeService {
  image: string;
  hostname?: string;
  entrypoint?: string[];
  command?: string[];
  init?: boolean;
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  ports?: string[];
  networks: string[];
  depends_on?: Record<string, { condition: 'service_started' | 'service_healthy' }>;
  healthcheck?: ComposeHealthcheck;
  restart: string;
  stop_grace_period?: string;
  labels: Record<string, string>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { labels: Record<string, string> }>;
  volumes: Record<string, { labels: Record<string, string> }>;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

/**
 * A service's config hash: what re-creating it would change. The definition (image, ports,
 * mounts, healthcheck) and the files it reads, but not its environment and start order, which
 * only name the other nodes (scaling changes them, and no node needs a restart for it: the
 * scripts read them at the next start).
 */
function serviceHash(service: Omit<ComposeService, 'labels'>, ...inputs: string[]): string {
  const { environment: _environment, depends_on: _dependsOn, ...definition } = service;
  return hash(JSON.stringify(definition), ...inputs);
}

/**
 * The part of a rendered sentinel.conf that needs a restart to change. Left out: what a running
 * Sentinel is told live (SENTINEL SET: quorum, down-after, failover-timeout, parallel-syncs) and
 * what it learns by itself (known replicas and peers); the rolling deploy applies those live.
 */
export function sentinelRestartConfig(conf: string): string {
  return conf
    .split('\n')
    .filter((l) => !/^sentinel (known-replica|known-sentinel|down-after-milliseconds|failover-timeout|parallel-syncs) /.test(l))
    .map((l) => l.replace(/^(sentinel monitor \S+ \S+ \d+) \d+$/, '$1'))
    .join('\n');
}

/** Contents the services read, so a changed config re-creates exactly the services it affects. */
export interface ServiceInputs {
  redisConfigs: Map<string, string>;
  sentinelConfigs: Map<string, string>;
  haproxyConfig?: string;
  scripts: string;
}

/**
 * Model strings that reach this file, and what keeps them plain: images (rules: Docker's
 * reference grammar, no `$`), `name` and `network` (schema: name patterns), `bind` (schema: an
 * IP address), `sentinel.masterName` (schema: letters, digits, `._-`), `preset` (an enum).
 * Everything else is generated here. escapeInterpolation() covers whatever a new field adds.
 */
export function buildCompose(t: Topology, inputs: ServiceInputs): ComposeFile {
  const labels = (configHash?: string): Record<string, string> => ({
    [LABEL_MANAGED]: 'true',
    [LABEL_PRESET]: t.preset,
    ...(configHash ? { [LABEL_CONFIG_HASH]: configHash } : {}),
  });
  const publish = (hostPort: number, containerPort: number) => `${t.bind}:${hostPort}:${containerPort}`;
  const healthcheck = (script: string): ComposeHealthcheck => ({
    test: ['CMD', '/bin/sh', `${CONF_DIR}/scripts/${script}`],
    // Sub-second: `depends_on: service_healthy` then adds no idle seconds to a deploy.
    interval: `${t.healthcheckIntervalMs}ms`,
    timeout: '3s',
    retries: 3,
    start_period: '30s',
  });
  const sentinels = sentinelNodes(t);
  const nodes = redisNodes(t);
  const sentinelNames = sentinels.map((s) => s.name).join(' ');
  const volumes: ComposeFile['volumes'] = {};
  const services: Record<string, ComposeService> = {};

  for (const node of nodes) {
    volumes[`${node.name}-data`] = { labels: labels() };
    const service: Omit<ComposeService, 'labels'> = {
      image: t.redis.image,
      hostname: node.name,
      entrypoint: ['/bin/sh', `${CONF_DIR}/scripts/redis-start.sh`],
      // A tiny init as PID 1 reaps the healthcheck's processes, which Redis would otherwise
      // collect and log as unknown children.
      init: true,
      environment: {
        NODE_NAME: node.name,
        MASTER_NAME: t.sentinel.masterName,
        SENTINELS: sentinelNames,
        // The scripts follow a majority of all Sentinels, not of those that answer.
        SENTINEL_COUNT: String(sentinels.length),
      },
      env_file: ['.env'],
      volumes: [
        `./redis/${node.name}.conf:${CONF_DIR}/redis.conf:ro`,
        `./scripts:${CONF_DIR}/scripts:ro`,
        `${node.name}-data:/data`,
      ],
      ports: [publish(node.hostPort, node.port)],
      networks: [t.network],
      // No depends_on between nodes: they all start at once, and a replica attaches as soon
      // as its master answers (redis-start.sh).
      healthcheck: healthcheck('redis-health.sh'),
      // Without persistence an automatic restart brings a master back empty, before Sentinel
      // notices, and its replicas then copy the empty dataset: leave restarts to the operator.
      restart: t.redis.persistence === 'none' ? 'no' : 'unless-stopped',
      stop_grace_period: '10s',
    };
    services[node.name] = { ...service, labels: labels(serviceHash(service, inputs.redisConfigs.get(node.name) ?? '', inputs.scripts)) };
  }

  for (const sentinel of sentinels) {
    volumes[`${sentinel.name}-data`] = { labels: labels() };
    const service: Omit<ComposeService, 'labels'> = {
      image: t.redis.image,
      hostname: sentinel.name,
      entrypoint: ['/bin/sh', `${CONF_DIR}/scripts/sentinel-start.sh`],
      init: true,
      environment: {
        NODE_NAME: sentinel.name,
        MASTER_NAME: t.sentinel.masterName,
        SENTINELS: sentinels
          .filter((s) => s.name !== sentinel.name)
          .map((s) => s.name)
          .join(' '),
        // SENTINELS lists the peers; a majority counts this Sentinel too.
        SENTINEL_COUNT: String(sentinels.length),
      },
      env_file: ['.env'],
      volumes: [
        // The directory, not the file: the writer replaces files (rename), and a file mount
        // would keep showing the old one to a container that is not re-created (a settings
        // change is applied live), which would then restart with old settings.
        `./sentinel:${CONF_DIR}/sentinel:ro`,
        `./scripts:${CONF_DIR}/scripts:ro`,
        `${sentinel.name}-data:/data`,
      ],
      ports: [publish(sentinel.hostPort, sentinel.port)],
      networks: [t.network],
      // Sentinels start once every replica is linked, so each sees all of them at once.
      depends_on: Object.fromEntries(nodes.map((n) => [n.name, { condition: 'service_healthy' as const }])),
      healthcheck: healthcheck('sentinel-health.sh'),
      restart: 'unless-stopped',
      stop_grace_period: '10s',
    };
    services[sentinel.name] = {
      ...service,
      labels: labels(serviceHash(service, sentinelRestartConfig(inputs.sentinelConfigs.get(sentinel.name) ?? ''), inputs.scripts)),
    };
  }

  if (t.haproxy.enabled) {
    const service: Omit<ComposeService, 'labels'> = {
      image: t.haproxy.image,
      hostname: 'haproxy',
      // Master-worker mode (the image's entrypoint adds -W): SIGUSR2 reloads the config with
      // no dropped connection. The directory is mounted, not the file, so a reload reads the
      // file render just replaced (a file mount would keep showing the old inode).
      command: ['haproxy', '-f', `${CONF_DIR}/haproxy/haproxy.cfg`],
      env_file: ['.env'],
      volumes: [`./haproxy:${CONF_DIR}/haproxy:ro`],
      ports: [
        publish(t.haproxy.writePort, HAPROXY_WRITE_PORT),
        publish(t.haproxy.readPort, HAPROXY_READ_PORT),
        publish(t.haproxy.statsPort, HAPROXY_STATS_PORT),
      ],
      networks: [t.network],
      restart: 'unless-stopped',
    };
    // The config is left out of the hash: a config change is a reload, not a re-creation
    // (the running HAProxy serves the hash of what it loaded, see renderHaproxyConfig).
    services.haproxy = { ...service, labels: labels(serviceHash(service)) };
  }

  if (t.exporter.enabled) {
    const service: Omit<ComposeService, 'labels'> = {
      image: t.exporter.image,
      hostname: 'exporter',
      // Covers every node through /scrape?target=redis://<node>:6379; the password
      // (REDIS_PASSWORD from .env) applies to every target. No REDIS_ADDR: /metrics then
      // holds only the exporter's own metrics, so no node is counted twice.
      environment: { REDIS_ADDR: '' },
      env_file: ['.env'],
      ports: [publish(t.exporter.port, EXPORTER_PORT)],
      networks: [t.network],
      restart: 'unless-stopped',
    };
    services.exporter = { ...service, labels: labels(serviceHash(service)) };
  }

  // No top-level `name:` (Compose v1 rejects it): every call passes `-p`, and .env
  // carries COMPOSE_PROJECT_NAME for people who run compose by hand in this directory.
  return escapeInterpolation({
    services,
    networks: { [t.network]: { labels: labels() } },
    volumes,
  });
}

/**
 * Compose substitutes `${VAR}` and `$VAR` in every value, from the environment and .env (which
 * holds the password). The model already refuses `$` in images and names; this is the guarantee
 * for every other string: a `$` reaches Compose as `$$`, which it reads as a literal `$`.
 */
export function escapeInterpolation<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$') as T;
  if (Array.isArray(value)) return value.map(escapeInterpolation) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v)])) as T;
  }
  return value;
}
