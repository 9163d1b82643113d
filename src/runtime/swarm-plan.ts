// Pure decisions of a swarm deploy: which nodes count, which placement labels to add, which node
// runs each pinned service, and how a service's published ports are reached from the host.
import { nodeSlot, pinnedServices, placementLabel, placementLabels } from '../model/placement.js';
import type { Topology } from '../model/schema.js';
import type { MultiNodeEngine, SwarmNode } from './runtime.js';

/** Nodes that take tasks: Ready and Active. */
export const availableNodes = (nodes: SwarmNode[]) => nodes.filter((n) => n.state === 'ready' && n.availability === 'active');

/** Pinned service -> the node it is (or stays) pinned to, from the labels already set or swarm.nodes. */
export function pinnedNodes(t: Topology, nodes: SwarmNode[]): Record<string, string> {
  const pinned: Record<string, string> = {};
  const named = t.swarm.nodes;
  for (const service of pinnedServices(t)) {
    if (named) {
      pinned[service] = named[nodeSlot(service, named.length, t)]!;
      continue;
    }
    const holder = nodes.find((n) => n.labels[placementLabel(t.name, service)] !== undefined);
    if (holder) pinned[service] = holder.hostname;
  }
  return pinned;
}

export interface LabelPlan {
  /** node -> label keys to add (services that carry no label yet). */
  add: Map<string, string[]>;
  /** Every pinned service -> its node, after the plan is applied. */
  pinned: Record<string, string>;
  /** Why the deployment cannot be placed (a named node missing, a label on a node that is gone). */
  problems: string[];
}

/**
 * Labels to set on a deploy: a service already labelled keeps its node (its volume is there);
 * the others go where placementLabels() puts them over the available nodes, by hostname. With
 * `swarm.nodes` nothing is labelled; every named node must be available.
 */
export function planLabels(t: Topology, nodes: SwarmNode[]): LabelPlan {
  const available = availableNodes(nodes).map((n) => n.hostname);
  const problems: string[] = [];
  const pinned = pinnedNodes(t, nodes);
  const add = new Map<string, string[]>();
  if (t.swarm.nodes) {
    for (const node of new Set(t.swarm.nodes)) {
      if (!nodes.some((n) => n.hostname === node)) problems.push(`swarm.nodes names ${node}, which is not a node of this swarm (${nodes.map((n) => n.hostname).join(', ')})`);
      else if (!available.includes(node)) problems.push(`node ${node} (swarm.nodes) is not ready and active`);
    }
    return { add, pinned, problems };
  }
  for (const [service, node] of Object.entries(pinned)) {
    if (!available.includes(node)) problems.push(`${service} is pinned to node ${node} (label ${placementLabel(t.name, service)}), which is not ready and active: its data is there`);
  }
  if (!available.length) return { add, pinned, problems: [...problems, 'no node is ready and active'] };
  const fresh = placementLabels(t, available);
  for (const [node, keys] of fresh) {
    for (const key of keys) {
      const service = key.slice(placementLabel(t.name, '').length);
      if (pinned[service]) continue;
      pinned[service] = node;
      add.set(node, [...(add.get(node) ?? []), key]);
    }
  }
  return { add, pinned, problems };
}

/**
 * The host-side address of each service: a pinned one's node, a floating one's (HAProxy, the
 * exporter) first node running it now, else the first available node. Node address from
 * `docker node inspect` (Status.Addr).
 */
export function serviceAddresses(
  pinned: Record<string, string>,
  nodes: SwarmNode[],
  running: (service: string) => string[],
): (service: string) => string {
  const address = new Map(nodes.map((n) => [n.hostname, n.address]));
  const fallback = availableNodes(nodes)[0]?.address ?? nodes[0]?.address ?? '127.0.0.1';
  return (service) => {
    const node = pinned[service] ?? running(service)[0];
    return (node && address.get(node)) || fallback;
  };
}

/** hostOf for a deployed stack: pinned services from the nodes' labels (or swarm.nodes), floating ones from the last listing. */
export async function swarmHostOf(engine: MultiNodeEngine, t: Topology): Promise<(service: string) => string> {
  const nodes = await engine.nodes();
  return serviceAddresses(pinnedNodes(t, nodes), nodes, (s) => engine.nodesRunning(s));
}
