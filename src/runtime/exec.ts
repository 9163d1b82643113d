// Running docker / docker compose: one place that turns a missing binary or a failed
// command into an error that says what to do, and that owns the child processes.
//
// Every child runs in its own process group (`detached`), so a Ctrl-C on the terminal reaches
// redis-ha alone and the program decides: a `compose up` is let finish, a `docker pull` is
// cancelled (through `signal`). execa does not clean up detached children on exit, so the
// runner keeps the live ones and `killAll()` ends them (the CLI calls it when it exits).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ResultPromise } from 'execa';
import { EnvironmentError, FailedError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  cwd?: string;
  /** Written to the child's stdin (secrets go here, never into argv), or streamed into it (a tar archive). */
  input?: string | Readable;
  /** Aborting kills the child (SIGTERM). Leave unset for what must be let finish. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class CommandRunner {
  private readonly live = new Set<ResultPromise>();

  /** `env`: the whole environment of the children (the CLI passes its own). */
  constructor(private readonly env: Record<string, string | undefined>) {}

  /** Runs a command; never throws for a non-zero exit (callers decide), only for a missing binary or an abort. */
  async run(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    let child: ResultPromise | undefined;
    try {
      // Loaded on the first command run: a command that runs none starts 0.2 s sooner.
      const { execa } = await import('execa');
      child = execa(file, args, {
        reject: false,
        cwd: options.cwd,
        env: this.env,
        extendEnv: false,
        detached: true,
        cleanup: false,
        ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
        ...(options.signal ? { cancelSignal: options.signal } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      });
      this.live.add(child);
      const result = await child;
      // With reject: false a missing binary comes back as a failed result without an exit code.
      if ((result as { code?: string }).code === 'ENOENT') throw notInstalled(file);
      if (result.isCanceled) throw options.signal?.reason ?? new Error(`${file} was cancelled`);
      return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notInstalled(file);
      throw err;
    } finally {
      if (child) this.live.delete(child);
    }
  }

  /** Runs and throws a FailedError carrying the command's stderr tail when it exits non-zero. */
  async runChecked(file: string, args: string[], what: string, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(file, args, options);
    if (result.exitCode !== 0) {
      throw new FailedError(`${what} failed (exit ${result.exitCode}): ${tail(result.stderr || result.stdout, 12)}`);
    }
    return result;
  }

  /** Kills every child still running (their whole process group). Synchronous: safe in an exit handler. */
  killAll(): number {
    let killed = 0;
    for (const child of this.live) {
      if (child.pid === undefined) continue;
      try {
        // Negative pid: the child's process group (it leads one, being detached).
        process.kill(-child.pid, 'SIGTERM');
        killed++;
      } catch {
        /* already gone */
      }
    }
    return killed;
  }

  get running(): number {
    return this.live.size;
  }

  /** Whether `file` is an executable on the children's PATH (without running it). */
  has(file: string): boolean {
    return findOnPath(file, this.env.PATH ?? '') !== undefined;
  }
}

/** Where `binary` is on PATH (the first executable one), if anywhere. */
export function findOnPath(binary: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {
      /* the next one */
    }
  }
  return undefined;
}

export function notInstalled(file: string): EnvironmentError {
  if (file === 'docker-compose') {
    return new EnvironmentError(
      'Docker Compose is not installed',
      'install the Compose plugin (`docker compose`) or docker-compose v1, e.g. `apt-get install docker-compose`',
    );
  }
  return new EnvironmentError(
    `${file} is not installed (not found on PATH)`,
    file === 'docker' ? 'install Docker (e.g. `apt-get install docker.io`) and make sure `docker info` works' : undefined,
  );
}

export function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
