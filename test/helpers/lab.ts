// The multi-engine lab for integration tests: can it run here (root, Linux, the programs), and
// bringing it up / down around a suite. Skips with the reason, or fails under CI=true.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { checkLabHost } from '../../src/lab/preflight.js';
import { IN_CI } from './binaries.js';

/** Why the lab cannot run here, or undefined when it can. */
export async function labUnavailable(): Promise<string | undefined> {
  try {
    await checkLabHost();
    return undefined;
  } catch (err) {
    const e = err as Error & { hint?: string };
    return `${e.message}${e.hint ? ` (${e.hint})` : ''}`;
  }
}

/** True when the lab can run; else skips the test with the reason (fails it under CI=true). */
export function requireLab(t: TestContext, unavailable: string | undefined): boolean {
  if (!unavailable) return true;
  if (IN_CI) assert.fail(`the lab cannot run: ${unavailable}; CI=true requires it`);
  t.skip(`lab: ${unavailable}`);
  return false;
}
