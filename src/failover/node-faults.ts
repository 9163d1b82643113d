// Faults of a whole swarm node (test-failover on swarm): every container of the deployment on
// the master's node at once, as a host failure takes them. Each pushes its heal first.
// - kill-node, mode `containers`: SIGKILL them all at the same instant and drain the node, so
//   Swarm cannot restart them there (a host that lost power); healed by reactivating the node,
//   where Swarm starts the pinned tasks again on their data.
//   Mode `engine` (lab nodes only, through hooks the command hands in: failover/ knows no lab):
//   SIGKILL the node's whole engine (dockerd, containerd, shims, containers) as a power loss;
//   healed by starting the engine again (waited for until the swarm lists it Ready), where
//   Swarm starts the node's tasks again on their data.
// - partition-node, mode `network`: cut them all from the overlay network; healed by
//   reconnecting (with aliases) and having Swarm replace their tasks (swarm-holds.ts).
//   Mode `link` (lab nodes only): take the node's link down (cut from every node and the host,
//   its engine still running); healed by bringing it up.
// The whole-node modes first move the runtime to a manager on another node: the one the
// runtime used may be the node that goes dark.
// - drain-node: planned maintenance: a switchover first when the node holds the master, then
//   drain (Swarm stops its tasks gracefully), then reactivate.
import { runSwitchover } from '../operations/switchover.js';
import type { ContainerInfo, MultiNodeEngine } from '../runtime/runtime.js';
import type { FaultContext, NodeFaultHooks } from './fault-context.js';
import { cutOff } from './swarm-holds.js';

function swarmOf(ctx: FaultContext): MultiNodeEngine {
  const swarm = ctx.runtime.multiNode;
  if (!swarm) throw new Error('node faults need a multi-node runtime (target swarm)');
  return swarm;
}

/** The node that runs `service`'s task now, and every container of the deployment there. */
async function nodeOf(ctx: FaultContext, service: string): Promise<{ node: string; containers: ContainerInfo[] }> {
  swarmOf(ctx); // refused on one engine before anything is looked up
  const c = await ctx.container(service);
  if (!c.node) throw new Error(`${service} runs on no known node`);
  const containers = (await ctx.runtime.containers(ctx.topology.name)).filter((x) => x.node === c.node && x.state === 'running');
  return { node: c.node, containers };
}

const reactivate = (swarm: MultiNodeEngine, node: string) => async () => swarm.setAvailability(node, 'active');

function hooksOf(ctx: FaultContext, mode: string): NodeFaultHooks {
  const hooks = ctx.nodeFaults?.hooks;
  if (!hooks) throw new Error(`node fault mode ${mode} needs the lab's hooks (the command gives them for lab nodes only)`);
  return hooks;
}

export async function killNode(ctx: FaultContext): Promise<void> {
  if (ctx.nodeFaults?.kill === 'engine') return killNodeEngine(ctx);
  const swarm = swarmOf(ctx);
  const { node, containers } = await nodeOf(ctx, ctx.oldMaster);
  ctx.heal.push(`reactivate node ${node}`, reactivate(swarm, node));
  // The same instant: no container of the node outlives another by a docker round-trip.
  const results = await Promise.allSettled(containers.map((c) => ctx.runtime.containerAction('kill', c.id)));
  await swarm.setAvailability(node, 'drain');
  const failed = results.filter((r) => r.status === 'rejected').length;
  ctx.note(`killed ${containers.map((c) => c.service).join(', ')} on ${node}${failed ? ` (${failed} kill(s) failed)` : ''}, drained ${node}`);
}

/**
 * Before a whole-node mode takes the master's node dark: the lab's hooks, the node and its
 * containers, and the runtime moved to a manager on another node (a manager cut off alone has
 * no quorum and answers no swarm-wide question; a dead one answers nothing).
 */
async function darkenMasterNode(ctx: FaultContext, mode: 'engine' | 'link', state: string) {
  const swarm = swarmOf(ctx);
  const hooks = hooksOf(ctx, mode);
  const { node, containers } = await nodeOf(ctx, ctx.oldMaster);
  const manager = await swarm.useManagerOtherThan(node);
  if (manager) ctx.note(`talking to the swarm through ${manager} while ${node} is ${state}`);
  return { hooks, node, services: containers.map((c) => c.service).join(', ') };
}

async function killNodeEngine(ctx: FaultContext): Promise<void> {
  const { hooks, node, services } = await darkenMasterNode(ctx, 'engine', 'down');
  // No drain: a dead engine starts nothing, and a real power loss drains nothing either.
  ctx.heal.push(`restart the engine of ${node}`, () => hooks.restartEngine(node));
  await hooks.killEngine(node);
  ctx.note(`killed the engine of ${node} (dockerd, containerd and ${services})`);
}

async function partitionNodeLink(ctx: FaultContext): Promise<void> {
  const { hooks, node, services } = await darkenMasterNode(ctx, 'link', 'cut off');
  ctx.heal.push(`bring the link of ${node} up`, () => hooks.setLink(node, true));
  await hooks.setLink(node, false);
  ctx.note(`took the link of ${node} down (${services} cut off)`);
}

export async function partitionNode(ctx: FaultContext): Promise<void> {
  if (ctx.nodeFaults?.partition === 'link') return partitionNodeLink(ctx);
  const { node, containers } = await nodeOf(ctx, ctx.oldMaster);
  const networks = await cutOff(ctx, containers);
  ctx.note(`disconnected ${containers.map((c) => c.service).join(', ')} on ${node} from ${networks.join(', ')}`);
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
