// The verdict on a Redis Cluster (the cluster preset) from what its nodes say (probes/cluster.ts):
// every node reachable and seeing every other, every slot covered, cluster_state:ok on every
// node, one slot map and one epoch everywhere, each shard's replicas linked (and caught up).
import type { Deployment } from '../deployment.js';
import { CLUSTER_SLOTS, clusterShards } from '../model/cluster.js';
import type { Topology } from '../model/schema.js';
import { probeCluster, type ClusterNodeState, type ClusterPeer } from '../probes/cluster.js';

/** One shard as the cluster serves it now. */
export interface ShardStatus {
  /** "0-5460" (several ranges: "0-10 20-30"). */
  slots: string;
  master: string;
  replicas: { service: string; linkUp: boolean; lagBytes?: number }[];
}

const ranges = (p: ClusterPeer) => p.slots.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(' ');
const isDown = (p: ClusterPeer) => p.flags.some((f) => f === 'fail' || f === 'fail?' || f === 'handshake' || f === 'noaddr');

/** The slot map a node sees: each master serving slots, by service name, in slot order. */
export function slotMap(view: ClusterPeer[], serviceOf: (id: string) => string): string {
  return view
    .filter((p) => p.slots.length && p.flags.includes('master'))
    .sort((a, b) => a.slots[0]![0] - b.slots[0]![0])
    .map((p) => `${ranges(p)}=${serviceOf(p.id)}`)
    .join(', ');
}

/** The shards as `view` (one node's CLUSTER NODES) shows them, with each replica's own link state from `nodes`. */
export function shardsOf(view: ClusterPeer[], nodes: ClusterNodeState[], serviceOf: (id: string) => string): ShardStatus[] {
  const byId = new Map(nodes.filter((n) => n.myid).map((n) => [n.myid!, n]));
  return view
    .filter((p) => p.slots.length && p.flags.includes('master'))
    .sort((a, b) => a.slots[0]![0] - b.slots[0]![0])
    .map((m) => {
      const masterOffset = byId.get(m.id)?.replication?.offset;
      return {
        slots: ranges(m),
        master: serviceOf(m.id),
        replicas: view
          .filter((p) => p.masterId === m.id)
          .map((r) => {
            const own = byId.get(r.id)?.replication;
            const lag = own?.offset !== undefined && masterOffset !== undefined ? Math.max(0, masterOffset - own.offset) : undefined;
            return { service: serviceOf(r.id), linkUp: own?.role === 'slave' && own.linkUp === true, ...(lag !== undefined ? { lagBytes: lag } : {}) };
          })
          .sort((a, b) => a.service.localeCompare(b.service, 'en', { numeric: true })),
      };
    });
}

/** The verdict of the cluster check (status.ts names it `cluster`). */
export interface ClusterVerdict {
  ok: boolean;
  detail: string;
  services?: string[];
}

/**
 * The cluster check, and the shards as the first node that answers sees them (for status: a
 * failover shows there while the failed node is still down).
 */
export function checkCluster(t: Topology, nodes: ClusterNodeState[], options: { caughtUp: boolean; shape?: boolean }): { verdict: ClusterVerdict; shards: ShardStatus[] } {
  const up = nodes.filter((n) => n.reachable);
  const down = nodes.filter((n) => !n.reachable);
  const first = up[0];
  if (!first) return { verdict: { ok: false, detail: down.map((n) => `${n.service} unreachable (${n.error})`).join(', '), services: down.map((n) => n.service) }, shards: [] };
  // Node ids: each answering node's own; a node that does not answer by the name it announced.
  const names = new Map(up.map((n) => [n.myid!, n.service]));
  const downNames = new Set(down.map((n) => n.service));
  for (const p of first.peers ?? []) if (p.hostname && downNames.has(p.hostname) && !names.has(p.id)) names.set(p.id, p.hostname);
  const serviceOf = (id: string) => names.get(id) ?? `unknown node ${id.slice(0, 8)}`;
  const shards = shardsOf(first.peers ?? [], nodes, serviceOf);

  const problems: string[] = [];
  const services = new Set<string>();
  const say = (service: string, p: string) => {
    problems.push(`${service} ${p}`);
    services.add(service);
  };
  for (const n of down) say(n.service, `unreachable (${n.error})`);
  for (const n of up) {
    const info = n.info!;
    const peers = (n.peers ?? []).filter((p) => !p.flags.includes('myself'));
    const unknown = up.filter((o) => o !== n && !peers.some((p) => p.id === o.myid));
    if (unknown.length) say(n.service, `does not know ${unknown.map((o) => o.service).join(', ')} (knows ${info.knownNodes} of ${nodes.length} nodes)`);
    const strangers = peers.filter((p) => !names.has(p.id));
    if (strangers.length) say(n.service, `knows ${strangers.length} node(s) that are not in this deployment`);
    const unwell = peers.filter((p) => names.has(p.id) && (isDown(p) || !p.connected));
    if (unwell.length) say(n.service, `sees ${unwell.map((p) => `${serviceOf(p.id)} ${p.connected ? p.flags.filter((f) => f !== 'master' && f !== 'slave').join(',') : 'disconnected'}`).join(', ')}`);
    if (info.state !== 'ok') say(n.service, `cluster_state:${info.state}`);
    if (info.slotsOk !== CLUSTER_SLOTS) say(n.service, `serves ${info.slotsOk} of ${CLUSTER_SLOTS} slots (${info.slotsAssigned} assigned)`);
  }
  const maps = new Map(up.map((n) => [n.service, slotMap(n.peers ?? [], serviceOf)]));
  const firstMap = maps.get(first.service)!;
  const disagree = up.filter((n) => maps.get(n.service) !== firstMap);
  for (const n of disagree) say(n.service, `sees the slot map ${maps.get(n.service) || '(no slots)'}, ${first.service} sees ${firstMap || '(no slots)'}`);
  const epochs = new Set(up.map((n) => n.info!.currentEpoch));
  if (epochs.size > 1) problems.push(`the nodes disagree on the current epoch (${up.map((n) => `${n.service} ${n.info!.currentEpoch}`).join(', ')})`);
  // shape: false while shards are added or removed (the counts are the topology's only afterwards).
  const shape = options.shape !== false;
  if (shape && shards.length !== t.cluster.shards) say(first.service, `sees ${shards.length} shard(s) serving slots, the topology has ${t.cluster.shards}`);
  for (const s of shards) {
    if (shape && s.replicas.length !== t.cluster.replicasPerShard) say(s.master, `has ${s.replicas.length} replica(s), the topology has ${t.cluster.replicasPerShard} per shard`);
    for (const r of s.replicas) {
      if (!r.linkUp) say(r.service, `replication link to ${s.master} is down`);
      else if (options.caughtUp && (r.lagBytes ?? 0) > 0) say(r.service, `${r.lagBytes} bytes behind ${s.master}`);
    }
  }
  if (problems.length) return { verdict: { ok: false, detail: problems.join('; '), services: [...services] }, shards };
  const replicas = shards.reduce((a, s) => a + s.replicas.length, 0);
  return {
    verdict: {
      ok: true,
      detail: `cluster_state:ok on all ${nodes.length} nodes, ${CLUSTER_SLOTS} slots covered by ${shards.length} masters (${shards.map((s) => s.master).join(', ')}), one slot map and epoch, ${replicas} replica(s) linked${options.caughtUp ? ' and caught up' : ''}`,
    },
    shards,
  };
}

/**
 * The shards as the cluster serves them now (a reshard moves slots away from the creation plan's
 * ranges); the creation plan when the cluster cannot be read (the operation that follows then
 * says why it stops).
 */
export async function liveShardsOrPlan(d: Deployment): Promise<ShardStatus[]> {
  const live = checkCluster(d.topology, await probeCluster(d), { caughtUp: false }).shards;
  if (live.length) return live;
  return clusterShards(d.topology).map((p) => ({ slots: `${p.slots[0]}-${p.slots[1]}`, master: p.master, replicas: p.replicas.map((service) => ({ service, linkUp: true })) }));
}

/**
 * Swarm hosts that run more than one shard's master, each with a warning: losing such a host
 * takes several masters at once, and without a majority of the masters left no replica can be
 * elected (failovers can gather masters on one host). Empty on compose (one host, nothing to
 * spread) or when every master is alone on its host. Pure.
 */
export function crowdedMasterHosts(shards: readonly ShardStatus[], containers: readonly { service: string; node?: string }[]): string[] {
  const nodeOf = new Map(containers.flatMap((c) => (c.node ? [[c.service, c.node] as const] : [])));
  const byHost = new Map<string, { shard: number; master: string }[]>();
  shards.forEach((s, i) => {
    const host = nodeOf.get(s.master);
    if (host) byHost.set(host, [...(byHost.get(host) ?? []), { shard: i + 1, master: s.master }]);
  });
  const total = shards.length;
  return [...byHost]
    .filter(([, masters]) => masters.length > 1)
    .map(([host, masters]) => {
      const names = masters.map((m) => `${m.master} (shard ${m.shard})`).join(', ');
      const majority = total - masters.length < Math.floor(total / 2) + 1;
      return `${host} runs ${masters.length} masters: ${names}; losing that host ${majority ? 'leaves no majority of masters, so no replica could be elected' : 'fails them over together'}. \`redis-ha switchover --shard ${masters[1]!.shard}\` moves one to its replica on another host`;
    });
}
