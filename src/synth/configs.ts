// Redis, Sentinel, HAProxy, Prometheus and Alertmanager files for a topology, from the templates.
import { createHash } from 'node:crypto';
import { EXPORTER_PORT, INITIAL_MASTER, redisNodes, sentinelNodes } from '../model/nodes.js';
import { durationMs } from '../model/duration.js';
import { PROFILE_TIMINGS, type Topology } from '../model/schema.js';
import bcrypt from 'bcryptjs';
import { containerSecret, STATS_USER, type SecretName } from './secrets.js';
import { renderTemplate } from './templates.js';
import { type CertificateEnd, CONTAINER_CA, containerCert, containerKey, RENEW_BEFORE_DAYS } from './tls.js';

/** The TLS file paths a service's config names (inside its container); undefined without TLS. */
const tlsPaths = (t: Topology, service: string) =>
  t.tls.enabled ? { ca: CONTAINER_CA, cert: containerCert(service), key: containerKey(service) } : undefined;

/** SHA-256 of each user's password (Redis ACL `#<hash>`); undefined without auth. */
export type AclHashes = Record<SecretName, string> | undefined;

/** A stable 40-hex Sentinel id: the same deployment and node always get the same id. */
export function sentinelId(deployment: string, node: string): string {
  return createHash('sha1').update(`redis-ha:${deployment}:${node}`).digest('hex');
}

export function renderRedisConfig(t: Topology, node: string, hashes: AclHashes): string {
  return renderTemplate('redis.conf.hbs', {
    deployment: t.name,
    node,
    tls: tlsPaths(t, node),
    bind: t.bind,
    auth: t.auth.enabled && hashes !== undefined,
    hashes,
    // A cluster's replicas are attached by redis-ha (CLUSTER REPLICATE) once the cluster is formed.
    replicaOf: node === INITIAL_MASTER || t.cluster.enabled ? undefined : INITIAL_MASTER,
    cluster: t.cluster.enabled ? { nodeTimeoutMs: t.cluster.nodeTimeoutMs } : undefined,
    minReplicasToWrite: t.redis.minReplicasToWrite,
    minReplicasMaxLag: t.redis.minReplicasMaxLag,
    persistence: t.redis.persistence,
    maxmemory: t.redis.maxmemory,
    maxmemoryPolicy: t.redis.maxmemoryPolicy,
    extraConfig: t.redis.extraConfig,
  });
}

export function renderSentinelConfig(t: Topology, node: string, hashes: AclHashes): string {
  const sentinels = sentinelNodes(t).map((s) => s.name);
  return renderTemplate('sentinel.conf.hbs', {
    deployment: t.name,
    node,
    tls: tlsPaths(t, node),
    auth: t.auth.enabled && hashes !== undefined,
    hashes,
    myid: sentinelId(t.name, node),
    masterName: t.sentinel.masterName,
    initialMaster: INITIAL_MASTER,
    quorum: t.sentinel.quorum,
    downAfterMs: t.sentinel.downAfterMs,
    failoverTimeoutMs: t.sentinel.failoverTimeoutMs,
    parallelSyncs: t.sentinel.parallelSyncs,
    replicas: redisNodes(t)
      .map((n) => n.name)
      .filter((n) => n !== INITIAL_MASTER),
    peers: sentinels.filter((s) => s !== node).map((name) => ({ name, myid: sentinelId(t.name, name) })),
  });
}

/**
 * The HAProxy config, carrying its own hash (of the text rendered with an empty hash) which the
 * running HAProxy serves on the stats port: what it loaded can be compared with what is rendered.
 */
export function renderHaproxyConfig(t: Topology): string {
  return haproxyTemplate(t, haproxyConfigHash(t));
}

/** The hash a HAProxy running the rendered config serves at /redis-ha/config-hash. */
export function haproxyConfigHash(t: Topology): string {
  return createHash('sha256').update(haproxyTemplate(t, '')).digest('hex').slice(0, 16);
}

function haproxyTemplate(t: Topology, configHash: string): string {
  // A check must end before the next one starts.
  const checkTimeoutMs = Math.min(1000, t.haproxy.checkIntervalMs);
  return renderTemplate('haproxy.cfg.hbs', {
    configHash,
    deployment: t.name,
    auth: t.auth.enabled,
    tls: tlsPaths(t, 'haproxy'),
    quorum: t.sentinel.quorum,
    masterName: t.sentinel.masterName,
    checkIntervalMs: t.haproxy.checkIntervalMs,
    checkTimeoutMs,
    // DOWN servers (the replica about to be promoted, the Sentinels about to name it): a new
    // master is routed within this of the switch. With conclusive checks each DOWN server is
    // checked this often (full has 9 of its 15 DOWN at rest), so not every 100 ms: 250 ms
    // costs HAProxy about what the former 100 ms + 500 ms check timeout did twice over.
    downIntervalMs: Math.min(250, t.haproxy.checkIntervalMs),
    // Every server's first check has ended (HAProxy spreads them over one interval), with
    // 200 ms for the first DNS answers.
    warmupMs: t.haproxy.checkIntervalMs + checkTimeoutMs + 200,
    firstNode: redisNodes(t)[0]!.name,
    nodes: redisNodes(t).map((n) => ({ name: n.name })),
    sentinels: sentinelNodes(t).map((s) => s.name),
    exporter: t.exporter.enabled ? { scheme: t.tls.enabled ? 'rediss' : 'redis', port: EXPORTER_PORT } : undefined,
  });
}

/** `n` rule evaluations (the scrape interval) as a Prometheus duration. */
const intervals = (t: Topology, n: number) => {
  const ms = n * durationMs(t.monitoring.prometheus.scrapeInterval);
  return ms % 1000 ? `${ms}ms` : `${ms / 1000}s`;
};

/**
 * The rules of prometheus/alerts.yml. With TLS, `certificates` (certificateEnds): the rule that
 * fires RENEW_BEFORE_DAYS before the first of them ends, when `deploy` would renew it (no
 * exporter reports the certificates Redis serves, so the date is written into the rule, and
 * every render writes it anew).
 */
export function renderAlertRules(t: Topology, certificates: readonly CertificateEnd[] = []): string {
  const first = certificates[0];
  const certificate = first && {
    warnAt: Math.floor(first.notAfter.getTime() / 1000) - RENEW_BEFORE_DAYS * 86_400,
    files: certificates.filter((c) => c.notAfter.getTime() - first.notAfter.getTime() < 86_400_000).map((c) => c.file).join(', '),
    ends: first.notAfter.toISOString().slice(0, 10),
    days: RENEW_BEFORE_DAYS,
  };
  return renderTemplate('prometheus/alerts.yml.hbs', {
    certificate,
    deployment: t.name,
    interval: t.monitoring.prometheus.scrapeInterval,
    forOne: intervals(t, 1),
    forTwo: intervals(t, 2),
    sentinel: t.sentinel.enabled,
    haproxy: t.haproxy.enabled,
    masterName: t.sentinel.masterName,
    quorum: t.sentinel.quorum,
    lagSeconds: t.redis.minReplicasMaxLag,
    maxmemoryPolicy: t.redis.maxmemoryPolicy,
    noeviction: t.redis.maxmemoryPolicy === 'noeviction',
  });
}

/**
 * prometheus/prometheus.yml. With monitoring it is the deployment's own Prometheus's config
 * (mounted at /etc/prometheus, the stats password from /run/secrets); without, a file for a
 * Prometheus the user brings (password_file relative to it).
 */
export function renderPrometheusConfig(t: Topology): string {
  return renderTemplate('prometheus/prometheus.yml.hbs', {
    deployment: t.name,
    inDeployment: t.monitoring.enabled,
    passwordFile: t.monitoring.enabled ? containerSecret('haproxy-stats') : '../secrets/haproxy-stats',
    scrapeInterval: t.monitoring.prometheus.scrapeInterval,
    prometheusPort: t.monitoring.prometheus.port,
    alertmanager: t.monitoring.enabled && t.monitoring.alertmanager.enabled,
    scheme: t.tls.enabled ? 'rediss' : 'redis',
    network: t.network,
    bind: t.bind,
    auth: t.auth.enabled,
    haproxyStatsPort: t.haproxy.statsPort,
    nodes: redisNodes(t).map((n) => n.name),
    sentinels: sentinelNodes(t).map((s) => s.name),
  });
}

/**
 * bcrypt cost of the Prometheus login. The password is 43 random characters (256 bits): no cost
 * factor adds to that, while Prometheus checks the hash on every request it serves (status and
 * test-failover poll it) and render computes it in JavaScript (cost 10: ~80 ms). 4 is bcrypt's
 * minimum, which Prometheus (Go's bcrypt) accepts.
 */
export const PROMETHEUS_BCRYPT_COST = 4;

/**
 * alertmanager/alertmanager.yml: one route, grouped by alert name and deployment, to one
 * receiver, which has no integration (it sends nothing anywhere) unless the topology names a
 * webhook.
 */
export function renderAlertmanagerConfig(t: Topology): string {
  const webhookUrl = t.monitoring.alertmanager.receiver?.webhookUrl;
  return renderTemplate('alertmanager/alertmanager.yml.hbs', {
    deployment: t.name,
    bind: t.bind,
    port: t.monitoring.alertmanager.port,
    auth: t.auth.enabled,
    receiver: webhookUrl ? 'webhook' : 'none',
    // A JSON string is a YAML double-quoted scalar: the URL is written as it is, whatever it holds.
    webhookUrl: webhookUrl ? JSON.stringify(webhookUrl) : undefined,
    profile: t.profile,
    groupWait: PROFILE_TIMINGS[t.profile].alertGroupWait,
    groupInterval: PROFILE_TIMINGS[t.profile].alertGroupInterval,
  });
}

/**
 * prometheus/web.yml and alertmanager/web.yml, their --web.config.file (the exporter-toolkit's
 * format, which both read; re-read at every request, so a rotated password needs no restart):
 * the login "stats" with the password of secrets/haproxy-stats, the deployment's one monitoring
 * login. The salt is derived from the password, so the file stays the same from one render to
 * the next (and the password's change changes it).
 */
export function renderPrometheusWebConfig(t: Topology, statsPassword: string, server: 'Prometheus' | 'Alertmanager' = 'Prometheus'): string {
  const salt = createHash('sha256').update(`redis-ha prometheus web.yml\0${t.name}\0${statsPassword}`).digest().subarray(0, 16);
  const hash = bcrypt.hashSync(statsPassword, `$2b$${String(PROMETHEUS_BCRYPT_COST).padStart(2, '0')}$${bcrypt.encodeBase64(salt, 16)}`);
  return [
    `# redis-ha: the login of deployment "${t.name}"'s ${server} (its --web.config.file). Generated by redis-ha.`,
    `# User ${STATS_USER}, the password in <out>/secrets/haproxy-stats (the monitoring login HAProxy's stats page takes too).`,
    'basic_auth_users:',
    `  ${STATS_USER}: ${hash}`,
    '',
  ].join('\n');
}
