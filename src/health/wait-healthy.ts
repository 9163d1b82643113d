// The one wait until a deployment is healthy: deploy, a failover scenario's recovery, restore and
// each step of a rolling deploy all poll the same snapshot, each with its own checks and limit.
import type { Deployment } from '../deployment.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { takeSnapshot, type CheckName, type CheckResult, type StatusSnapshot } from './status.js';
import { waitFor, type Clock } from '../wait.js';

export interface WaitHealthyOptions {
  /** Replicas at the master's offset too (status alone does not ask that). */
  caughtUp: boolean;
  timeoutMs: number;
  /** What the timeout message says is awaited. */
  condition?: string;
  /** Only these checks must pass (default: every check the snapshot makes). */
  checks?: CheckName[];
  /**
   * A fatal check (a container exited or turned unhealthy) ends the wait at once (default). Off
   * where a container may come back by itself (a restart policy, a fault being healed).
   */
  failFast?: boolean;
  intervalMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  /** The deployment as it runs now, from its containers (a rolling deploy changes it step by step). */
  deploymentNow?: (containers: ContainerInfo[]) => Deployment;
  /** Each snapshot taken, e.g. for progress. */
  onPoll?: (snapshot: StatusSnapshot, failing: CheckResult | undefined) => void;
}

/** Polls until every awaited check passes; fails naming the failing check and the limit (WaitTimeoutError). */
export function waitHealthy(runtime: Runtime, d: Deployment, options: WaitHealthyOptions): Promise<StatusSnapshot> {
  const awaited = (c: CheckResult) => !options.checks || options.checks.includes(c.name);
  return waitFor(
    options.condition ?? (options.caughtUp ? `${d.topology.name} to be healthy with replicas caught up` : `${d.topology.name} to be healthy`),
    async () => {
      const containers = await runtime.containers(d.topology.name);
      const snapshot = await takeSnapshot(options.deploymentNow?.(containers) ?? d, containers, { caughtUp: options.caughtUp });
      const failing = snapshot.checks.find((c) => awaited(c) && !c.ok);
      options.onPoll?.(snapshot, failing);
      const fatal = failing?.fatal && options.failFast !== false;
      return { verdict: failing ? (fatal ? 'fatal' : 'waiting') : 'done', value: snapshot, state: failing ? `${failing.name}: ${failing.detail}` : 'healthy' };
    },
    { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 100, signal: options.signal, clock: options.clock },
  );
}
