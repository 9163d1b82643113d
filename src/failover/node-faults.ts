// Faults of a whole swarm node (test-failover on swarm): every container of the deployment on
// the master's node at once, as a host failure takes them. Each pushes its heal first.
// - kill-node: SIGKILL them all at the same instant and drain the node, so Swarm cannot
//   restart them there (a host that lost power); healed by reactivating the node, where Swarm
//   starts the pinned tasks again on their data.
// - partition-node: cut them all from the overlay network; healed by reconnecting (with aliases).
// - drain-node: planned maintenance: a switchover first when the node holds the master, then
//   drain (Swarm stops its tasks gracefully), then reactivate.
import { runSwitchover } from '../operations/switchover.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import { isSwarmRuntime, type SwarmRuntime } from '../runtime/swarm.js';
import type { FaultContext } from './scenarios.js';

function swarmOf(ctx: FaultContext): SwarmRuntime {
  if (!isSwarmRuntime(ctx.runtime)) throw new Error('node faults need the swarm runtime (target swarm)');
  return ctx.runtime;
}

/** The node that runs `service`'s task now, and every container of the deployment there. */
async function nodeOf(ctx: FaultContext, service: string): Promise<{ node: string; containers: ContainerInfo[] }> {
  const swarm = swarmOf(ctx);
  const c = await ctx.container(service);
  if (!c.node) throw new Error(`${service} runs on no known node`);
  const containers = (await swarm.containers(ctx.topology.name)).filter((x) => x.node === c.node && x.state === 'running');
  return { node: c.node, containers };
}

const reactivate = (swarm: SwarmRuntime, node: string) => async () => swarm.setAvailability(node, 'active');

export async function killNode(ctx: FaultContext): Promise<void> {
  const swarm = swarmOf(ctx);
  const { node, containers } = await nodeOf(ctx, ctx.oldMaster);
  ctx.heal.push(`reactivate node ${node}`, reactivate(swarm, node));
  // The same instant: no container of the node outlives another by a docker round-trip.
  const results = await Promise.allSettled(containers.map((c) => swarm.containerAction('kill', c.id)));
  await swarm.setAvailability(node, 'drain');
  const failed = results.filter((r) => r.status === 'rejected').length;
  ctx.note(`killed ${containers.map((c) => c.service).join(', ')} on ${node}${failed ? ` (${failed} kill(s) failed)` : ''}, drained ${node}`);
}

export async function partitionNode(ctx: FaultContext): Promise<void> {
  const swarm = swarmOf(ctx);
  const { node, containers } = await nodeOf(ctx, ctx.oldMaster);
  // Reconnecting by hand gives a task back its address but not its name in Swarm's service
  // discovery on the other nodes (only what Swarm attaches is announced): the heal then has
  // Swarm replace the node's tasks (same node, same volume), as a host back from a partition
  // whose engine re-attaches its containers. Pushed first: the heal stack runs newest first,
  // so this runs after the reconnects.
  const services = [...new Set(containers.map((c) => c.service))];
  ctx.heal.push(`replace the tasks on ${node} (${services.join(', ')})`, async () => {
    await swarm.up({ name: ctx.topology.name, dir: '', file: '' }, { services });
  });
  const cut: { service: string; network: string }[] = [];
  for (const c of containers) {
    for (const network of c.networks.filter((n) => n !== 'ingress' && n !== 'docker_gwbridge' && n !== 'bridge')) {
      ctx.heal.push(`reconnect ${c.service} to ${network}`, async () => {
        const now = await ctx.container(c.service);
        if (!now.networks.includes(network)) await swarm.connect(network, now.id, { aliases: [c.service] });
      });
      cut.push({ service: c.service, network });
    }
  }
  await Promise.all(cut.map(async ({ service, network }) => swarm.disconnect(network, containers.find((c) => c.service === service)!.id)));
  ctx.note(`disconnected ${cut.map((x) => x.service).join(', ')} on ${node} from ${[...new Set(cut.map((x) => x.network))].join(', ')}`);
}

/** Resolves with the moment clients were first disturbed (the switchover's pause), when there was one. */
export async function drainNode(ctx: FaultContext): Promise<number | undefined> {
  const swarm = swarmOf(ctx);
  const { node } = await nodeOf(ctx, ctx.oldMaster);
  const r = await runSwitchover({ deployment: { topology: ctx.topology, auth: ctx.auth, host: ctx.host, hostOf: ctx.hostOf }, signal: ctx.signal });
  ctx.note(`switchover ${r.oldMaster} -> ${r.newMaster} first: paused ${r.timings.pausedMs} ms`);
  ctx.heal.push(`reactivate node ${node}`, reactivate(swarm, node));
  await swarm.setAvailability(node, 'drain');
  ctx.note(`drained ${node}`);
  return r.pausedAt;
}
