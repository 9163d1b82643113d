// Holding a service down for an operation (restore) and letting it run again.
// - compose: the container is stopped and started again (it keeps its volume).
// - a multi-node engine (swarm): a stopped task is replaced by Swarm within seconds (restart
//   policy any), so the service is scaled to 0 and, to start it, back to its replica count;
//   its new task runs on the same node (placement) with the same volume.
import { FailedError } from '../errors.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { waitFor, type Clock } from '../wait.js';

export interface Holds {
  /** Stops the service of `c` and waits until its container no longer runs. */
  stop(c: ContainerInfo): Promise<void>;
  /** Lets the service of `c` (stopped by this hold) run again; waits until it runs. */
  start(c: ContainerInfo): Promise<void>;
}

export function holdsFor(runtime: Runtime, project: string, options: { timeoutMs: number; clock?: Clock }): Holds {
  const swarm = runtime.multiNode;
  if (!swarm) {
    return {
      stop: (c) => runtime.containerAction('stop', c.id, { graceSeconds: 10 }),
      start: (c) => runtime.containerAction('start', c.id),
    };
  }
  const replicas = new Map<string, number>();
  return {
    async stop(c) {
      replicas.set(c.service, (await swarm.serviceReplicas(project, c.service)) ?? 1);
      await swarm.scaleService(project, c.service, 0);
      await waitFor(
        `${c.service}'s task to stop (scaled to 0)`,
        async () => {
          const [now] = await runtime.inspect([c.id]);
          const stopped = !now || now.state !== 'running';
          return { verdict: stopped ? 'done' : 'waiting', value: undefined, state: now ? now.state : 'removed' };
        },
        { timeoutMs: options.timeoutMs, intervalMs: 250, clock: options.clock },
      );
    },
    async start(c) {
      const count = replicas.get(c.service);
      if (count === undefined) throw new FailedError(`${c.service} was not held down by this operation; not scaling it`);
      await swarm.scaleService(project, c.service, count);
      // Swarm's start: waits until the service has a running task again.
      await runtime.containerAction('start', c.id);
    },
  };
}
