// External programs the integration tests run: find them, or skip with the reason
// (FAIL instead when CI=true, where every binary must be installed).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

export const IN_CI = process.env.CI === 'true';

/** Absolute path of `name` on PATH, or undefined. */
export function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', name], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

/**
 * True when `name` is installed. Otherwise skips the test with a visible reason and
 * returns false, or fails the test when CI=true.
 */
export function requireBinary(t: TestContext, name: string): boolean {
  if (which(name)) return true;
  const reason = `${name} is not installed (on PATH)`;
  if (IN_CI) assert.fail(`${reason}; CI=true requires it`);
  t.skip(reason);
  return false;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A background process whose stdout+stderr are collected in `output`. */
export interface Background {
  child: ChildProcess;
  output: () => string;
  exited: () => boolean;
  stop: () => Promise<void>;
}

export function startBackground(command: string, args: string[], options: { cwd?: string } = {}): Background {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.on('exit', () => (exited = true));
  child.on('error', (err) => {
    exited = true;
    output += `\n[spawn error] ${err.message}`;
  });
  return {
    child,
    output: () => output,
    exited: () => exited,
    // Kills this one process by its id (SIGTERM, then SIGKILL after 3 s).
    stop: async () => {
      if (exited || child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Runs a program to completion (no shell), with `timeoutMs`. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Polls `check` every 100 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * A python3 that can `import redis` (Debian's python3-redis; a pyenv python3 first on PATH may
 * lack it), or undefined after skipping the test (failing it when CI=true).
 */
export function pythonWithRedis(t: TestContext): string | undefined {
  const found = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import redis'], { stdio: 'ignore' }).status === 0);
  if (found) return found;
  const reason = "no python3 with the redis module (Debian's python3-redis)";
  if (IN_CI) assert.fail(`${reason}; CI=true requires it`);
  t.skip(reason);
  return undefined;
}
