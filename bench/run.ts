// `npm run bench`: every speed target, side by side in one run: time to healthy per preset
// (3 deploys each, medians, with the split) beside a hand-written compose file; kill-master per
// profile; switchover beside kill-master; rolling deploy beside recreate; hardening beside the
// version before it; swarm (3 lab nodes, as root) beside compose. BENCH_SKIP_<PART>=1 skips a
// part. Prints the figures and writes bench/results/<timestamp>.json. Not a test: figures, not verdicts.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { DeployResult } from '../src/commands/deploy.js';
import { median } from '../src/failover/metrics.js';
import { cli } from './cli.js';
import { IMAGE_FLAGS } from './images.js';
import { timeBaseline } from './baseline.js';
import { benchFailover } from './failover.js';
import { benchSwitchover } from './switchover.js';
import { benchTls } from './tls.js';
import { benchSwarm } from './swarm.js';
import { benchHardening } from './hardening.js';
import { benchRolling } from './rolling.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGETS: Record<string, number | undefined> = { sentinel: 4000, full: 5000 };
const SPLIT = ['composeUpMs', 'replicasLinkedMs', 'sentinelsConvergedMs', 'haproxyRoutingMs', 'totalMs'] as const;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** One deploy: wall clock from spawning the CLI to its exit, plus the CLI's own split. */
async function timeDeploy(preset: string): Promise<Record<string, number | undefined>> {
  const name = `bench-${preset}`;
  await cli(['cleanup', '--name', name]);
  const started = performance.now();
  const r = await cli(['deploy', preset, '--name', name, '--port-base', '8300', '--json', ...IMAGE_FLAGS]);
  const wallMs = performance.now() - started;
  try {
    if (r.exitCode !== 0) throw new Error(`deploy ${preset} failed: ${r.stderr.slice(-800)}`);
    const result = JSON.parse(r.stdout) as DeployResult;
    return { ...result.timings, wallMs };
  } finally {
    await cli(['cleanup', '--name', name]);
  }
}

const fmt = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? '     -' : `${(ms / 1000).toFixed(2).padStart(6)}`);

async function main() {
  const timeToHealthy: Record<string, { runs: Record<string, number | undefined>[]; median: Record<string, number | undefined> }> = {};
  const columns = [...SPLIT, 'wallMs'] as const;
  const medianOf = (runs: Record<string, number | undefined>[]) =>
    Object.fromEntries(columns.map((c) => [c, median(runs.map((r) => r[c] ?? null)) ?? undefined]));

  for (const preset of ['basic', 'sentinel', 'full']) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await timeDeploy(preset));
      log(`time-to-healthy ${preset} run ${i + 1}: ${fmt(runs.at(-1)!.totalMs)} s`);
    }
    timeToHealthy[preset] = { runs, median: medianOf(runs) };
  }
  const baselineRuns = [];
  for (let i = 0; i < RUNS; i++) {
    baselineRuns.push({ ...(await timeBaseline(IMAGE_FLAGS[1]!)), wallMs: undefined });
    log(`time-to-healthy baseline run ${i + 1}: ${fmt(baselineRuns.at(-1)!.totalMs)} s`);
  }
  timeToHealthy['hand-written sentinel compose (baseline)'] = { runs: baselineRuns, median: medianOf(baselineRuns) };

  console.log(`\nTime to healthy, median of ${RUNS} deploys, seconds from the command's start (wall: process spawn to exit)`);
  console.log(`${'deployment'.padEnd(42)} ${'up'.padStart(6)} ${'linked'.padStart(6)} ${'sentnl'.padStart(6)} ${'haprxy'.padStart(6)} ${'total'.padStart(6)} ${'wall'.padStart(6)}  target`);
  for (const [name, { median: m }] of Object.entries(timeToHealthy)) {
    const target = TARGETS[name];
    const verdict = target === undefined ? '' : `<= ${(target / 1000).toFixed(1)} s ${m.totalMs !== undefined && m.totalMs <= target ? 'met' : 'MISSED'}`;
    console.log(`${name.padEnd(42)} ${columns.map((c) => fmt(m[c])).join(' ')}  ${verdict}`);
  }

  let failover: object | undefined;
  if (process.env.BENCH_SKIP_FAILOVER !== '1') {
    // BENCH_PROFILES=fast limits the failover part to one profile.
    failover = await benchFailover({ runs: RUNS, log, profiles: process.env.BENCH_PROFILES?.split(',') });
    console.log('\nFailover (kill-master on full), medians:');
    console.log(JSON.stringify(failover, null, 2));
  }

  let switchover: object | undefined;
  if (process.env.BENCH_SKIP_SWITCHOVER !== '1') {
    switchover = await benchSwitchover({ runs: RUNS, log });
    console.log('\nSwitchover beside kill-master (full, fast profile), medians:');
    console.log(JSON.stringify(switchover, null, 2));
  }

  let tls: object | undefined;
  if (process.env.BENCH_SKIP_TLS !== '1') {
    tls = await benchTls({ runs: RUNS, log });
    console.log('\nTLS beside plain text (full, fast profile), medians and ratios TLS / plain:');
    console.log(JSON.stringify(tls, null, 2));
  }

  let rolling: object | undefined;
  if (process.env.BENCH_SKIP_ROLLING !== '1') {
    rolling = await benchRolling({ runs: RUNS, log });
    console.log('\nRolling deploy of a redis.conf change beside recreate (full, fast profile), medians:');
    console.log(JSON.stringify(rolling, null, 2));
  }

  let hardening: object | undefined;
  if (process.env.BENCH_SKIP_HARDENING !== '1') {
    hardening = await benchHardening({ runs: RUNS, log });
    console.log('\nTime to healthy with users, secret files and hardening beside the version before them, medians:');
    console.log(JSON.stringify(hardening, null, 2));
  }

  let swarm: object | undefined;
  if (process.env.BENCH_SKIP_SWARM !== '1') {
    swarm = await benchSwarm({ runs: RUNS, log });
    console.log('\nSwarm (3 lab nodes) beside compose (one host), full, fast profile, medians:');
    console.log(JSON.stringify(swarm, null, 2));
  }

  await mkdir(RESULTS, { recursive: true });
  const file = `${RESULTS}${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify({ machine: { cores: (await import('node:os')).cpus().length }, runs: RUNS, timeToHealthy, failover, switchover, tls, rolling, hardening, swarm }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

await main();
