// What keeps a fault in place on swarm, where Swarm would otherwise undo it before the
// scenario has seen its effect, and what heals it the way Swarm can:
// - keepDown: a killed or stopped task is replaced by Swarm after its restart delay (5 s), so
//   a killed Sentinel majority comes back and fails over after all; the service is scaled to 0
//   right after the fault (a killed container stays down on Compose too) and back when healed.
// - cutOff: containers disconnected from the overlay; reconnecting by hand gives a task back its
//   address but not its name in Swarm's service discovery on the other nodes (only what Swarm
//   attaches is announced), so the heal also has Swarm replace the tasks (same node, same
//   volume), as a host back from a partition whose engine re-attaches its containers.
import type { ContainerInfo } from '../runtime/runtime.js';
import type { FaultContext } from './fault-context.js';

/** Networks Swarm attaches besides the stack's overlay (never cut). */
const HOST_NETWORKS = new Set(['ingress', 'docker_gwbridge', 'bridge', 'host']);

/** On a multi-node engine (swarm): no new task of `service` until healed (its replica count back). No-op on compose. */
export async function keepDown(ctx: Pick<FaultContext, 'topology' | 'runtime' | 'heal'>, service: string): Promise<void> {
  const swarm = ctx.runtime.multiNode;
  if (!swarm) return;
  const project = ctx.topology.name;
  const replicas = (await swarm.serviceReplicas(project, service)) ?? 1;
  ctx.heal.push(`scale ${service} back to ${replicas}`, () => swarm.scaleService(project, service, replicas));
  await swarm.scaleService(project, service, 0);
}

/**
 * Disconnects `containers` from their networks at once; the heals reconnect them (with their
 * service name as alias) and, on swarm, then replace their tasks. Returns the networks cut.
 */
export async function cutOff(ctx: Pick<FaultContext, 'runtime' | 'heal' | 'container'>, containers: ContainerInfo[]): Promise<string[]> {
  const runtime = ctx.runtime;
  const services = [...new Set(containers.map((c) => c.service))];
  // Pushed first: the heal stack runs newest first, so this runs after the reconnects.
  if (runtime.multiNode) {
    ctx.heal.push(`replace the tasks of ${services.join(', ')}`, async () => {
      for (const service of services) await runtime.containerAction('restart', (await ctx.container(service)).id);
    });
  }
  const cut: { container: ContainerInfo; network: string }[] = [];
  for (const c of containers) {
    for (const network of c.networks.filter((n) => !HOST_NETWORKS.has(n))) {
      ctx.heal.push(`reconnect ${c.service} to ${network}`, async () => {
        const now = await ctx.container(c.service);
        if (!now.networks.includes(network)) await runtime.connect(network, now.id, { aliases: [c.service] });
      });
      cut.push({ container: c, network });
    }
  }
  if (!cut.length) throw new Error(`${services.join(', ')} on no network that can be cut`);
  await Promise.all(cut.map(({ container, network }) => runtime.disconnect(network, container.id)));
  return [...new Set(cut.map((x) => x.network))];
}
