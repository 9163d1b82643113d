// What `redis-ha rotate-secrets` does, decided before anything is touched: which users, in
// which step, and the refusals (exit 2, nothing changed). Pure; the live steps are in
// rotate-secrets.ts.
import { UsageError } from '../errors.js';
import type { Topology } from '../model/schema.js';
import { type Rotations, SECRET_NAMES, type SecretName } from '../synth/secrets.js';

/**
 * Where each user is defined (the `user` lines of templates/redis.conf.hbs and
 * sentinel.conf.hbs: a unit test holds this table in step with them) and who else holds its
 * password, i.e. what a rotation must move before the old password can go.
 */
export const SECRET_USES: Record<SecretName, { redis: boolean; sentinel: boolean; consumers: string }> = {
  admin: { redis: true, sentinel: true, consumers: 'redis-ha itself (reads secrets/admin at each command), the start scripts, operators' },
  app: { redis: true, sentinel: true, consumers: 'client applications (they must change: see the end of the output)' },
  replica: { redis: true, sentinel: false, consumers: 'replication: masterauth on every node (CONFIG SET), the start scripts' },
  sentinel: { redis: true, sentinel: true, consumers: 'the Sentinels: auth-pass to the nodes (SENTINEL SET), sentinel-pass to their peers (SENTINEL CONFIG SET)' },
  exporter: { redis: true, sentinel: true, consumers: 'redis_exporter: its password file, read at start (the exporter is restarted; it keeps no state)' },
  health: { redis: true, sentinel: true, consumers: 'healthchecks (they read the secret at each run), the start scripts, HAProxy checks (HAProxy reloads)' },
  'haproxy-stats': { redis: false, sentinel: false, consumers: 'the login of HAProxy /stats and /metrics (HAProxy reloads; one password only, no overlap)' },
};

export interface RotationRequest {
  topology: Topology;
  /** --user (repeatable); none: every user, or the ones whose rotation is in progress. */
  users?: string[];
  finish: boolean;
  /** Rotations in progress, from the secret files. */
  inProgress: Rotations;
}

export interface RotationPlan {
  /** The users this run works on. */
  users: SecretName[];
  /** Those of them whose rotation starts now (a new secret is generated). */
  begin: SecretName[];
}

const list = (names: string[]) => names.join(', ');

export function planRotation(r: RotationRequest): RotationPlan {
  const t = r.topology;
  if (!t.auth.enabled) {
    throw new UsageError(`deployment ${t.name} has no users (auth.enabled is false): there is no secret to rotate`, 'enable auth in the topology and deploy again');
  }
  const unknown = (r.users ?? []).filter((u) => !(SECRET_NAMES as readonly string[]).includes(u));
  if (unknown.length) throw new UsageError(`--user ${list(unknown)}: no such user`, `the users are ${list([...SECRET_NAMES])}`);
  const requested = r.users?.length ? SECRET_NAMES.filter((n) => r.users!.includes(n)) : undefined;
  const inProgress = SECRET_NAMES.filter((n) => r.inProgress[n]);

  if (r.finish) {
    if (!inProgress.length) {
      throw new UsageError(`no secret rotation of ${t.name} is in progress: nothing to finish`, 'start one with `redis-ha rotate-secrets`');
    }
    const users = requested ?? inProgress;
    const idle = users.filter((u) => !r.inProgress[u]);
    if (idle.length) throw new UsageError(`--finish --user ${list(idle)}: no rotation of ${idle.length > 1 ? 'these users' : 'this user'} is in progress`, `in progress: ${list(inProgress)}`);
    const unswitched = users.filter((u) => r.inProgress[u]!.phase === 'added');
    if (unswitched.length) {
      throw new UsageError(
        `the rotation of ${list(unswitched)} was interrupted before its consumers were moved to the new secret: --finish would lock them out`,
        'run `redis-ha rotate-secrets` again (it resumes where it stopped), then --finish',
      );
    }
    return { users, begin: [] };
  }

  if (inProgress.length) {
    const others = (requested ?? []).filter((u) => !r.inProgress[u]);
    if (others.length) {
      throw new UsageError(
        `a rotation of ${list(inProgress)} is in progress; ${list(others)} cannot start before it is finished`,
        'finish it first (`redis-ha rotate-secrets --finish`), or run again without --user to resume it',
      );
    }
    // Resume: every step is re-checked and redone where it did not take effect.
    return { users: requested ?? inProgress, begin: [] };
  }
  const users = requested ?? [...SECRET_NAMES];
  return { users, begin: users };
}
