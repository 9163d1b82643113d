// Fixed secrets for tests that need a deterministic render (golden files, real-tool checks).
import { SECRET_NAMES, type Secrets } from '../../src/synth/secrets.js';

/** `<name>-secret-` padded to 40 characters: each user's secret differs and is easy to grep for. */
export const FIXED_SECRETS = Object.fromEntries(
  SECRET_NAMES.map((n) => [n, `${n}-secret-`.padEnd(40, 'x')]),
) as Secrets;
