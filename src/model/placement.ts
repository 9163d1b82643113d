// Where each service of a topology runs on a Docker Swarm, and what one host failure takes
// down. Pure: the node count comes from the topology (`swarm.nodes`, `swarm.expectNodes`) or
// from the engine, through the caller (deploy knows it only after asking the manager).
//
// redis-i and sentinel-i keep state in a node-local volume, so each is pinned to one node:
// slot i goes to node (i - 1) mod N, so with N >= max(redis nodes, Sentinels) every redis-i
// is on its own node and every Sentinel too. Prometheus, Alertmanager and Grafana (monitoring)
// keep theirs too: pinned to the last node, away from the first master (redis-1, node 1), so
// that losing the master's host leaves the Prometheus that reports it. HAProxy and the exporter
// are stateless and float.
import { clusterNodeCount } from './cluster.js';
import { redisNodes, sentinelNodes } from './nodes.js';
import type { Problem } from './problems.js';
import type { Topology } from './schema.js';

/**
 * The node label that pins `service` (redis-i or sentinel-i) of deployment `name`, when the
 * topology names no nodes: `io.redis-ha.<name>.<service>=true`, set by redis-ha on the first
 * deploy and removed by cleanup. One key per service, so one node may hold several.
 */
export const placementLabel = (name: string, service: string) => `io.redis-ha.${name}.${service}`;
export const PLACEMENT_LABEL_VALUE = 'true';

/** The monitoring services of `t` (each keeps data in a volume). */
export function monitoringServices(t: Topology): string[] {
  if (!t.monitoring.enabled) return [];
  return ['prometheus', ...(t.monitoring.alertmanager.enabled ? ['alertmanager'] : []), ...(t.monitoring.grafana.enabled ? ['grafana'] : [])];
}
const MONITORING = new Set(['prometheus', 'alertmanager', 'grafana']);

/** The services pinned to one node each: every redis-i, every sentinel-i, then monitoring's. */
export function pinnedServices(t: Topology): string[] {
  return [...[...redisNodes(t), ...sentinelNodes(t)].map((n) => n.name), ...monitoringServices(t)];
}

/**
 * 0-based node slot of a pinned service: redis-i and sentinel-i both go to slot (i - 1) mod
 * nodeCount; monitoring's to the last node. A cluster's replicas (model/cluster.ts: redis-1..S
 * masters, then the replicas round-robin) go one node further than their master's when there
 * are fewer nodes than Redis nodes, so a shard's master and replica never share a host (with 2
 * nodes or more); with enough nodes every Redis node has its own.
 */
export function nodeSlot(service: string, nodeCount: number, t?: Pick<Topology, 'cluster'>): number {
  if (MONITORING.has(service)) return nodeCount - 1;
  const index = Number(/-(\d+)$/.exec(service)?.[1]);
  if (!Number.isInteger(index) || index < 1) throw new Error(`placement: "${service}" is not a pinned service (redis-i, sentinel-i)`);
  if (t?.cluster.enabled && service.startsWith('redis-') && index > t.cluster.shards && nodeCount < clusterNodeCount(t)) {
    const k = index - t.cluster.shards - 1;
    const shard = k % t.cluster.shards;
    const replica = Math.floor(k / t.cluster.shards);
    return (shard + replica + 1) % nodeCount;
  }
  return (index - 1) % nodeCount;
}

/** The Swarm placement constraint that pins `service`: a named node, else redis-ha's node label. */
export function placementConstraint(t: Topology, service: string): string {
  const nodes = t.swarm.nodes;
  if (nodes) return `node.hostname == ${nodes[nodeSlot(service, nodes.length, t)]}`;
  return `node.labels.${placementLabel(t.name, service)} == ${PLACEMENT_LABEL_VALUE}`;
}

/**
 * The labels redis-ha sets on the first deploy when the topology names no nodes: node name ->
 * label keys. `nodeNames` in the order the caller chose (e.g. sorted hostnames of the ready,
 * active nodes); a later deploy must keep the labels where they are (the volumes are there).
 */
export function placementLabels(t: Topology, nodeNames: string[]): Map<string, string[]> {
  if (nodeNames.length === 0) throw new Error('placement: no nodes to place the services on');
  const labels = new Map(nodeNames.map((n) => [n, [] as string[]]));
  for (const service of pinnedServices(t)) {
    labels.get(nodeNames[nodeSlot(service, nodeNames.length, t)]!)!.push(placementLabel(t.name, service));
  }
  return labels;
}

/** Nodes needed so that no node holds two Redis nodes, two Sentinels or two HAProxies. */
export function nodesForHostHa(t: Topology): number {
  return Math.max(
    t.replicas + 1,
    t.sentinel.enabled ? t.sentinel.count : 0,
    t.haproxy.enabled ? t.swarm.haproxyReplicas : 0,
  );
}

/** What losing one node takes down, and what that means for clients. */
export interface NodeLoss {
  /** The node's hostname when the topology names it, else `node <k>` (1-based slot). */
  node: string;
  /** Services that stop with the node (pinned ones; floating HAProxy / exporter move). */
  lost: string[];
  /** Consequences for clients; empty when the rest carries on. */
  consequences: string[];
}

const majority = (n: number) => Math.floor(n / 2) + 1;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** For each node, what stops when that one host fails. */
export function nodeLosses(t: Topology, nodeCount: number, nodeNames?: string[]): NodeLoss[] {
  if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error(`placement: node count ${nodeCount} is not a positive integer`);
  const redis = redisNodes(t).map((n) => n.name);
  const sentinels = sentinelNodes(t).map((n) => n.name);
  // A failover needs `quorum` Sentinels to agree the master is down and a majority to elect a leader.
  const sentinelsNeeded = Math.max(t.sentinel.quorum, majority(sentinels.length));

  return Array.from({ length: nodeCount }, (_, slot) => {
    const on = (service: string) => nodeSlot(service, nodeCount, t) === slot;
    const lostRedis = redis.filter(on);
    const lostSentinels = sentinels.filter(on);
    const leftRedis = redis.length - lostRedis.length;
    const leftSentinels = sentinels.length - lostSentinels.length;
    const consequences: string[] = [];
    if (leftRedis === 0) {
      consequences.push('every Redis node: no reads or writes until the host is back');
    } else {
      if (t.sentinel.enabled && lostRedis.length > 0 && leftSentinels < sentinelsNeeded) {
        consequences.push(
          `no automatic failover if the master is among them: ${leftSentinels} of ${plural(sentinels.length, 'Sentinel')} left, a failover needs ${sentinelsNeeded}`,
        );
      }
      if (lostRedis.length > 0 && leftRedis - 1 < t.redis.minReplicasToWrite) {
        consequences.push(
          `writes refused: ${plural(leftRedis, 'Redis node')} left, and the master needs ${plural(t.redis.minReplicasToWrite, 'replica')} (redis.minReplicasToWrite)`,
        );
      }
    }
    // HAProxy floats: swarm restarts a lost replica on a node that has none yet, if there is one.
    if (t.haproxy.enabled && Math.min(t.swarm.haproxyReplicas, nodeCount - 1) === 0) {
      consequences.push('no HAProxy: its write and read ports are gone');
    }
    return {
      node: nodeNames?.[slot] ?? `node ${slot + 1}`,
      lost: [...lostRedis, ...lostSentinels],
      consequences,
    };
  });
}

/**
 * The host-failure warnings for a swarm of `nodeCount` nodes: one per node whose loss leaves
 * clients worse off than a failover, naming what it takes down. Empty on enough nodes.
 * Deploy calls this with the real node count; the rules with `swarm.nodes` / `swarm.expectNodes`.
 */
export function hostFailureImpact(t: Topology, nodeCount: number, nodeNames?: string[], path = 'swarm'): Problem[] {
  const needed = nodesForHostHa(t);
  return nodeLosses(t, nodeCount, nodeNames)
    .filter((loss) => loss.consequences.length > 0)
    .map((loss) => ({
      severity: 'warning' as const,
      path,
      message: `on ${plural(nodeCount, 'node')}, losing ${loss.node}${loss.lost.length ? ` (${loss.lost.join(', ')})` : ''} means ${loss.consequences.join('; ')}`,
      hint:
        nodeCount < needed
          ? `use at least ${needed} nodes (one per Redis node${t.sentinel.enabled ? ', per Sentinel' : ''}${t.haproxy.enabled ? ', per HAProxy replica' : ''})`
          : 'add nodes, or lower redis.minReplicasToWrite',
    }));
}
