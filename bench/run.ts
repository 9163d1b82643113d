// `npm run bench`: every figure beside its floor, measured in the same run (../shared/STYLE.md,
// "hyperfine"). The parts issue 14 cares most about come first: idle CPU per preset; time to
// healthy beside a plain compose up and the tutorial file; CLI start beside `node -e 0`;
// failover and switchover beside bare Sentinel processes; how it grows with replicas and
// Sentinels. Then the older ones: TLS beside plain text, rolling beside recreate, hardening
// beside the version before it, swarm beside compose; last the cluster preset (issue 19): time to
// healthy beside a plain compose up and `redis-cli --cluster create`, kill-master's write gaps and
// lost writes. BENCH_SKIP_<PART>=1 skips a part (IDLE, HEALTHY, CLI, BARE, FAILOVER, SWITCHOVER,
// GROWTH, MONITORING, SMOKE, TLS, ROLLING, HARDENING, SWARM, CLUSTER); settings.ts lists the other
// knobs. Ends with a table of every target, and writes bench/results/<time>.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatBeside, formatSummary, type Beside } from './beside.js';
import { benchBareFloor, type BareFloor } from './bare-failover.js';
import { benchCliStart } from './cli-start.js';
import { benchCluster } from './cluster.js';
import { measureIdleCpu } from './cpu.js';
import { benchFailover } from './failover.js';
import { bareRows, failoverRows } from './failover-floors.js';
import { benchGrowth } from './growth.js';
import { benchHardening } from './hardening.js';
import { benchHealthy } from './healthy.js';
import { benchIdle, type IdleResult } from './idle.js';
import { benchMonitoring } from './monitoring.js';
import { benchRolling } from './rolling.js';
import { CLUSTER_PORT_BASE, IDLE_S, IDLE_SLICE_S, log, PORT_BASE, NAME_PREFIX, RUNS, skipped } from './settings.js';
import { benchSwarm } from './swarm.js';
import { benchSmoke } from './smoke.js';
import { benchSwitchover } from './switchover.js';
import { benchTls } from './tls.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const results: Record<string, unknown> = {};
const allRows: Beside[] = [];
const failed: string[] = [];

/** Runs one part unless skipped; a part that fails is reported and the bench goes on. */
async function part<T>(key: string, title: string, run: () => Promise<T>, rows: (r: T) => Beside[] = () => [], extra: (r: T) => string[] = () => []): Promise<T | undefined> {
  if (skipped(key)) return undefined;
  log(`\n== ${title}`);
  try {
    const r = await run();
    const mine = rows(r);
    allRows.push(...mine);
    console.log(`\n${title}`);
    for (const row of mine) console.log(formatBeside(row));
    for (const line of extra(r)) console.log(line);
    results[key] = { rows: mine, result: r };
    return r;
  } catch (err) {
    failed.push(key);
    results[key] = { error: (err as Error).message };
    console.log(`\n${title}: FAILED: ${(err as Error).message}`);
    return undefined;
  }
}

async function main() {
  const idle = await part<IdleResult>('idle', `Idle CPU over ${IDLE_S} s after deploy returned (% of one core; ${cpus().length} cores), spread over ${IDLE_SLICE_S} s slices`, () => benchIdle({ log }), (r) => r.rows, (r) => ['  where it goes (% of one core):', ...r.breakdown]);

  await part('healthy', `Time to healthy (wall: spawning deploy to its exit), ${RUNS} runs, interleaved with the floors`, () => benchHealthy({ runs: RUNS, log }), (r) => r.rows);

  const cliRuns = Number(process.env.BENCH_CLI_RUNS ?? 10);
  await part('cli', `CLI start, ${cliRuns} runs of each, interleaved`, () => benchCliStart({ runs: cliRuns, log }), (r) => r.rows);

  const bare = await part<BareFloor>('bare', `Bare Sentinel floor (redis-server / redis-sentinel on 127.0.0.1, fast profile's timing), ${RUNS} runs`, () => benchBareFloor({ runs: RUNS, log }), bareRows);

  // BENCH_PROFILES=fast limits the failover part to one profile.
  const failover = await part('failover', 'Failover (kill-master on full), medians against the absolute targets of issue 8', () => benchFailover({ runs: RUNS, log, profiles: process.env.BENCH_PROFILES?.split(',') }), () => [], (r) => [JSON.stringify(r, null, 2)]);
  const switchover = await part('switchover', 'Switchover beside kill-master (full, fast profile), medians against issue 9', () => benchSwitchover({ runs: RUNS, log }), () => [], (r) => [JSON.stringify(r, null, 2)]);
  const killMaster = [...(failover?.fast?.runs ?? []), ...(switchover?.['kill-master'].runs ?? [])];
  const floors = failoverRows(bare, killMaster, switchover?.switchover.runs ?? []);
  if (floors.length) {
    console.log('\nFailover and switchover on full (fast profile) beside the bare Sentinel floor');
    for (const row of floors) console.log(formatBeside(row));
    allRows.push(...floors);
    results.failoverBesideBare = floors;
  }

  await part(
    'growth',
    'How it grows (sentinel preset)',
    async () => benchGrowth({ runs: Number(process.env.BENCH_GROWTH_RUNS ?? 1), nothing: idle?.nothing ?? (await measureIdleCpu(IDLE_S, IDLE_SLICE_S)), log }),
    (r) => r.rows,
  );

  await part(
    'monitoring',
    `Monitoring (full with its Prometheus beside --no-monitoring; alerts after kill-master, fast profile), ${RUNS} runs`,
    async () => benchMonitoring({ runs: RUNS, nothing: idle?.nothing ?? (await measureIdleCpu(IDLE_S, IDLE_SLICE_S)), log }),
    (r) => r.rows,
  );

  await part('smoke', `The CI smoke job of examples/ci/github-actions.yml beside the same steps by hand, ${RUNS} runs`, () => benchSmoke({ runs: RUNS, log }), (r) => r.rows);

  await part('tls', 'TLS beside plain text (full, fast profile), medians and ratios TLS / plain', () => benchTls({ runs: RUNS, log }), () => [], (r) => [JSON.stringify(r, null, 2)]);
  await part('rolling', 'Rolling deploy of a redis.conf change beside recreate (full, fast profile), medians', () => benchRolling({ runs: RUNS, log }), () => [], (r) => [JSON.stringify(r, null, 2)]);
  await part('hardening', 'Time to healthy with users, secret files and hardening beside the version before them, medians', () => benchHardening({ runs: RUNS, log }), () => [], (r) => [JSON.stringify(r, null, 2)]);
  await part('swarm', 'Swarm (3 lab nodes) beside compose (one host), full, fast profile, medians', () => benchSwarm({ runs: RUNS, log }), (r) => r.rows, ({ rows: _rows, ...r }) => [JSON.stringify(r, null, 2)]);
  await part(
    'cluster',
    `Cluster, 3 shards x 1 replica, fast profile: time to healthy beside its floor, kill-master (plain writes, then --durability wait) and a reshard of 1/3 of 100 000 keys against issue 19, ${RUNS} runs`,
    () => benchCluster({ runs: RUNS, log }),
    (r) => r.rows,
    ({ runs }) => [
      ...runs.failed.map((f) => `  failed: ${f}`),
      ...runs.killMaster.flatMap((k, i) => (k.passed ? [] : [`  kill-master run ${i + 1} did not pass: ${k.failures?.join('; ')}`])),
      ...runs.killMasterWait.flatMap((k, i) => (k.passed ? [] : [`  kill-master --durability wait run ${i + 1} did not pass: ${k.failures?.join('; ')}`])),
      ...runs.reshard.flatMap((r, i) => [`  reshard run ${i + 1}: ${r.error ?? `${r.slots} slots, ${r.keysMoved} keys in ${r.movedMs} ms; the client: longest wait between acknowledged writes ${r.longestAckGapMs} ms, ${r.slowWrites} slower than 500 ms, ${r.failed} failed, ${r.indeterminate} indeterminate, steady again after ${r.writeGapMs} ms`}`]),
    ],
  );

  console.log('\nSummary: every target, its figure beside its floor (medians)');
  for (const line of formatSummary(allRows)) console.log(`  ${line}`);
  if (failed.length) console.log(`  parts that failed: ${failed.join(', ')}`);

  await mkdir(RESULTS, { recursive: true });
  const file = `${RESULTS}${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model };
  await writeFile(file, `${JSON.stringify({ machine, runs: RUNS, idleS: IDLE_S, names: NAME_PREFIX, portBase: PORT_BASE, clusterPortBase: CLUSTER_PORT_BASE, summary: allRows.filter((r) => r.target), ...results }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  if (failed.length) process.exitCode = 1;
}

await main();
