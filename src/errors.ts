// Error types the top-level handler maps to exit codes. Each speaks to the operator:
// what failed, where, and what to do next (`hint`).

export const EXIT = {
  ok: 0,
  /** The deployment is unhealthy, a check timed out, a failover scenario failed. */
  failed: 1,
  /** Bad input: flags, topology file, refusing to overwrite. Nothing was changed. */
  usage: 2,
  /** The environment is not ready: Docker missing, engine down, port taken, image missing. */
  environment: 3,
  /** An error nothing caught: a bug in redis-ha (reported, the command stopped and healed). */
  internal: 70,
  /** Interrupted (Ctrl-C), after healing and cleaning up. */
  interrupted: 130,
} as const;

export class RedisHaError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends RedisHaError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

export class EnvironmentError extends RedisHaError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.environment, hint, options);
  }
}

export class FailedError extends RedisHaError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, EXIT.failed, hint, options);
  }
}
