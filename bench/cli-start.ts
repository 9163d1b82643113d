// CLI start: `redis-ha --version`, `presets` and `render sentinel --out <tmp>` beside
// `node -e 0` (the least any Node CLI costs), N runs each, interleaved so that all see the
// same machine. Target: each <= node -e 0 + 100 ms.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beside, type Beside } from './beside.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const TARGET_PLUS_MS = 100;

async function timed(args: string[]): Promise<number> {
  const started = performance.now();
  const r = await execa(process.execPath, args, { reject: false, stdin: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`node ${args.join(' ')} exited ${r.exitCode}: ${String(r.stderr).slice(-400)}`);
  return ms;
}

export async function benchCliStart(options: { runs: number; log: (line: string) => void }): Promise<{ rows: Beside[]; runs: Record<string, number[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-ha-cli-start-'));
  const commands: Record<string, (i: number) => string[]> = {
    'node -e 0': () => ['-e', '0'],
    'redis-ha --version': () => [CLI, '--version'],
    'redis-ha presets': () => [CLI, 'presets'],
    'redis-ha render sentinel': (i) => [CLI, 'render', 'sentinel', '--out', join(dir, `r${i}`)],
  };
  const runs: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  try {
    // One untimed round first: the page cache, not the CLI, would make the first run slow.
    for (const args of Object.values(commands)) await timed(args(-1));
    for (let i = 0; i < options.runs; i++) for (const [label, args] of Object.entries(commands)) runs[label]!.push(await timed(args(i)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const floor = runs['node -e 0']!;
  const rows = Object.keys(commands)
    .filter((label) => label !== 'node -e 0')
    .map((label) => beside(`${label} start`, runs[label]!, 'node -e 0', floor, { target: { plus: TARGET_PLUS_MS } }));
  options.log(`cli start: ${options.runs} runs of each command`);
  return { rows, runs };
}
