// Faults of a whole swarm node (test-failover on swarm): every container of the deployment on
// the master's node at once, as a host failure takes them. Each pushes its heal first.
// - kill-node: SIGKILL them all at the same instant and drain the node, so Swarm cannot
//   restart them there (a host that lost power); healed by reactivating the node, where Swarm
//   starts the pinned tasks again on their data.
// - partition-node: cut them all from the overlay network; healed by reconnecting (with aliases)
//   and having Swarm replace their tasks (swarm-holds.ts).
// - drain-node: planned maintenance: a switchover first when the node holds the master, then
//   drain (Swarm stops its tasks gracefully), then reactivate.
import { runSwitchover } from '../operations/switchover.js';
import type { ContainerInfo } from '../runtime/runtime.js';
import { isSwarmRuntime, type SwarmRuntime } from '../runtime/swarm.js';
import type { FaultContext } from './scenarios.js';
import { cutOff } from './swarm-holds.js';

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
  const { node, containers } = await nodeOf(ctx, ctx.oldMaster);
  const networks = await cutOff(ctx, containers);
  ctx.note(`disconnected ${containers.map((c) => c.service).join(', ')} on ${node} from ${networks.join(', ')}`);
}

/** Resolves with the moment clients were first disturbed (the switchover's pause), when there was one. */
export async function drainNode(ctx: FaultContext): Promise<number | undefined> {
  const swarm = swarmOf(ctx);
  const { node } = await nodeOf(ctx, ctx.oldMaster);
  let pausedAt: number | undefined;
  const r = await runSwitchover({
    deployment: { topology: ctx.topology, auth: ctx.auth, host: ctx.host, hostOf: ctx.hostOf },
    signal: ctx.signal,
    onStep: (step) => {
      if (step === 'pause') pausedAt = performance.now();
    },
  });
  ctx.note(`switchover ${r.oldMaster} -> ${r.newMaster} first: paused ${r.timings.pausedMs} ms`);
  ctx.heal.push(`reactivate node ${node}`, reactivate(swarm, node));
  await swarm.setAvailability(node, 'drain');
  ctx.note(`drained ${node}`);
  return pausedAt;
}
