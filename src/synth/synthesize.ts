// Pure synthesis: a topology in, every generated file out (path -> content). No I/O here
// beyond reading the package's own templates; only files/writer.ts touches the disk.
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { ALERTMANAGER_WEB_CONFIG, buildCompose, type EngineFeatures, PORTABLE, PROMETHEUS_WEB_CONFIG } from './compose.js';
import {
  renderAlertmanagerConfig,
  renderAlertRules,
  renderHaproxyConfig,
  renderPrometheusConfig,
  renderPrometheusWebConfig,
  renderRedisConfig,
  renderSentinelConfig,
} from './configs.js';
import {
  aclHashes,
  containerSecret,
  currentSecret,
  EXPORTER_PASSWORD_FILE,
  nextSecretPath,
  oldSecretPath,
  type Rotations,
  SECRET_NAMES,
  SECRETS_DIR,
  secretPath,
  type Secrets,
} from './secrets.js';
import { DASHBOARD_FILE, renderDashboard, renderGrafanaProvisioning } from './dashboard.js';
import { buildStack, stackHeader } from './stack.js';
import { readStatic } from './templates.js';
import { certificateEnds, isTlsKeyFile, type TlsFiles } from './tls.js';
import { toYaml } from '../yaml.js';

export const COMPOSE_FILE = 'compose.yaml';
/** Written instead of compose.yaml when `target: swarm`. */
export const STACK_FILE = 'stack.yaml';
export const TOPOLOGY_FILE = 'topology.json';
export const GITIGNORE_FILE = '.gitignore';
/** The single-password file of redis-ha before per-user secrets; removed by the next render. */
export const LEGACY_ENV_FILE = '.env';

const SCRIPTS = ['common.sh', 'redis-start.sh', 'sentinel-start.sh', 'redis-health.sh', 'sentinel-health.sh', 'haproxy-start.sh'];

/** Files that hold secrets: everything under secrets/, and the TLS keys (see files/writer.ts for their mode). */
export const isSecretFile = (path: string) => path.startsWith(`${SECRETS_DIR}/`) || isTlsKeyFile(path);
/** Files that are executed in the containers. */
export const isExecutable = (path: string) => path.endsWith('.sh');

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeysDeep(v)]),
    );
  }
  return value;
}

/** The URI scheme the exporter (and whoever asks it to scrape) reaches the nodes by. */
export const redisScheme = (t: Topology) => (t.tls.enabled ? 'rediss' : 'redis');

/** redis_exporter's password file: the exporter's password for every node and Sentinel of this deployment, and no other. */
export function renderExporterPasswords(t: Topology, secrets: Secrets): string {
  const scheme = redisScheme(t);
  const targets = [...redisNodes(t).map((n) => `${scheme}://${n.name}:6379`), ...sentinelNodes(t).map((s) => `${scheme}://${s.name}:26379`)];
  return `${JSON.stringify(Object.fromEntries(targets.map((u) => [u, secrets.exporter])), null, 2)}\n`;
}

/**
 * Every file of the deployment, keyed by path relative to the output directory, in a fixed
 * order. `secrets` is undefined when auth is disabled (no users, no secret files); they are
 * what `secrets/<user>` holds. `rotations`: the secrets being rotated (both passwords in the
 * configs, the other one in `secrets/<user>.next` or `.old`). `tls` holds the CA and the service
 * certificates (files/certificates.ts) when `tls.enabled`. `features`: what the engine that will run
 * the files takes (left out: files any engine takes).
 */
export function synthesize(
  t: Topology,
  secrets: Secrets | undefined,
  rotations: Rotations = {},
  tls?: TlsFiles,
  features: EngineFeatures = PORTABLE,
): Map<string, string> {
  if (t.tls.enabled && !tls?.size) throw new Error('synthesize: tls.enabled needs the TLS files (loadOrCreateCertificates)');
  const files = new Map<string, string>();
  const hashes = t.auth.enabled && secrets ? aclHashes(secrets, rotations) : undefined;
  const redisConfigs = new Map(redisNodes(t).map((n) => [n.name, renderRedisConfig(t, n.name, hashes)]));
  const sentinelConfigs = new Map(sentinelNodes(t).map((s) => [s.name, renderSentinelConfig(t, s.name, hashes)]));
  const haproxyConfig = t.haproxy.enabled ? renderHaproxyConfig(t) : undefined;
  const scripts = SCRIPTS.filter(
    (name) => (t.sentinel.enabled || !name.startsWith('sentinel-')) && (t.haproxy.enabled || !name.startsWith('haproxy-')),
  ).map(
    (name) => [`scripts/${name}`, readStatic(`scripts/${name}`)] as const,
  );

  const prometheusConfig = t.exporter.enabled ? renderPrometheusConfig(t) : undefined;
  const alertRules = t.exporter.enabled ? renderAlertRules(t, t.tls.enabled && tls ? certificateEnds(tls) : []) : undefined;
  const alertmanagerConfig = t.monitoring.alertmanager.enabled ? renderAlertmanagerConfig(t) : undefined;
  const grafanaProvisioning = t.monitoring.enabled ? renderGrafanaProvisioning(t, containerSecret('haproxy-stats')) : undefined;
  const compose = buildCompose(t, {
    redisConfigs,
    sentinelConfigs,
    haproxyConfig,
    prometheusConfig: t.monitoring.enabled ? `${prometheusConfig}\0${alertRules}` : undefined,
    alertmanagerConfig,
    grafanaConfig: t.monitoring.grafana.enabled ? [...grafanaProvisioning!.values()].join('\0') : undefined,
    scripts: scripts.map(([, content]) => content).join('\0'),
    tls: t.tls.enabled ? tls : undefined,
  }, features);
  const composeText =
    `# redis-ha: deployment "${t.name}" (preset ${t.preset}). Generated by redis-ha; do not edit here.\n` +
    toYaml(compose);
  // One file describes the deployment: on swarm a compose.yaml beside stack.yaml would invite a
  // `docker-compose up` of a second, single-host copy on the same ports.
  if (t.target === 'compose') files.set(COMPOSE_FILE, composeText);
  files.set(
    GITIGNORE_FILE,
    `# redis-ha: the secrets of this deployment stay out of any repository.\nsecrets/\n${t.tls.enabled ? 'tls/*.key\n' : ''}.env\n`,
  );
  files.set(TOPOLOGY_FILE, `${JSON.stringify(sortKeysDeep(t), null, 2)}\n`);
  for (const [name, content] of redisConfigs) files.set(`redis/${name}.conf`, content);
  for (const [name, content] of sentinelConfigs) files.set(`sentinel/${name}.conf`, content);
  if (haproxyConfig) files.set('haproxy/haproxy.cfg', haproxyConfig);
  if (prometheusConfig && alertRules) {
    files.set('prometheus/prometheus.yml', prometheusConfig);
    files.set('prometheus/alerts.yml', alertRules);
    // The dashboard reads what that config scrapes: for any Grafana; with monitoring, also
    // Grafana's provisioning files for the deployment's own Prometheus.
    files.set(DASHBOARD_FILE, renderDashboard(t));
    if (grafanaProvisioning) for (const [path, content] of grafanaProvisioning) files.set(path, content);
  }
  if (alertmanagerConfig) files.set('alertmanager/alertmanager.yml', alertmanagerConfig);
  for (const [path, content] of scripts) files.set(path, content);
  if (hashes && secrets) {
    for (const name of SECRET_NAMES) {
      // The other password first: files are written in this order, and secrets/<name> is
      // overwritten with the new one only once .old holds the old one (see loadOrCreateSecrets).
      const r = rotations[name];
      if (r?.phase === 'added') files.set(nextSecretPath(name), `${r.new}\n`);
      if (r?.phase === 'switched') files.set(oldSecretPath(name), `${r.old}\n`);
      files.set(secretPath(name), `${r ? currentSecret(r) : secrets[name]}\n`);
    }
    if (t.exporter.enabled) {
      const exporter = rotations.exporter ? currentSecret(rotations.exporter) : secrets.exporter;
      files.set(secretPath(EXPORTER_PASSWORD_FILE), renderExporterPasswords(t, { ...secrets, exporter }));
    }
    if (t.monitoring.enabled) {
      const stats = rotations['haproxy-stats'] ? currentSecret(rotations['haproxy-stats']) : secrets['haproxy-stats'];
      files.set(PROMETHEUS_WEB_CONFIG, renderPrometheusWebConfig(t, stats));
      if (t.monitoring.alertmanager.enabled) files.set(ALERTMANAGER_WEB_CONFIG, renderPrometheusWebConfig(t, stats, 'Alertmanager'));
    }
  }
  if (t.tls.enabled && tls) for (const [path, content] of tls) files.set(path, content);
  if (t.target === 'swarm') {
    // The stack is derived from the compose object; its configs and secrets are read from the files above.
    files.set(STACK_FILE, stackHeader(t) + toYaml(buildStack(t, compose, files)));
  }
  return files;
}
