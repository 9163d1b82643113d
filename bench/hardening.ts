// Benchmark: time to healthy of `full` with least-privilege users, secrets as files and hardened
// containers (this tree) beside the same deploy by redis-ha as it was before them (BASELINE_REF,
// built from git into a temporary worktree), alternating, in one run. Target (issue 8): within
// 10 % of the baseline. Called from bench/run.ts; removes its deployments and the worktree.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeployResult } from '../src/commands/deploy.js';
import { median } from '../src/failover/metrics.js';
import { IMAGE_FLAGS } from './images.js';

/** The last commit before issue 8 (one shared password in .env, no hardening). */
export const BASELINE_REF = 'b41bc5c';
const TARGET_RATIO = 1.1;
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CURRENT_CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

async function deployOnce(cliPath: string, cwd: string, name: string): Promise<number> {
  const env = { ...process.env, NO_COLOR: '1' };
  const node = (args: string[]) => execa(process.execPath, [cliPath, ...args], { cwd, env, reject: false, timeout: 300_000, stdin: 'ignore' });
  await node(['cleanup', '--name', name]);
  const r = await node(['deploy', 'full', '--name', name, '--port-base', '9050', '--profile', 'fast', '--json', ...IMAGE_FLAGS]);
  try {
    if (r.exitCode !== 0) throw new Error(`deploy ${name} failed: ${String(r.stderr).slice(-600)}`);
    return (JSON.parse(String(r.stdout)) as DeployResult).timings.totalMs;
  } finally {
    await node(['cleanup', '--name', name]);
  }
}

export async function benchHardening(options: { runs?: number; log?: (line: string) => void } = {}): Promise<object> {
  const runs = options.runs ?? 3;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const work = await mkdtemp(join(tmpdir(), 'redis-ha-baseline-'));
  const tree = join(work, 'tree');
  try {
    const git = (args: string[]) => execa('git', ['-C', REPO, ...args], { stdin: 'ignore' });
    await git(['worktree', 'add', '--detach', tree, BASELINE_REF]);
    await execa('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: tree, stdin: 'ignore' });
    await execa('npm', ['run', 'build'], { cwd: tree, stdin: 'ignore' });
    const baselineCli = join(tree, 'dist', 'src', 'cli.js');
    const figures = { baseline: [] as number[], hardened: [] as number[] };
    for (let i = 0; i < runs; i++) {
      figures.baseline.push(await deployOnce(baselineCli, work, 'hd-bench-base'));
      figures.hardened.push(await deployOnce(CURRENT_CLI, work, 'hd-bench-hard'));
      log(`hardening bench run ${i + 1}: baseline ${figures.baseline.at(-1)} ms, hardened ${figures.hardened.at(-1)} ms`);
    }
    const base = median(figures.baseline);
    const hard = median(figures.hardened);
    const ratio = base && hard ? hard / base : null;
    return {
      benchmark: `time to healthy of full (fast profile): users + secret files + hardening beside ${BASELINE_REF} (before them)`,
      medianMs: { baseline: base, hardened: hard },
      ratio,
      target: `<= ${TARGET_RATIO}`,
      met: ratio !== null && ratio <= TARGET_RATIO,
      runs: figures,
    };
  } finally {
    await execa('git', ['-C', REPO, 'worktree', 'remove', '--force', tree], { reject: false, stdin: 'ignore' });
    await rm(work, { recursive: true, force: true });
  }
}
