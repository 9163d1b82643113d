// Running docker / docker compose: one place that turns a missing binary or a failed
// command into an error that says what to do.
import { execa, type Options } from 'execa';
import { EnvironmentError, FailedError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a command; never throws for a non-zero exit (callers decide), only for a missing binary. */
export async function run(file: string, args: string[], options: Options = {}): Promise<RunResult> {
  try {
    const result = await execa(file, args, { reject: false, stdin: 'ignore', ...options });
    // With reject: false a missing binary comes back as a failed result without an exit code.
    if ((result as { code?: string }).code === 'ENOENT') throw notInstalled(file);
    return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notInstalled(file);
    throw err;
  }
}

function notInstalled(file: string): EnvironmentError {
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

/** Runs and throws a FailedError carrying the command's stderr tail when it exits non-zero. */
export async function runChecked(file: string, args: string[], what: string, options: Options = {}): Promise<RunResult> {
  const result = await run(file, args, options);
  if (result.exitCode !== 0) {
    throw new FailedError(`${what} failed (exit ${result.exitCode}): ${tail(result.stderr || result.stdout, 12)}`);
  }
  return result;
}

export function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
