// A snapshot of a deployment as its parts see it, and the checks that say whether it is
// healthy. Used by `status` (once or --watch) and by `deploy` (polled until green).
import { addressOf, hostsOf, type Deployment } from '../deployment.js';
import { natMap, redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import {
  probeAlertmanager,
  probeExporter,
  probeHaproxy,
  probeNodes,
  probePrometheus,
  probeSentinels,
  type ExporterProbe,
  type HaproxyProbe,
  type NodeStatus,
  type SentinelStatus,
} from '../probes/deployment.js';
import type { AlertmanagerProbe, HaproxyServerState, PrometheusProbe } from '../probes/http.js';
import { probeDrift } from '../probes/drift.js';
import { findDrift, formatDrift, renderedRedisSettings, type DriftEntry } from './drift.js';
import { probeCluster, type ClusterNodeState } from '../probes/cluster.js';
import { checkCluster, crowdedMasterHosts, type ShardStatus } from './cluster.js';

export type { NodeStatus, SentinelStatus };

export type CheckName = 'containers' | 'replication' | 'cluster' | 'sentinels' | 'haproxy' | 'exporter' | 'monitoring' | 'drift' | 'certificates';

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** One line on the state seen. */
  detail: string;
  /** When a check cannot get better by waiting (a container exited, is unhealthy). */
  fatal?: boolean;
  /** Services whose logs explain a failure. */
  services?: string[];
}

export interface StatusSnapshot {
  deployment: string;
  preset: string;
  takenAt: string;
  healthy: boolean;
  master?: string;
  /** On swarm also the node each task runs on. */
  containers: { service: string; state: string; health?: string; node?: string }[];
  /**
   * How often Docker runs the container healthchecks once a container is up; null on swarm,
   * which runs none (synth/stack.ts). They are Docker's view (`docker ps`); healthy is what the
   * checks below, probed from the host, say.
   */
  containerHealthcheckIntervalMs: number | null;
  nodes: NodeStatus[];
  /** Cluster: each shard's slots, master and replicas, as the first node sees them. */
  shards?: ShardStatus[];
  sentinels: SentinelStatus[];
  haproxy?: { reachable: boolean; error?: string; servers: HaproxyServerState[]; writeReaches?: string; readReaches?: string };
  exporter?: { reachable: boolean; targets: { target: string; up: number | undefined }[] };
  /**
   * With monitoring: the deployment's Prometheus (where it answers, its targets, the alerts firing
   * now); with monitoring.alertmanager, where its Alertmanager answers and whether it is ready.
   */
  monitoring?: { address: string; alertmanagerAddress?: string; alertmanager?: AlertmanagerProbe } & PrometheusProbe;
  /** For clients outside the compose network: announced address -> published address. */
  natMap: Record<string, { host: string; port: number }>;
  /** With TLS: each certificate's end and the days left (warning: fewer than 30). */
  certificates?: CertificateStatus[];
  /** Live settings that differ from the rendered ones, per node. */
  drift: DriftEntry[];
  checks: CheckResult[];
  /** What is not a failed check but an operator should know (a cluster on swarm: several masters on one host). */
  warnings?: string[];
}

/** Every live process runs the rendered settings. */
export function checkDrift(drift: DriftEntry[]): CheckResult {
  if (!drift.length) return { name: 'drift', ok: true, detail: 'every node, Sentinel and HAProxy runs the rendered settings' };
  return {
    name: 'drift',
    ok: false,
    detail: `live differs from rendered: ${drift.map(formatDrift).join('; ')}`,
    services: [...new Set(drift.map((d) => d.service))],
  };
}

/** A certificate as status shows it. */
export interface CertificateStatus {
  name: string;
  file: string;
  notAfter: string;
  daysLeft: number;
  /** Fewer than CERT_WARN_DAYS left (a render renews it). */
  warning: boolean;
}

/** Days before its end from which a certificate is a warning; the next render renews it. */
export const CERT_WARN_DAYS = 30;

/**
 * Certificates: an expired one fails (clients and peers refuse the handshake); fewer than 30
 * days left is a warning, which `render` / `deploy` clears by issuing a new one.
 */
export function checkCertificates(
  certs: { name: string; file: string; notAfter: string }[],
  now = new Date(),
): { certificates: CertificateStatus[]; check: CheckResult } {
  const certificates = certs.map((c) => {
    const daysLeft = Math.floor((Date.parse(c.notAfter) - now.getTime()) / 86_400_000);
    return { ...c, daysLeft, warning: daysLeft < CERT_WARN_DAYS };
  });
  const expired = certificates.filter((c) => Date.parse(c.notAfter) <= now.getTime());
  const soon = certificates.filter((c) => c.warning && !expired.includes(c));
  const least = certificates.reduce((a, c) => (c.daysLeft < a.daysLeft ? c : a), certificates[0]!);
  const detail = expired.length
    ? `expired: ${expired.map((c) => `${c.name} (${c.notAfter.slice(0, 10)})`).join(', ')}; run \`redis-ha deploy\` again to issue new ones`
    : soon.length
      ? `warning: ${soon.map((c) => `${c.name} ends in ${c.daysLeft} days`).join(', ')}; run \`redis-ha deploy\` again to renew`
      : `${certificates.length} valid, the first to end: ${least.name} in ${least.daysLeft} days`;
  return { certificates, check: { name: 'certificates', ok: expired.length === 0, detail, services: expired.map((c) => c.name).filter((n) => n !== 'CA') } };
}

export function checkContainers(t: Topology, containers: ContainerInfo[]): CheckResult {
  const expected = [
    ...redisNodes(t).map((n) => n.name),
    ...sentinelNodes(t).map((n) => n.name),
    ...(t.haproxy.enabled ? ['haproxy'] : []),
    ...(t.exporter.enabled ? ['exporter'] : []),
    ...(t.monitoring.enabled ? ['prometheus'] : []),
    ...(t.monitoring.alertmanager.enabled ? ['alertmanager'] : []),
  ];
  const byService = new Map(containers.map((c) => [c.service, c]));
  const missing = expected.filter((s) => !byService.has(s));
  const dead = containers.filter((c) => c.state === 'exited' || c.state === 'dead');
  // Docker marks a container `unhealthy` whenever its health monitor stops, with no failed
  // healthcheck: on a pause, kept after `unpause` until the next healthcheck (up to 60 s at
  // rest), which is not a failure (the node's own probes below say whether it answers); and on
  // every stop, so a container restarting in a loop carries it too, which stays fatal.
  const pausedMark = (c: ContainerInfo) => c.health === 'unhealthy' && c.healthFailingStreak === 0 && (c.state === 'running' || c.state === 'paused');
  const unhealthy = containers.filter((c) => c.health === 'unhealthy' && !pausedMark(c));
  const marked = containers.filter(pausedMark);
  // A container whose healthcheck has not reported yet ("starting") is ready when it runs: the
  // checks below, probed from the host, are what says healthy. Container healthchecks run every
  // 60 s at rest and gate nothing; one that failed its healthchecks still fails at once.
  const notReady = containers.filter((c) => c.state !== 'running');
  const pending = containers.filter((c) => c.health === 'starting');
  if (missing.length) return { name: 'containers', ok: false, detail: `no container for ${missing.join(', ')}`, services: missing };
  if (dead.length) {
    return {
      name: 'containers',
      ok: false,
      fatal: true,
      detail: dead.map((c) => `${c.service} exited (code ${c.exitCode})`).join(', '),
      services: dead.map((c) => c.service),
    };
  }
  if (unhealthy.length) {
    return {
      name: 'containers',
      ok: false,
      fatal: true,
      detail: unhealthy.map((c) => `${c.service} is unhealthy`).join(', '),
      services: unhealthy.map((c) => c.service),
    };
  }
  if (notReady.length) {
    return {
      name: 'containers',
      ok: false,
      detail: notReady.map((c) => `${c.service} ${c.state}${c.health ? `/${c.health}` : ''}`).join(', '),
      services: notReady.map((c) => c.service),
    };
  }
  return {
    name: 'containers',
    ok: true,
    detail: `${containers.length} running${pending.length ? ` (${pending.length} before their first container healthcheck)` : marked.length ? '' : ' and healthy'}${
      marked.length ? `; ${marked.map((c) => c.service).join(', ')} marked unhealthy by Docker since a pause, no healthcheck failed (cleared at its next one)` : ''
    }`,
  };
}

/** Exactly one master; every other node linked to it; with `caughtUp`, at the master's offset. */
export function checkReplication(nodes: NodeStatus[], options: { caughtUp: boolean }): CheckResult {
  const down = nodes.filter((n) => !n.reachable);
  if (down.length) {
    return { name: 'replication', ok: false, detail: down.map((n) => `${n.service} unreachable (${n.error})`).join(', '), services: down.map((n) => n.service) };
  }
  const masters = nodes.filter((n) => n.role === 'master');
  if (masters.length !== 1) {
    return {
      name: 'replication',
      ok: false,
      detail: masters.length === 0 ? 'no node is master' : `${masters.length} masters: ${masters.map((m) => m.service).join(', ')}`,
      services: nodes.map((n) => n.service),
    };
  }
  const master = masters[0]!;
  const replicas = nodes.filter((n) => n !== master);
  const unlinked = replicas.filter((n) => !n.linkUp || n.master !== `${master.service}:6379`);
  if (unlinked.length) {
    return {
      name: 'replication',
      ok: false,
      detail: unlinked.map((n) => `${n.service} -> ${n.master ?? '?'} link ${n.linkUp ? 'up' : 'down'}`).join(', '),
      services: unlinked.map((n) => n.service),
    };
  }
  const behind = replicas.filter((n) => (n.lagBytes ?? 0) > 0);
  if (options.caughtUp && behind.length) {
    return {
      name: 'replication',
      ok: false,
      detail: behind.map((n) => `${n.service} ${n.lagBytes} bytes behind`).join(', '),
      services: behind.map((n) => n.service),
    };
  }
  return {
    name: 'replication',
    ok: true,
    detail: `master ${master.service}, ${replicas.length} replica(s) linked${options.caughtUp ? ' and caught up' : ''}`,
  };
}

export function checkSentinels(t: Topology, master: string | undefined, sentinels: SentinelStatus[]): CheckResult {
  const expectedReplicas = redisNodes(t)
    .map((n) => n.name)
    .filter((n) => n !== master)
    .sort();
  const problems: string[] = [];
  const services = new Set<string>();
  for (const s of sentinels) {
    const say = (p: string) => {
      problems.push(`${s.service} ${p}`);
      services.add(s.service);
    };
    if (!s.reachable) {
      say(`unreachable (${s.error})`);
      continue;
    }
    if (s.master !== master) say(`names ${s.master} as master`);
    // What Sentinel clients check before they use a master (redis-py's check_master_state).
    else if (/s_down|o_down/.test(s.masterFlags ?? '')) say(`flags the master ${s.masterFlags} (clients asking it find no master)`);
    const missing = expectedReplicas.filter((r) => !s.replicasOk?.includes(r));
    if (missing.length) say(`does not see replica(s) ${missing.join(', ')}`);
    if ((s.otherSentinels?.length ?? 0) < sentinels.length - 1) say(`sees ${s.otherSentinels?.length ?? 0} of ${sentinels.length - 1} other Sentinels`);
    if (!s.ckquorum?.ok) say(`CKQUORUM: ${s.ckquorum?.message}`);
  }
  if (problems.length) return { name: 'sentinels', ok: false, detail: problems.join('; '), services: [...services] };
  return {
    name: 'sentinels',
    ok: true,
    detail: `${sentinels.length} agree on ${master}, see ${expectedReplicas.length} replica(s) and each other; CKQUORUM OK`,
  };
}

/** HAProxy: writes must land on the master, reads on a replica. */
export function checkHaproxy(p: HaproxyProbe, master: string | undefined): { snapshot: NonNullable<StatusSnapshot['haproxy']>; check: CheckResult } {
  const snapshot: NonNullable<StatusSnapshot['haproxy']> = { reachable: p.reachable, servers: p.servers };
  if (!p.reachable) {
    snapshot.error = p.error;
    return { snapshot, check: { name: 'haproxy', ok: false, detail: `stats unreachable: ${p.error}`, services: ['haproxy'] } };
  }
  const problems: string[] = [];
  if (!p.write || 'error' in p.write) problems.push(`write port: ${p.write?.error ?? 'not asked'}`);
  else {
    snapshot.writeReaches = p.write.name;
    if (p.write.name !== master || p.write.role !== 'master') problems.push(`write port reaches ${p.write.name} (${p.write.role}), master is ${master}`);
  }
  if (!p.read || 'error' in p.read) problems.push(`read port: ${p.read?.error ?? 'not asked'}`);
  else {
    snapshot.readReaches = p.read.name;
    if (p.read.role !== 'slave') problems.push(`read port reaches ${p.read.name} (${p.read.role}), not a replica`);
  }
  if (problems.length) return { snapshot, check: { name: 'haproxy', ok: false, detail: problems.join('; '), services: ['haproxy'] } };
  return {
    snapshot,
    check: { name: 'haproxy', ok: true, detail: `writes -> ${snapshot.writeReaches}, reads -> ${snapshot.readReaches}` },
  };
}

/** The exporter: redis_up 1 for every node. */
export function checkExporter(p: ExporterProbe): { snapshot: NonNullable<StatusSnapshot['exporter']>; check: CheckResult } {
  const snapshot = { reachable: p.reachable, targets: p.targets };
  if (!p.reachable) return { snapshot, check: { name: 'exporter', ok: false, detail: `unreachable: ${p.error}`, services: ['exporter'] } };
  const down = p.targets.filter((r) => r.up !== 1);
  return {
    snapshot,
    check: down.length
      ? { name: 'exporter', ok: false, detail: `redis_up is not 1 for ${down.map((r) => r.target).join(', ')}`, services: ['exporter'] }
      : { name: 'exporter', ok: true, detail: `redis_up 1 for all ${p.targets.length} nodes` },
  };
}

/**
 * Prometheus: ready, and no target down (one not scraped yet is not a failure: the first scrape
 * of each comes within one scrape interval); with `alertmanager` (monitoring.alertmanager), it is
 * ready too. The alerts firing now are told, not judged: the other checks say what is wrong.
 *
 * `pathAnsweredAt`: when the path Prometheus scrapes through (HAProxy's stats port, the
 * exporter, every node) was just seen answering. A target whose failed scrape began before it
 * is stale, not down: Prometheus started with the nodes, scraped before they were up, and scrapes
 * again one interval later (15 s on the default profile). Waiting for that retry cost a deploy
 * ~3 s; the scrape path is proven by the exporter check instead, and the next scrape judges
 * the target again.
 */
export function checkMonitoring(p: PrometheusProbe, alertmanager?: AlertmanagerProbe, pathAnsweredAt?: Date): CheckResult {
  const fail = (detail: string, services = ['prometheus']): CheckResult => ({ name: 'monitoring', ok: false, detail, services });
  if (!p.reachable) return fail(`Prometheus unreachable: ${p.error}`);
  if (!p.ready) return fail('Prometheus is not ready yet (/-/ready)');
  const total = p.targets.up + p.targets.unknown + p.targets.down.length;
  const firing = `alerts firing: ${p.firing.length ? p.firing.join(', ') : 'none'}`;
  const alertmanagerDown = alertmanager && !alertmanager.ready ? `Alertmanager not ready (/-/ready: ${alertmanager.error ?? 'no answer'})` : undefined;
  const isStale = (d: PrometheusProbe['targets']['down'][number]) =>
    pathAnsweredAt !== undefined && d.lastScrape !== undefined && Date.parse(d.lastScrape) < pathAnsweredAt.getTime();
  const stale = p.targets.down.filter(isStale);
  const down = p.targets.down.filter((d) => !isStale(d));
  if (down.length) {
    return fail(
      `Prometheus: ${down.length} of ${total} targets down (${down.map((d) => `${d.instance}: ${d.error}`).join('; ')})${alertmanagerDown ? `; ${alertmanagerDown}` : ''}; ${firing}`,
      alertmanagerDown ? ['prometheus', 'alertmanager'] : ['prometheus'],
    );
  }
  const pending = [
    ...(p.targets.unknown ? [`${p.targets.unknown} not scraped yet`] : []),
    ...(stale.length ? [`${stale.length} failed only before the nodes answered`] : []),
  ];
  // Ready (its TSDB open, its config and rules loaded) before its targets are listed: Prometheus
  // hands discovered targets to its scrape manager on 5-second tickers, so the list stays empty for
  // 5-10 s after every start. Waiting for it cost each `deploy full` ~4 s and proved nothing the
  // exporter check does not (the scrape path answers); the first scrape judges them, `status` shows it.
  const up =
    total === 0
      ? 'Prometheus ready, its targets not listed yet (it lists them within 10 s of its start)'
      : `Prometheus ready, ${p.targets.up} of ${total} targets up${pending.length ? ` (${pending.join(', ')})` : ''}`;
  if (alertmanagerDown) return fail(`${alertmanagerDown}; ${up}; ${firing}`, ['alertmanager']);
  return { name: 'monitoring', ok: true, detail: `${up}${alertmanager ? '; Alertmanager ready' : ''}; ${firing}` };
}

/** A cluster's nodes as the node table shows them (replication state, lag behind their shard's master). */
function clusterNodeStatus(cluster: ClusterNodeState[]): NodeStatus[] {
  const offsetOf = new Map(cluster.map((n) => [n.myid, n.replication?.offset]));
  return cluster.map((n) => {
    const self = n.peers?.find((p) => p.flags.includes('myself'));
    const masterOffset = self?.masterId ? offsetOf.get(self.masterId) : undefined;
    const offset = n.replication?.offset;
    return {
      service: n.service,
      hostPort: n.hostPort,
      reachable: n.reachable,
      ...(n.error ? { error: n.error } : {}),
      ...n.replication,
      ...(masterOffset !== undefined && offset !== undefined ? { lagBytes: Math.max(0, masterOffset - offset) } : {}),
    };
  });
}

/** Every check, in the order deploy waits for them. */
export async function takeSnapshot(
  d: Deployment,
  containers: ContainerInfo[],
  options: { caughtUp: boolean; certificates?: { name: string; file: string; notAfter: string }[]; now?: Date },
): Promise<StatusSnapshot> {
  const t = d.topology;
  const checks: CheckResult[] = [checkContainers(t, containers)];
  let nodes: NodeStatus[];
  let shards: ShardStatus[] | undefined;
  if (t.cluster.enabled) {
    const cluster = await probeCluster(d);
    nodes = clusterNodeStatus(cluster);
    const { verdict, shards: seen } = checkCluster(t, cluster, options);
    checks.push({ name: 'cluster', ...verdict });
    shards = seen;
  } else {
    nodes = await probeNodes(d);
    checks.push(checkReplication(nodes, options));
  }
  // A cluster has one master per shard: no one master.
  const masters = nodes.filter((n) => n.role === 'master');
  const master = masters.length === 1 && !t.cluster.enabled ? masters[0]!.service : undefined;
  const sentinels = t.sentinel.enabled ? await probeSentinels(d) : [];
  const drift = findDrift(t, await probeDrift(d, Object.keys(renderedRedisSettings(t))));
  if (t.sentinel.enabled) checks.push(checkSentinels(t, master, sentinels));
  const snapshot: StatusSnapshot = {
    deployment: t.name,
    preset: t.preset,
    takenAt: new Date().toISOString(),
    healthy: false,
    master,
    containers: containers.map((c) => ({ service: c.service, state: c.state, health: c.health, ...(c.node ? { node: c.node } : {}) })),
    containerHealthcheckIntervalMs: t.target === 'swarm' ? null : t.healthcheckIntervalMs,
    nodes,
    ...(shards ? { shards } : {}),
    sentinels,
    natMap: natMap(t, hostsOf(d)),
    drift,
    checks,
  };
  const crowded = shards ? crowdedMasterHosts(shards, containers) : [];
  if (crowded.length) snapshot.warnings = crowded;
  if (t.haproxy.enabled) {
    const { snapshot: h, check } = checkHaproxy(await probeHaproxy(d), master);
    snapshot.haproxy = h;
    checks.push(check);
  }
  // When the scrape path last answered for every node (HAProxy's stats port -> exporter -> node),
  // every check before it passing (the Sentinels answered too).
  let pathAnsweredAt: Date | undefined;
  if (t.exporter.enabled) {
    const probedAt = new Date();
    const { snapshot: e, check } = checkExporter(await probeExporter(d));
    snapshot.exporter = e;
    checks.push(check);
    if (checks.every((c) => c.ok)) pathAnsweredAt = probedAt;
  }
  if (t.monitoring.enabled) {
    const [p, alertmanager] = await Promise.all([probePrometheus(d), t.monitoring.alertmanager.enabled ? probeAlertmanager(d) : undefined]);
    snapshot.monitoring = {
      address: `http://${addressOf(d, 'prometheus')}:${t.monitoring.prometheus.port}`,
      ...(alertmanager ? { alertmanagerAddress: `http://${addressOf(d, 'alertmanager')}:${t.monitoring.alertmanager.port}`, alertmanager } : {}),
      ...p,
    };
    checks.push(checkMonitoring(p, alertmanager, pathAnsweredAt));
  }
  checks.push(checkDrift(drift));
  if (options.certificates?.length) {
    const { certificates, check } = checkCertificates(options.certificates, options.now);
    snapshot.certificates = certificates;
    checks.push(check);
  }
  snapshot.healthy = checks.every((c) => c.ok);
  return snapshot;
}
