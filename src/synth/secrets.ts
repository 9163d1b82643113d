// The deployment's secrets: one random password per user, each kept in its own file
// (<out>/secrets/<name>) and mounted into exactly the containers that read it
// (/run/secrets/<name>). Pure: generating and keeping them is files/secrets.ts's job.
import { createHash } from 'node:crypto';

/**
 * Every secret, in a fixed order. The Redis / Sentinel users of the same name share one.
 * - admin:     operators and redis-ha itself (status, deploy checks, test-failover)
 * - app:       client applications (the printed snippets, `status --json`)
 * - replica:   replication (masteruser / masterauth)
 * - sentinel:  Sentinel monitoring the nodes (auth-user) and Sentinels talking to each other (sentinel-user)
 * - exporter:  redis_exporter
 * - health:    container healthchecks, start scripts asking the Sentinels, HAProxy's checks
 * - haproxy-stats: the login of HAProxy's /stats and /metrics pages (user "stats")
 */
export const SECRET_NAMES = ['admin', 'app', 'replica', 'sentinel', 'exporter', 'health', 'haproxy-stats'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

export const SECRETS_DIR = 'secrets';
/** The file holding one secret, relative to the output directory. */
export const secretPath = (name: string) => `${SECRETS_DIR}/${name}`;
/** redis_exporter's --redis.password-file: a JSON map of target URI -> password (derived, also secret). */
export const EXPORTER_PASSWORD_FILE = 'exporter-passwords.json';
/** Where compose mounts a secret in a container. */
export const containerSecret = (name: string) => `/run/secrets/${name}`;
/** The user name HAProxy's stats login takes. */
export const STATS_USER = 'stats';

/**
 * Redis ACL `#<hash>` form: the SHA-256 of the password. The rendered configs carry only
 * these (Redis never needs the plain password of a user it serves), so they hold no secret.
 */
export const aclHash = (password: string) => createHash('sha256').update(password).digest('hex');

/**
 * A secret being rotated (`redis-ha rotate-secrets`). Both passwords are accepted meanwhile.
 * - added:    the new one is in `secrets/<name>.next`; `secrets/<name>` still holds the old
 *             one, which every consumer uses.
 * - switched: `secrets/<name>` holds the new one, which consumers are moved to; the old one is
 *             kept in `secrets/<name>.old` until `rotate-secrets --finish` removes it.
 */
export interface SecretRotation {
  phase: 'added' | 'switched';
  old: string;
  new: string;
  /** Switched: when (ms since the epoch; the mtime of `.old`). A process started before read the old one. */
  switchedAt?: number;
}
export type Rotations = Partial<Record<SecretName, SecretRotation>>;
export const nextSecretPath = (name: SecretName) => `${secretPath(name)}.next`;
export const oldSecretPath = (name: SecretName) => `${secretPath(name)}.old`;
/** What `secrets/<name>` holds in each phase. */
export const currentSecret = (r: SecretRotation) => (r.phase === 'added' ? r.old : r.new);

/**
 * Each user's password hashes for the configs, in Redis ACL form without the first `#`
 * (the templates write `#{{hashes.app}}`): one hash, or during a rotation both, as
 * `<old> #<new>`, so that a node or Sentinel (re)starting mid-rotation accepts both.
 */
export function aclHashes(secrets: Secrets, rotations: Rotations = {}): Record<SecretName, string> {
  return Object.fromEntries(
    SECRET_NAMES.map((n) => {
      const r = rotations[n];
      return [n, r ? `${aclHash(r.old)} #${aclHash(r.new)}` : aclHash(secrets[n])];
    }),
  ) as Record<SecretName, string>;
}

/** A password that is safe in a URL, a shell word, a Redis config line and an HAProxy quoted string. */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{32,}$/;
