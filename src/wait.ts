// The one sleep of the program, and one retry helper for every wait: polls, fails at once on a
// fatal state, and names the condition and the limit when it times out. The clock is injectable
// for unit tests. Shared by every layer (the runtime and the lab poll too), so it imports nothing of ours.
import { setTimeout as timeout } from 'node:timers/promises';

/**
 * Resolves after `ms`. An abort of `signal` ends it at once: it rejects with the signal's reason,
 * as `signal.throwIfAborted()` would. `ref: false`: the timer alone does not keep the process alive.
 */
export async function sleep(ms: number, options: { signal?: AbortSignal; ref?: boolean } = {}): Promise<void> {
  try {
    await timeout(ms, undefined, options);
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw err;
  }
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => sleep(ms),
};

export interface Poll<T> {
  /** done: stop with success; fatal: stop with failure now (waiting cannot help). */
  verdict: 'done' | 'fatal' | 'waiting';
  value: T;
  /** The state seen, for progress and for the timeout message. */
  state: string;
}

export class WaitTimeoutError<T> extends Error {
  constructor(
    readonly condition: string,
    readonly timeoutMs: number,
    readonly last: Poll<T> | undefined,
    readonly fatal: boolean,
  ) {
    super(
      fatal
        ? `${condition}: ${last?.state ?? 'failed'}`
        : `timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${condition}; last state: ${last?.state ?? 'nothing answered'}`,
    );
    this.name = 'WaitTimeoutError';
  }
}

export async function waitFor<T>(
  condition: string,
  poll: () => Promise<Poll<T>>,
  options: { timeoutMs: number; intervalMs: number; clock?: Clock; onPoll?: (p: Poll<T>) => void; signal?: AbortSignal },
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  let last: Poll<T> | undefined;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    last = await poll();
    options.onPoll?.(last);
    if (last.verdict === 'done') return last.value;
    if (last.verdict === 'fatal') throw new WaitTimeoutError(condition, options.timeoutMs, last, true);
    if (clock.now() + options.intervalMs > deadline) throw new WaitTimeoutError(condition, options.timeoutMs, last, false);
    await clock.sleep(options.intervalMs);
  }
}
