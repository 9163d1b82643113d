// Runs the BUILT CLI (dist/src/cli.js) as a user would, in a given directory.
import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { CLI_PATH } from './repo.js';

export interface CliResult {
  code: number | null;
  /** stdout with ANSI escapes removed. */
  stdout: string;
  /** stderr with ANSI escapes removed. */
  stderr: string;
  rawStdout: string;
  rawStderr: string;
}

export const stripAnsi = (s: string) => stripVTControlCharacters(s);
export const hasAnsi = (s: string) => /\u001b\[/.test(s);

/** An environment without the color switches of the caller, plus `extra`. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // CI is dropped too: supports-color (chalk) turns colors off under an unknown CI, so the
  // color tests would depend on where they run.
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'REDIS_PASSWORD', 'CI']) delete env[key];
  return { ...env, ...extra };
}

function collect(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stripAnsi(out), stderr: stripAnsi(err), rawStdout: out, rawStderr: err });
    });
  });
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return collect(process.execPath, [CLI_PATH, ...args], options.cwd, options.env ?? cleanEnv(), options.timeoutMs ?? 30_000);
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs the CLI with its stdout and stderr on a pseudo-terminal (util-linux `script`), so
 * color is decided by the environment, not by output being piped. Output is merged.
 */
export function runCliOnTty(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  const command = [process.execPath, CLI_PATH, ...args].map(shellQuote).join(' ');
  return collect('script', ['-qec', command, '/dev/null'], options.cwd, options.env, options.timeoutMs ?? 30_000);
}
