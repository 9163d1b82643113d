// Waiting in tests: on a condition, never a fixed sleep before an assertion. Built on the
// project's waitFor, so a timeout fails the test naming the condition, the limit and the
// last state seen.
import type { Workload } from '../../src/failover/workload.js';
import type { Via } from '../../src/failover/recording.js';
import { waitFor } from '../../src/wait.js';

/**
 * Resolves once `check` holds (polled every `intervalMs`), or throws after `timeoutMs`.
 * `state` describes what was seen, for the message of a timeout.
 */
export async function until(
  condition: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; state?: () => string } = {},
): Promise<void> {
  await waitFor(
    condition,
    async () => {
      const ok = await check();
      return { verdict: ok ? 'done' : 'waiting', value: undefined, state: options.state?.() ?? (ok ? 'holds' : 'does not hold yet') };
    },
    { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: options.intervalMs ?? 50 },
  );
}

/** Writes of `workload` on each path acknowledged, among those started at or after `since`. */
export function ackedSince(workload: Workload, vias: readonly Via[], since: number): Record<string, number> {
  const counts = Object.fromEntries(vias.map((v) => [v, 0]));
  for (const o of workload.ops) if (o.outcome === 'ok' && o.start >= since && o.via in counts) counts[o.via]!++;
  return counts;
}

/**
 * Resolves once `workload` has at least `atLeast` acknowledged writes on every path in `vias`
 * started at or after `since` (its clock): the load runs, or runs again after a change.
 */
export async function untilAcked(
  what: string,
  workload: Workload,
  vias: readonly Via[],
  options: { since?: number; atLeast?: number; timeoutMs?: number } = {},
): Promise<void> {
  const since = options.since ?? -Infinity;
  const atLeast = options.atLeast ?? 20;
  await until(
    `${what}: ${atLeast} acknowledged writes on each of ${vias.join(', ')}`,
    () => Object.values(ackedSince(workload, vias, since)).every((n) => n >= atLeast),
    { timeoutMs: options.timeoutMs, state: () => JSON.stringify(ackedSince(workload, vias, since)) },
  );
}
