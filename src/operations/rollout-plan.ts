// What a deploy onto a live deployment changes, and in which order (pure, no I/O): from the
// rendered config hashes against the live containers' labels, the master, the Sentinels'
// live settings and the hash of the config HAProxy loaded. One node at a time, replicas
// first, then Sentinels, then the master (a switchover first); scaling adds before anything
// else and removes last, then resets every Sentinel so that it forgets what was removed.
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { ScalePlan } from './cluster-scale-plan.js';

export interface LiveService {
  service: string;
  /** The io.redis-ha.config-hash label of its container. */
  configHash?: string;
}

export interface RolloutInput {
  /** The topology just rendered. */
  topology: Topology;
  /** service -> config hash label in the rendered compose file. */
  renderedHashes: Record<string, string>;
  /** The deployment's containers now. */
  live: LiveService[];
  /** The current master (by a majority of Sentinels, else by its own ROLE); undefined when none is known. */
  master?: string;
  /** Per Sentinel: its settings as SENTINEL MASTER reports them (undefined when it did not answer). */
  sentinelSettings: { service: string; settings?: Record<string, string> }[];
  /** The rendered Sentinel settings (SENTINEL SET names and values). */
  renderedSentinelSettings: Record<string, string>;
  /** HAProxy: the hash of the config it serves (undefined: none served) and the rendered one. */
  haproxyLoadedHash?: string;
  haproxyRenderedHash?: string;
}

export type RolloutStep =
  /** A service the deployment did not run: created (up --no-deps). */
  | { kind: 'add'; service: string; role: 'replica' | 'sentinel' | 'haproxy' | 'exporter' | 'alertmanager' | 'prometheus' | 'grafana' }
  /** Re-created one at a time; the master only after a switchover away from it. */
  | { kind: 'recreate'; service: string; role: 'replica' | 'sentinel' | 'master' | 'haproxy' | 'exporter' | 'alertmanager' | 'prometheus' | 'grafana' }
  /** SENTINEL SET on each Sentinel whose settings differ (no restart). */
  | { kind: 'sentinel-settings'; changes: { service: string; settings: Record<string, string> }[] }
  /** A planned master change; `avoid`: nodes about to be removed, never promoted. */
  | { kind: 'switchover'; from: string; avoid: string[]; reason: string }
  /** Removed containers (and their data) of nodes the topology no longer has. */
  | { kind: 'remove'; services: string[] }
  /** Cluster: shards added or removed, slots moved to even the shares (operations/cluster-scale.ts). */
  | { kind: 'cluster-scale'; from: number; to: number; start: string[]; remove: string[] }
  /** Cluster: CLUSTER FAILOVER on a replica of the shard `from` is the master of (Redis's coordinated manual failover). */
  | { kind: 'cluster-failover'; from: string; reason: string }
  /** SENTINEL RESET on each Sentinel, one at a time, waiting until it has re-learnt. */
  | { kind: 'reset-sentinels'; forget: string[] }
  /** Master-worker reload of HAProxy with its new config: no connection dropped. */
  | { kind: 'haproxy-reload' };

export interface RolloutPlan {
  steps: RolloutStep[];
  /** Redis nodes and Sentinels the deployment runs during the rollout (the union of old and new). */
  replicas: number;
  sentinels: number;
}

const index = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1));
const byIndex = (a: string, b: string) => index(a) - index(b);

export function planRollout(input: RolloutInput): RolloutPlan {
  const t = input.topology;
  const liveHash = new Map(input.live.map((l) => [l.service, l.configHash]));
  const liveRedis = input.live.map((l) => l.service).filter((s) => /^redis-\d+$/.test(s)).sort(byIndex);
  const liveSentinels = input.live.map((l) => l.service).filter((s) => /^sentinel-\d+$/.test(s)).sort(byIndex);
  const wantedRedis = redisNodes(t).map((n) => n.name);
  const wantedSentinels = sentinelNodes(t).map((n) => n.name);
  const isLive = (s: string) => liveHash.has(s);
  const changed = (s: string) => isLive(s) && liveHash.get(s) !== input.renderedHashes[s];
  const steps: RolloutStep[] = [];

  // 1. New replicas first: they attach to the master and give a later switchover more choice.
  for (const s of wantedRedis.filter((n) => !isLive(n))) steps.push({ kind: 'add', service: s, role: 'replica' });
  // 2. Changed replicas, one at a time (the master is handled last).
  for (const s of wantedRedis.filter((n) => n !== input.master && changed(n))) steps.push({ kind: 'recreate', service: s, role: 'replica' });
  // 3. New Sentinels (the others learn them from their hello messages).
  for (const s of wantedSentinels.filter((n) => !isLive(n))) steps.push({ kind: 'add', service: s, role: 'sentinel' });
  // 4. Settings a Sentinel takes live, while every Sentinel (old and new) runs: a quorum that
  //    shrinks is set before Sentinels go away, one that grows after they came.
  const changes = input.sentinelSettings
    .filter((s) => s.settings && wantedSentinels.includes(s.service))
    .map((s) => ({
      service: s.service,
      settings: Object.fromEntries(Object.entries(input.renderedSentinelSettings).filter(([k, v]) => s.settings![k] !== v)),
    }))
    .filter((c) => Object.keys(c.settings).length > 0);
  if (changes.length) steps.push({ kind: 'sentinel-settings', changes });
  // 5. Changed Sentinels, one at a time.
  for (const s of wantedSentinels.filter(changed)) steps.push({ kind: 'recreate', service: s, role: 'sentinel' });
  // 6. The master: switch away first (when it changes or goes), then re-create it as a replica.
  const removedRedis = liveRedis.filter((n) => !wantedRedis.includes(n));
  if (input.master && (changed(input.master) || removedRedis.includes(input.master))) {
    const going = removedRedis.includes(input.master);
    if (t.sentinel.enabled) {
      steps.push({
        kind: 'switchover',
        from: input.master,
        avoid: removedRedis,
        reason: going ? `${input.master} is removed (replicas: ${t.replicas})` : `${input.master} runs an old config`,
      });
    }
    if (!going) steps.push({ kind: 'recreate', service: input.master, role: 'master' });
  }
  // 7. Scale down: remove what the topology no longer has, then make every Sentinel forget it.
  const removedSentinels = liveSentinels.filter((n) => !wantedSentinels.includes(n));
  const removed = [...removedRedis, ...removedSentinels];
  if (removed.length) steps.push({ kind: 'remove', services: removed });
  if (removed.length && wantedSentinels.length) steps.push({ kind: 'reset-sentinels', forget: removed });
  // 8. HAProxy, the exporter, Alertmanager and Prometheus: re-created for a new image or definition
  // (Prometheus also for a new prometheus.yml or alerts.yml: a scaled deployment has other targets;
  // Alertmanager for a new alertmanager.yml; Grafana for new provisioning files); HAProxy reloads a
  // new config. Alertmanager before Prometheus, so that a Prometheus re-created to send it alerts
  // finds it there; Grafana last, after the Prometheus it reads.
  steps.push(...otherSteps(input, isLive, changed));
  return {
    steps,
    replicas: Math.max(wantedRedis.length, liveRedis.length) - 1,
    sentinels: Math.max(wantedSentinels.length, liveSentinels.length),
  };
}

/** HAProxy, the exporter, Alertmanager, Prometheus and Grafana: added, re-created, reloaded or removed. */
function otherSteps(input: Pick<RolloutInput, 'topology' | 'haproxyLoadedHash' | 'haproxyRenderedHash'>, isLive: (s: string) => boolean, changed: (s: string) => boolean): RolloutStep[] {
  const t = input.topology;
  const steps: RolloutStep[] = [];
  const others = [
    ['haproxy', t.haproxy.enabled],
    ['exporter', t.exporter.enabled],
    ['alertmanager', t.monitoring.alertmanager.enabled],
    ['prometheus', t.monitoring.enabled],
    ['grafana', t.monitoring.grafana.enabled],
  ] as const;
  for (const [service, enabled] of others) {
    if (!enabled) continue;
    if (!isLive(service)) steps.push({ kind: 'add', service, role: service });
    else if (changed(service)) steps.push({ kind: 'recreate', service, role: service });
    else if (service === 'haproxy' && input.haproxyLoadedHash !== input.haproxyRenderedHash) steps.push({ kind: 'haproxy-reload' });
  }
  for (const [service, enabled] of others) if (!enabled && isLive(service)) steps.push({ kind: 'remove', services: [service] });
  return steps;
}

export interface ClusterRolloutInput {
  topology: Topology;
  renderedHashes: Record<string, string>;
  live: LiveService[];
  /** The nodes that serve slots now (each shard's master, as the cluster says). */
  masters: string[];
  /** When the topology has another number of shards: what the scale does (cluster-scale-plan.ts). */
  scale?: Pick<ScalePlan, 'start' | 'remove'> & { from: number };
}

/**
 * A cluster's rolling deploy: every changed replica first, one at a time (its shard keeps its
 * master); then each changed master, one at a time: CLUSTER FAILOVER to one of its replicas
 * first, then re-created (it comes back as that replica's replica: its nodes.conf in its
 * volume keeps its identity); then the exporter and monitoring. Another number of shards comes
 * first: new shards added (or shards drained and removed) with the slots moved to even shares,
 * so that the nodes rolled afterwards are the ones that stay. Another number of replicas per
 * shard is refused before (deploy.ts).
 */
export function planClusterRollout(input: ClusterRolloutInput): RolloutPlan {
  const liveHash = new Map(input.live.map((l) => [l.service, l.configHash]));
  const isLive = (s: string) => liveHash.has(s);
  const changed = (s: string) => isLive(s) && liveHash.get(s) !== input.renderedHashes[s];
  const nodes = redisNodes(input.topology).map((n) => n.name);
  const steps: RolloutStep[] = [];
  if (input.scale) steps.push({ kind: 'cluster-scale', from: input.scale.from, to: input.topology.cluster.shards, start: input.scale.start, remove: input.scale.remove });
  for (const s of nodes.filter((n) => !input.masters.includes(n) && changed(n))) steps.push({ kind: 'recreate', service: s, role: 'replica' });
  for (const s of nodes.filter((n) => input.masters.includes(n) && changed(n))) {
    if (input.topology.cluster.replicasPerShard > 0) steps.push({ kind: 'cluster-failover', from: s, reason: `${s} runs an old config` });
    steps.push({ kind: 'recreate', service: s, role: 'master' });
  }
  steps.push(...otherSteps({ topology: input.topology }, isLive, changed));
  return { steps, replicas: nodes.length - 1, sentinels: 0 };
}

/** Every Redis node and Sentinel restarted the rolling way (test-failover's rolling-restart). */
export function planRollingRestart(t: Topology, master: string): RolloutPlan {
  const replicas = redisNodes(t).map((n) => n.name).filter((n) => n !== master);
  const steps: RolloutStep[] = [
    ...replicas.map((service): RolloutStep => ({ kind: 'recreate', service, role: 'replica' })),
    ...sentinelNodes(t).map((n): RolloutStep => ({ kind: 'recreate', service: n.name, role: 'sentinel' })),
    ...(t.sentinel.enabled ? [{ kind: 'switchover', from: master, avoid: [], reason: 'restarting it' } satisfies RolloutStep] : []),
    { kind: 'recreate', service: master, role: 'master' },
  ];
  return { steps, replicas: t.replicas, sentinels: sentinelNodes(t).length };
}

/** One line per step, for the task list and the JSON result. */
export function describeStep(s: RolloutStep): string {
  switch (s.kind) {
    case 'add':
      return `add ${s.service} (new ${s.role})`;
    case 'recreate':
      return s.role === 'master' ? `re-create ${s.service} (the old master) as a replica` : `re-create ${s.service} (${s.role})`;
    case 'sentinel-settings':
      return `SENTINEL SET ${[...new Set(s.changes.flatMap((c) => Object.entries(c.settings).map(([k, v]) => `${k} ${v}`)))].join(', ')} on ${s.changes.map((c) => c.service).join(', ')}`;
    case 'switchover':
      return `switchover away from ${s.from} (${s.reason})`;
    case 'cluster-failover':
      return `CLUSTER FAILOVER away from ${s.from} to a replica of its shard (${s.reason})`;
    case 'cluster-scale':
      return `${s.to === s.from ? `finish the change to ${s.to} shards` : `${s.to > s.from ? 'add' : 'remove'} ${Math.abs(s.to - s.from)} shard(s) (${s.from} -> ${s.to})`}${s.start.length ? `: start ${s.start.join(', ')}` : ''}, move slots to even shares${s.remove.length ? `, then remove ${s.remove.join(', ')}` : ''}`;
    case 'remove':
      return `remove ${s.services.join(', ')}`;
    case 'reset-sentinels':
      return `SENTINEL RESET on each Sentinel, one at a time (forget ${s.forget.join(', ')})`;
    case 'haproxy-reload':
      return 'reload HAProxy with its new config (master-worker, no connection dropped)';
  }
}

/** The services a step re-creates or adds: what still runs the old config if it is not done. */
export function stepServices(s: RolloutStep): string[] {
  if (s.kind === 'add' || s.kind === 'recreate') return [s.service];
  if (s.kind === 'sentinel-settings') return s.changes.map((c) => c.service);
  if (s.kind === 'haproxy-reload') return ['haproxy'];
  if (s.kind === 'remove') return s.services;
  if (s.kind === 'cluster-scale') return [...s.start, ...s.remove];
  return [];
}
