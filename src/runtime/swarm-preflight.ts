// Checks before `docker stack deploy`, each failing with what to do: a manager of an active
// swarm, every available node's engine reachable (and really that node), the placement (labels
// to set, named nodes present), enough nodes for host-level HA (a warning naming what one host
// failure takes down), the images on every node that will run them, the published ports free there.
import { EnvironmentError } from '../errors.js';
import { hostFailureImpact, pinnedServices } from '../model/placement.js';
import { publishedPorts } from '../model/nodes.js';
import type { Problem } from '../model/problems.js';
import type { Topology } from '../model/schema.js';
import type { ContainerInfo, MultiNodeEngine, Runtime, SwarmNode } from './runtime.js';
import { availableNodes, planLabels, type LabelPlan } from './swarm-plan.js';

export interface SwarmPreflight {
  engine: string;
  tool: string;
  existing: ContainerInfo[];
  nodes: SwarmNode[];
  plan: LabelPlan;
  /** hostFailureImpact() with the real node count and names. */
  warnings: Problem[];
}

/** Services whose tasks may land on `node`: those pinned there, and the floating ones (anywhere). */
export function servicesOn(t: Topology, plan: LabelPlan, node: string): string[] {
  const pinned = pinnedServices(t).filter((s) => plan.pinned[s] === node);
  return [...pinned, ...(t.haproxy.enabled ? ['haproxy'] : []), ...(t.exporter.enabled ? ['exporter'] : [])];
}

const imageOf = (t: Topology, service: string) => (service === 'haproxy' ? t.haproxy.image : service === 'exporter' ? t.exporter.image : t.redis.image);

/** `runtime` reaches the manager, `swarm` the nodes (the same engine's two interfaces). */
export async function swarmPreflight(runtime: Runtime, swarm: MultiNodeEngine, t: Topology, signal?: AbortSignal): Promise<SwarmPreflight> {
  signal?.throwIfAborted();
  const engine = (await runtime.checkEngine()).serverVersion;
  const tool = (await runtime.checkTool()).name;
  const nodes = await swarm.nodes();
  const available = availableNodes(nodes);
  const plan = planLabels(t, nodes);
  if (plan.problems.length) throw new EnvironmentError(`cannot place ${t.name} on this swarm: ${plan.problems.join('; ')}`, 'bring the node back (`docker node update --availability active`), or remove the deployment with `redis-ha cleanup`');

  // Every available node's engine, and that it is that node (not another's socket given twice).
  const wrong: string[] = [];
  await Promise.all(
    available.map(async (n) => {
      const name = await swarm.engineName(n.hostname);
      if (name !== n.hostname) wrong.push(`the engine given for ${n.hostname} is ${name}'s`);
    }),
  );
  if (wrong.length) throw new EnvironmentError(`--node-host: ${wrong.join('; ')}`, 'give each node its own engine: --node-host NODE=DOCKER_HOST');
  signal?.throwIfAborted();

  const existing = await runtime.containers(t.name);
  const problems: string[] = [];
  for (const n of available) {
    const services = servicesOn(t, plan, n.hostname);
    for (const image of new Set(services.map((s) => imageOf(t, s)))) {
      signal?.throwIfAborted();
      if (await swarm.imageOnNode(n.hostname, image)) continue;
      const pulled = await swarm.pullImageOnNode(n.hostname, image, { signal });
      if (!pulled.ok) problems.push(`image ${image} is neither on node ${n.hostname} nor pullable there (${pulled.message})`);
    }
    // Host-mode ports bind every address of the node: any container there holding one blocks the task.
    const ports = publishedPorts(t).filter((p) => services.includes(p.service));
    const held = (await swarm.heldPortsOn(n.hostname)).filter((h) => h.project !== t.name);
    for (const p of ports) {
      const holder = held.find((h) => h.hostPort === p.port);
      if (holder) problems.push(`port ${p.port} (${p.service}) on node ${n.hostname} is held by container ${holder.container} (${holder.state})`);
    }
  }
  if (problems.length) {
    throw new EnvironmentError(problems.join('; '), 'load the images on those nodes (`docker save | docker -H NODE load`), free the ports or move the deployment with --port-base');
  }
  const warnings = hostFailureImpact(t, available.length, available.map((n) => n.hostname));
  return { engine, tool, existing, nodes, plan, warnings };
}
