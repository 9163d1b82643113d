// The built CLI as the benchmarks run it: a child process, colors off, never throwing.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

export async function cli(args: string[], timeoutMs = 600_000, env: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', ...env }, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}
