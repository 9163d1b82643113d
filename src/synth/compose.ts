// The compose file as a typed object. Serialized with `yaml` by synthesize().
import { createHash } from 'node:crypto';
import {
  HAPROXY_READ_PORT,
  HAPROXY_STATS_PORT,
  HAPROXY_WRITE_PORT,
  type NodeRef,
  redisNodes,
  sentinelNodes,
} from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { LABEL_CONFIG_HASH, LABEL_MANAGED, LABEL_PRESET } from '../labels.js';
import { redisMemoryLimit } from '../model/memory.js';
import { containerSecret, EXPORTER_PASSWORD_FILE, type SecretName, secretPath, STATS_USER } from './secrets.js';
import { GRAFANA_DASHBOARDS_DIR } from './dashboard.js';
import { CA_CERT_FILE, CONTAINER_CA, certFile, TLS_CA_SECRET, tlsCertSecret, tlsKeySecret, tlsSecretFile, type TlsFiles } from './tls.js';


/** Prometheus's login file beside its config (renderPrometheusWebConfig); with monitoring and auth. */
export const PROMETHEUS_WEB_CONFIG = 'prometheus/web.yml';
/** Where the prometheus/ directory appears in the Prometheus container (prom/prometheus's config directory). */
const PROMETHEUS_CONF_DIR = '/etc/prometheus';
/** prom/prometheus: USER nobody. */
const PROMETHEUS_UID = '65534:65534';
/** Prometheus's port in its container (prom/prometheus: EXPOSE 9090). */
export const PROMETHEUS_PORT = 9090;

/** Alertmanager's login file beside its config (renderPrometheusWebConfig); with monitoring.alertmanager and auth. */
export const ALERTMANAGER_WEB_CONFIG = 'alertmanager/web.yml';
/** Where the alertmanager/ directory appears in its container (prom/alertmanager's config directory). */
const ALERTMANAGER_CONF_DIR = '/etc/alertmanager';
/** prom/alertmanager: USER nobody, like prom/prometheus. */
const ALERTMANAGER_UID = PROMETHEUS_UID;
/** Alertmanager's port in its container (prom/alertmanager: EXPOSE 9093). */
export const ALERTMANAGER_PORT = 9093;

/** grafana/grafana's contract: USER 472 (group root), data in /var/lib/grafana, provisioning in /etc/grafana/provisioning, EXPOSE 3000. */
// Its primary group is root (0), as in the image; "472:0" would be a number to YAML 1.1 (compose v1: 472 x 60).
const GRAFANA_UID = '472';
export const GRAFANA_PORT = 3000;

/**
 * The back network of a deployment with an exporter (internal): every service is on it, the
 * exporter only on it. The front network keeps the name `network`, so a deployment rendered before the back
 * network existed gains it in a rolling deploy (Compose cannot change a network's `internal`
 * setting in place; adding a network is a re-creation of each container). See buildCompose().
 */
export const backNetwork = (t: Pick<Topology, 'network'>) => `${t.network}-back`;

/** Where the rendered files appear inside the containers. */
const CONF_DIR = '/usr/local/etc/redis-ha';

export interface ComposeHealthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
  start_interval?: string;
}

/** What the engine and the deploy tool take that changes the rendered files (runtime.engineFeatures()). */
export interface EngineFeatures {
  /** `healthcheck.start_interval`: Docker Engine >= 25 (API 1.44) with Compose v2 or the docker CLI >= 25. */
  healthcheckStartInterval: boolean;
}

/** Files for any engine: what an engine or tool without a feature would refuse is left out. */
export const PORTABLE: EngineFeatures = { healthcheckStartInterval: false };

export interface ComposeService {
  image: string;
  hostname?: string;
  entrypoint?: string[];
  command?: string[];
  init?: boolean;
  user?: string;
  cap_drop?: string[];
  security_opt?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  mem_limit?: string;
  pids_limit?: number;
  logging?: { driver: string; options: Record<string, string> };
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  ports?: string[];
  networks: string[];
  healthcheck?: ComposeHealthcheck;
  restart: string;
  stop_grace_period?: string;
  labels: Record<string, string>;
}

export interface ComposeNetwork {
  internal?: boolean;
  labels: Record<string, string>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file: string }>;
  networks: Record<string, ComposeNetwork>;
  volumes: Record<string, { labels: Record<string, string> }>;
}

/**
 * The redis user of the official images (alpine: 999:1000, debian: 999:999), by number: the
 * group comes from the image's passwd entry, and an image without that user still starts
 * (as uid 999, never root).
 */
const REDIS_UID = '999';
/** The haproxy user of the official haproxy images (Debian and Alpine): 99:99. */
const HAPROXY_UID = '99:99';

/**
 * Every container: no process is root (healthchecks and `docker exec` run as the same user),
 * no capability (none is needed: every port is above 1024, and as the redis user from the
 * start the image's entrypoint neither chowns /data nor switches user), no privilege gain
 * through setuid files, a read-only root file system (only /data, a volume, and /tmp, a
 * small tmpfs, are writable), a bound on processes and rotated logs.
 */
function hardened(user: string, pids: number): Partial<ComposeService> {
  return {
    user,
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
    read_only: true,
    tmpfs: ['/tmp:size=16m,mode=1777'],
    pids_limit: pids,
    logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
  };
}

/**
 * The config-hash label. Password hashes (`#<sha256>` in user lines) are left out: a secret
 * rotation changes them in the rendered files and in the running nodes at once (ACL SETUSER),
 * so it must not make the next `deploy` re-create every node (all at once, an outage).
 */
const hash = (...parts: string[]) =>
  createHash('sha256')
    .update(parts.map((p) => p.replace(/(?: #[0-9a-f]{64})+/g, ' #')).join('\0'))
    .digest('hex')
    .slice(0, 16);

/**
 * A service's config hash: what re-creating it would change. The definition (image, ports,
 * mounts, healthcheck) and the files it reads, but not its environment, which only names the
 * other nodes (scaling changes them, and no node needs a restart for it: the
 * scripts read them at the next start).
 */
function serviceHash(service: Omit<ComposeService, 'labels'>, ...inputs: string[]): string {
  const { environment: _environment, ...definition } = service;
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
  /** prometheus.yml and alerts.yml, with monitoring: Prometheus is re-created when they change (web.yml is re-read live). */
  prometheusConfig?: string;
  /** alertmanager.yml, with monitoring.alertmanager: Alertmanager is re-created when it changes (web.yml is re-read live). */
  alertmanagerConfig?: string;
  /** Grafana's provisioning files, with monitoring.grafana: Grafana is re-created when they change (the dashboard is re-read live). */
  grafanaConfig?: string;
  scripts: string;
  /** The TLS files, when the deployment speaks TLS: a service re-created with a new certificate loads it. */
  tls?: TlsFiles;
}

/** One render: the topology, the files its services read, what the engine takes. */
interface Render {
  t: Topology;
  inputs: ServiceInputs;
  features: EngineFeatures;
}

const labels = (t: Topology, configHash?: string): Record<string, string> => ({
  [LABEL_MANAGED]: 'true',
  [LABEL_PRESET]: t.preset,
  ...(configHash ? { [LABEL_CONFIG_HASH]: configHash } : {}),
});

const publish = (t: Topology, hostPort: number, containerPort: number) => `${t.bind}:${hostPort}:${containerPort}`;

/** Only the exporter needs the back network (see buildCompose()); without it there is none. */
const hasBackNetwork = (t: Topology) => t.exporter.enabled;

/** The networks of a service that publishes ports: the back one (where there is one) and the front one. */
const frontAndBack = (t: Topology) => (hasBackNetwork(t) ? [backNetwork(t), t.network] : [t.network]);

/**
 * Container healthchecks tell Docker (`docker ps`, restarts; a stack has none: synth/stack.ts)
 * whether a process is alive and in its role. Nothing waits on them: no depends_on, and
 * redis-ha's own probes from the host decide when a deployment is healthy. So at rest they run
 * rarely (each one is a shell, a redis-cli and a `runc exec`: at 250 ms they kept both cores of
 * a small machine busy); during the start period, fast where the engine can (start_interval).
 */
function healthcheck({ t, features }: Render, script: string): ComposeHealthcheck {
  return {
    test: ['CMD', '/bin/sh', `${CONF_DIR}/scripts/${script}`],
    interval: t.healthcheckIntervalMs % 1000 === 0 ? `${t.healthcheckIntervalMs / 1000}s` : `${t.healthcheckIntervalMs}ms`,
    timeout: '3s',
    retries: 3,
    start_period: '30s',
    ...(features.healthcheckStartInterval ? { start_interval: '1s' } : {}),
  };
}

/**
 * The secrets a service reads. Secrets are files (compose `secrets:`, mounted read-only at
 * /run/secrets/<name>), never environment variables: nothing secret shows in `docker inspect`
 * or `compose config`. Each service gets only the ones it reads. With TLS, the CA certificate
 * and the service's own certificate and key are secrets too (a bind mount of tls/ would hand
 * every container every key, and cannot cross Swarm nodes). `tlsService`: the service whose
 * certificate it mounts; null: the CA only; undefined: no TLS file.
 */
function secretMounts(t: Topology, names: (SecretName | 'exporter-passwords')[], tlsService?: string | null): Pick<ComposeService, 'secrets'> {
  const all: string[] = [
    ...(t.auth.enabled ? names : []),
    ...(t.tls.enabled && tlsService !== undefined ? [TLS_CA_SECRET] : []),
    ...(t.tls.enabled && tlsService ? [tlsCertSecret(tlsService), tlsKeySecret(tlsService)] : []),
  ];
  return all.length ? { secrets: all } : {};
}

/** What a service's container must be re-created for when it changes: its certificate and the CA. */
const tlsInputs = ({ t, inputs }: Render, service?: string) =>
  t.tls.enabled ? [inputs.tls?.get(CA_CERT_FILE) ?? '', service ? (inputs.tls?.get(certFile(service)) ?? '') : ''] : [];

function redisService(r: Render, node: NodeRef, sentinels: NodeRef[]): ComposeService {
  const { t, inputs } = r;
  const service: Omit<ComposeService, 'labels'> = {
    image: t.redis.image,
    hostname: node.name,
    ...hardened(REDIS_UID, 256),
    ...(redisMemoryLimit(t.redis.maxmemory) ? { mem_limit: redisMemoryLimit(t.redis.maxmemory) } : {}),
    entrypoint: ['/bin/sh', `${CONF_DIR}/scripts/redis-start.sh`],
    // A tiny init as PID 1 reaps the healthcheck's processes, which Redis would otherwise
    // collect and log as unknown children.
    init: true,
    environment: {
      NODE_NAME: node.name,
      MASTER_NAME: t.sentinel.masterName,
      SENTINELS: sentinels.map((s) => s.name).join(' '),
      // The scripts follow a majority of all Sentinels, not of those that answer.
      SENTINEL_COUNT: String(sentinels.length),
    },
    // replica: masterauth; health: healthcheck, asking the Sentinels; admin: REPLICAOF on a first start.
    ...secretMounts(t, ['replica', 'health', 'admin'], node.name),
    volumes: [
      `./redis/${node.name}.conf:${CONF_DIR}/redis.conf:ro`,
      `./scripts:${CONF_DIR}/scripts:ro`,
      `${node.name}-data:/data`,
    ],
    // The client port only: a cluster's bus (port + 10000) is between the nodes, on the
    // deployment's network; nothing on the host speaks it (and portBase + 10000 would land in
    // Linux's ephemeral port range, where an outgoing connection may hold it).
    ports: [publish(t, node.hostPort, node.port)],
    networks: frontAndBack(t),
    // No depends_on between nodes: they all start at once, and a replica attaches as soon
    // as its master answers (redis-start.sh).
    healthcheck: healthcheck(r, 'redis-health.sh'),
    // Without persistence an automatic restart brings a master back empty, before Sentinel
    // notices, and its replicas then copy the empty dataset: leave restarts to the operator.
    restart: t.redis.persistence === 'none' ? 'no' : 'unless-stopped',
    stop_grace_period: '10s',
  };
  return { ...service, labels: labels(t, serviceHash(service, inputs.redisConfigs.get(node.name) ?? '', inputs.scripts, ...tlsInputs(r, node.name))) };
}

function sentinelService(r: Render, sentinel: NodeRef, sentinels: NodeRef[]): ComposeService {
  const { t, inputs } = r;
  const service: Omit<ComposeService, 'labels'> = {
    image: t.redis.image,
    hostname: sentinel.name,
    ...hardened(REDIS_UID, 128),
    mem_limit: '64m',
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
    // sentinel: auth-pass (to the nodes) and sentinel-pass (to the peers); health: healthcheck.
    ...secretMounts(t, ['sentinel', 'health'], sentinel.name),
    volumes: [
      // The directory, not the file: the writer replaces files (rename), and a file mount
      // would keep showing the old one to a container that is not re-created (a settings
      // change is applied live), which would then restart with old settings.
      `./sentinel:${CONF_DIR}/sentinel:ro`,
      `./scripts:${CONF_DIR}/scripts:ro`,
      `${sentinel.name}-data:/data`,
    ],
    ports: [publish(t, sentinel.hostPort, sentinel.port)],
    networks: frontAndBack(t),
    // No depends_on (one wave: every container starts at once). It needs no node to be up or
    // linked: it is given the replicas and its peers in its config, and a name that does not
    // resolve yet (a node still being created) is resolved again until it does (Sentinel >= 6.2).
    healthcheck: healthcheck(r, 'sentinel-health.sh'),
    restart: 'unless-stopped',
    stop_grace_period: '10s',
  };
  return {
    ...service,
    labels: labels(t, serviceHash(service, sentinelRestartConfig(inputs.sentinelConfigs.get(sentinel.name) ?? ''), inputs.scripts, ...tlsInputs(r, sentinel.name))),
  };
}

function haproxyService(r: Render): ComposeService {
  const { t, inputs } = r;
  const service: Omit<ComposeService, 'labels'> = {
    image: t.haproxy.image,
    hostname: 'haproxy',
    // The image's haproxy user (uid/gid 99), by number like the redis user: Swarm secrets
    // are owned by a numeric uid, and an image without that user still never runs as root.
    ...hardened(HAPROXY_UID, 256),
    mem_limit: '128m',
    // Fills the passwords into a private copy of haproxy.cfg, then starts HAProxy in
    // master-worker mode: SIGUSR2 reloads a new config with no dropped connection (the
    // rollout fills the copy again first). The directory is mounted, not the file, so a
    // reload reads the file render just replaced (a file mount keeps showing the old inode).
    entrypoint: ['/bin/sh', `${CONF_DIR}/scripts/haproxy-start.sh`],
    ...secretMounts(t, ['health', 'haproxy-stats'], 'haproxy'),
    volumes: [`./haproxy:${CONF_DIR}/haproxy:ro`, `./scripts:${CONF_DIR}/scripts:ro`],
    ports: [
      publish(t, t.haproxy.writePort, HAPROXY_WRITE_PORT),
      publish(t, t.haproxy.readPort, HAPROXY_READ_PORT),
      publish(t, t.haproxy.statsPort, HAPROXY_STATS_PORT),
    ],
    networks: frontAndBack(t),
    restart: 'unless-stopped',
  };
  // The config is left out of the hash: a config change is a reload, not a re-creation
  // (the running HAProxy serves the hash of what it loaded, see renderHaproxyConfig). Its
  // certificate is in it: the secret mount keeps the old file, so a new one needs a new container.
  return { ...service, labels: labels(t, serviceHash(service, inputs.scripts, ...tlsInputs(r, 'haproxy'))) };
}

function prometheusService(r: Render): ComposeService {
  const { t, inputs } = r;
  const p = t.monitoring.prometheus;
  const service: Omit<ComposeService, 'labels'> = {
    image: p.image,
    hostname: 'prometheus',
    ...hardened(PROMETHEUS_UID, 256),
    mem_limit: '512m',
    // prom/prometheus's own CMD, plus retention and (with auth) the login. No lifecycle API: a
    // changed config re-creates the container (its data stays in the volume).
    command: [
      `--config.file=${PROMETHEUS_CONF_DIR}/prometheus.yml`,
      '--storage.tsdb.path=/prometheus',
      `--storage.tsdb.retention.time=${p.retention}`,
      ...(t.auth.enabled ? [`--web.config.file=${PROMETHEUS_CONF_DIR}/web.yml`] : []),
    ],
    // haproxy-stats: the scrapes' login (and Prometheus's own, web.yml, holds its bcrypt hash).
    ...secretMounts(t, ['haproxy-stats']),
    // The directory, not the files: web.yml, rewritten by a password rotation, is re-read at each request.
    volumes: [`./prometheus:${PROMETHEUS_CONF_DIR}:ro`, 'prometheus-data:/prometheus'],
    ports: [publish(t, p.port, PROMETHEUS_PORT)],
    // The front network only: it reaches HAProxy's stats port there, and publishes its own port.
    networks: [t.network],
    restart: 'unless-stopped',
  };
  return { ...service, labels: labels(t, serviceHash(service, inputs.prometheusConfig ?? '')) };
}

function alertmanagerService(r: Render): ComposeService {
  const { t, inputs } = r;
  const a = t.monitoring.alertmanager;
  const service: Omit<ComposeService, 'labels'> = {
    image: a.image,
    hostname: 'alertmanager',
    ...hardened(ALERTMANAGER_UID, 128),
    mem_limit: '128m',
    // prom/alertmanager's own CMD, plus no cluster and (with auth) the login. A changed config
    // re-creates the container (its silences and notification log stay in the volume).
    command: [
      `--config.file=${ALERTMANAGER_CONF_DIR}/alertmanager.yml`,
      '--storage.path=/alertmanager',
      // One instance: no gossip cluster (by default it listens on 9094 for peers).
      '--cluster.listen-address=',
      ...(t.auth.enabled ? [`--web.config.file=${ALERTMANAGER_CONF_DIR}/web.yml`] : []),
    ],
    // The directory, not the files: web.yml, rewritten by a password rotation, is re-read at each request.
    volumes: [`./alertmanager:${ALERTMANAGER_CONF_DIR}:ro`, 'alertmanager-data:/alertmanager'],
    ports: [publish(t, a.port, ALERTMANAGER_PORT)],
    // The front network only, beside Prometheus, which sends it the alerts there. A webhook
    // receiver is reached through it too (the front network is not internal).
    networks: [t.network],
    restart: 'unless-stopped',
  };
  return { ...service, labels: labels(t, serviceHash(service, inputs.alertmanagerConfig ?? '')) };
}

function grafanaService(r: Render): ComposeService {
  const { t, inputs } = r;
  const g = t.monitoring.grafana;
  const environment: Record<string, string> = {
    // The monitoring login (user stats, the password of secrets/haproxy-stats, read from the
    // file by Grafana's __FILE suffix; Grafana keeps it in its database after the first start).
    // Without users: anonymous viewers.
    ...(t.auth.enabled
      ? { GF_SECURITY_ADMIN_USER: STATS_USER, GF_SECURITY_ADMIN_PASSWORD__FILE: containerSecret('haproxy-stats'), GF_AUTH_ANONYMOUS_ENABLED: 'false' }
      : { GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' }),
    GF_USERS_ALLOW_SIGN_UP: 'false',
    // redis-ha sends nothing anywhere by default: no usage reports, update checks, news feed,
    // Gravatar images or plugin downloads.
    GF_ANALYTICS_REPORTING_ENABLED: 'false',
    GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
    GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
    GF_NEWS_NEWS_FEED_ENABLED: 'false',
    GF_SECURITY_DISABLE_GRAVATAR: 'true',
    GF_PLUGINS_PREINSTALL_DISABLED: 'true',
    // Logs to the container's output: the root file system is read-only.
    GF_LOG_MODE: 'console',
    GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: `${GRAFANA_DASHBOARDS_DIR}/redis-ha.json`,
  };
  const service: Omit<ComposeService, 'labels'> = {
    image: g.image,
    hostname: 'grafana',
    ...hardened(GRAFANA_UID, 256),
    mem_limit: '256m',
    environment,
    ...(t.auth.enabled ? secretMounts(t, ['haproxy-stats']) : {}),
    volumes: ['./monitoring/provisioning:/etc/grafana/provisioning:ro', `./monitoring/dashboards:${GRAFANA_DASHBOARDS_DIR}:ro`, 'grafana-data:/var/lib/grafana'],
    ports: [publish(t, g.port, GRAFANA_PORT)],
    // The front network only: it reaches Prometheus there.
    networks: [t.network],
    restart: 'unless-stopped',
  };
  // Its settings are in the environment: in the hash, unlike other services' (which only name files).
  return { ...service, labels: labels(t, serviceHash(service, inputs.grafanaConfig ?? '', JSON.stringify(environment))) };
}

function exporterService(r: Render, targets: NodeRef[]): ComposeService {
  const { t } = r;
  const service: Omit<ComposeService, 'labels'> = {
    image: t.exporter.image,
    hostname: 'exporter',
    // The image's own non-root user (oliver006/redis_exporter: USER 59000:59000).
    ...hardened('59000:59000', 64),
    mem_limit: '64m',
    // Covers every node through /scrape?target=redis://<node>:6379, as the user "exporter"
    // with the password its password file maps to that target: only this deployment's
    // nodes and Sentinels are in it. An empty --redis.addr: /metrics then holds only the
    // exporter's own metrics, so no node is counted twice.
    command: [
      '--redis.addr=',
      ...(t.auth.enabled ? ['--redis.user=exporter', `--redis.password-file=${containerSecret('exporter-passwords')}`] : []),
      // With TLS the targets are rediss://<node>:6379, verified against the deployment's CA
      // (and their service name). No client certificate: Redis does not ask for one.
      ...(t.tls.enabled ? [`--tls-ca-cert-file=${CONTAINER_CA}`] : []),
    ],
    // The CA only (null: no certificate of its own).
    ...secretMounts(t, ['exporter-passwords'], null),
    // No published port and only the internal back network: redis_exporter has no login and
    // dials whatever /scrape?target= names. It is reached only through HAProxy's stats port
    // (behind the stats login), which passes only this deployment's node and Sentinel names.
    networks: [backNetwork(t)],
    restart: 'unless-stopped',
  };
  // Its password file maps each node and Sentinel to a password, read at start only: a node
  // added or removed re-creates the exporter.
  return { ...service, labels: labels(t, serviceHash(service, targets.map((n) => n.name).join(' '), ...tlsInputs(r))) };
}

/**
 * Model strings that reach this file, and what keeps them plain: images (rules: Docker's
 * reference grammar, no `$`), `name` and `network` (schema: name patterns), `bind` (schema: an
 * IP address), `sentinel.masterName` (schema: letters, digits, `._-`), `preset` (an enum).
 * Everything else is generated here. escapeInterpolation() covers whatever a new field adds.
 */
export function buildCompose(t: Topology, inputs: ServiceInputs, features: EngineFeatures = PORTABLE): ComposeFile {
  // Two networks where there is an exporter, one where there is none (docs/security.md,
  // "Networks and the exporter"; attaching a second network costs each container's start):
  // - back (`<network>-back`, internal: true; only with an exporter): every service. Docker forwards nothing off an
  //   internal bridge and publishes no port for a container that is only on internal networks: the
  //   exporter is only here, so whatever target it is asked for it reaches nothing beyond this
  //   deployment's containers (and, on Docker 20.10, the host's own addresses: see docs/security.md).
  // - front (`network`, an ordinary bridge; the one network of earlier versions, so it keeps its
  //   name and settings): the services that publish ports (Redis and Sentinels, whose ports host-side Sentinel clients use as printed; HAProxy). Not without
  //   IP masquerade: Docker's embedded DNS forwards a name it does not know (a stopped or
  //   partitioned node's) to the host's resolver from the container's own namespace; without NAT
  //   no answer comes back, the lookup blocks for seconds and Sentinel enters TILT (measured:
  //   partition-master then never failed over).
  // Names: Docker's embedded DNS answers from the first of the asking container's networks that
  // knows the name, and it orders internal networks last (libnetwork sandbox epHeap). So between
  // two services on both networks (replication, Sentinel, HAProxy's checks) a name resolves to
  // the FRONT address, always (checked live on 20.10: every such lookup, from every side); from
  // the exporter, which is only on back, every name resolves to the back address. Compose v1
  // gives every network the service-name alias, so the front cannot be left without names.
  // Either way each name has one answer, and a partition cuts a container from both networks.
  const r: Render = { t, inputs, features };
  const sentinels = sentinelNodes(t);
  const nodes = redisNodes(t);
  const volumes: ComposeFile['volumes'] = {};
  const services: Record<string, ComposeService> = {};
  for (const node of nodes) {
    volumes[`${node.name}-data`] = { labels: labels(t) };
    services[node.name] = redisService(r, node, sentinels);
  }
  for (const sentinel of sentinels) {
    volumes[`${sentinel.name}-data`] = { labels: labels(t) };
    services[sentinel.name] = sentinelService(r, sentinel, sentinels);
  }
  if (t.haproxy.enabled) services.haproxy = haproxyService(r);
  if (t.exporter.enabled) services.exporter = exporterService(r, [...nodes, ...sentinels]);
  if (t.monitoring.enabled) {
    volumes['prometheus-data'] = { labels: labels(t) };
    services.prometheus = prometheusService(r);
  }
  if (t.monitoring.alertmanager.enabled) {
    volumes['alertmanager-data'] = { labels: labels(t) };
    services.alertmanager = alertmanagerService(r);
  }
  if (t.monitoring.grafana.enabled) {
    volumes['grafana-data'] = { labels: labels(t) };
    services.grafana = grafanaService(r);
  }

  // No top-level `name:` (Compose v1 rejects it): every call passes `-p` (by hand: `docker-compose -p <name>`).
  const secretsUsed = new Set(Object.values(services).flatMap((s) => s.secrets ?? []));
  const secretFile = (n: string) => `./${tlsSecretFile(n) ?? secretPath(n === 'exporter-passwords' ? EXPORTER_PASSWORD_FILE : n)}`;
  return escapeInterpolation({
    services,
    ...(secretsUsed.size ? { secrets: Object.fromEntries([...secretsUsed].sort().map((n) => [n, { file: secretFile(n) }])) } : {}),
    networks: {
      [t.network]: { labels: labels(t) },
      ...(hasBackNetwork(t) ? { [backNetwork(t)]: { internal: true, labels: labels(t) } } : {}),
    },
    volumes,
  });
}

/**
 * Compose substitutes `${VAR}` and `$VAR` in every value, from the environment and any .env
 * in the project directory. The model already refuses `$` in images and names; this is the guarantee
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
