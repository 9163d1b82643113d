// The error a command rejects with, for the tests of its refusals and failures.
import assert from 'node:assert/strict';
import { RedisHaError } from '../../src/errors.js';

/** The RedisHaError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<RedisHaError> {
  const err = await p.then(
    () => assert.fail('expected the command to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RedisHaError, `not a RedisHaError: ${String(err)}`);
  return err;
}
