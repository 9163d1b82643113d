// The CI smoke job of examples/ci/github-actions.yml, timed as the example runs it: install
// redis-ha from the packed tarball (npm, offline from the cache this repository's `npm ci`
// filled, into a prefix of its own), deploy sentinel (fast profile), the gate with kill-master
// (--durability wait), cleanup. Beside it, the same steps by hand: the tutorial compose file up
// until it converged, a failover script (docker kill the master, poll a Sentinel until it names
// another), `down`. The tutorial file keeps Sentinel's default down-after (5 s) as tutorials
// do: that difference is part of what a user gets, and the split says where the time goes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { NO_AUTH, withConnection } from '../src/probes/connect.js';
import { sleep } from '../src/wait.js';
import { startTutorial } from './baseline.js';
import { beside, type Beside } from './beside.js';
import { IMAGE_FLAGS } from './images.js';
import { benchName, COMPOSE_PORT_BASE, DEPLOY_PORT_BASE } from './settings.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface SmokeRun {
  installMs: number;
  deployMs: number;
  gateMs: number;
  cleanupMs: number;
  totalMs: number;
}

export interface TutorialSmokeRun {
  upMs: number;
  failoverMs: number;
  downMs: number;
  totalMs: number;
}

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await run();
  return [performance.now() - t0, r];
}

/** One run of the job as the example runs it; `tarball` from `npm pack`. */
async function redisHaJob(tarball: string): Promise<SmokeRun> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
  const prefix = join(dir, 'npm-global');
  const env = { ...process.env, npm_config_prefix: prefix, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', NO_COLOR: '1' };
  const bin = join(prefix, 'bin', 'redis-ha');
  const name = benchName('smoke');
  const run = async (file: string, args: string[]) => {
    const r = await execa(file, args, { cwd: dir, env, reject: false, stdin: 'ignore', timeout: 600_000 });
    if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.exitCode}: ${String(r.stderr).slice(-800)}`);
  };
  try {
    const [installMs] = await timed(() => run('npm', ['install', '--global', tarball]));
    const [deployMs] = await timed(() => run(bin, ['deploy', 'sentinel', '--name', name, '--profile', 'fast', '--port-base', String(DEPLOY_PORT_BASE), ...IMAGE_FLAGS]));
    const [gateMs] = await timed(() => run(bin, ['test-failover', '--name', name, '--scenario', 'kill-master', '--durability', 'wait', '--max-write-gap-ms', '10000', '--junit', 'failover.xml']));
    const [cleanupMs] = await timed(() => run(bin, ['cleanup', '--name', name]));
    return { installMs, deployMs, gateMs, cleanupMs, totalMs: installMs + deployMs + gateMs + cleanupMs };
  } finally {
    await execa(process.execPath, [join(REPO, 'dist', 'src', 'cli.js'), 'cleanup', '--name', name], { cwd: dir, reject: false, stdin: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  }
}

const sentinelNames = (port: number) =>
  withConnection({ host: '127.0.0.1', port }, NO_AUTH, async (r) => String(((await r.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[] | null)?.[0] ?? ''), 500).catch(() => '');

/** The hand-written failover script: kill the master (redis-1, where the file starts it), poll a Sentinel until it names another. */
async function killAndPoll(project: { project: string; dir: string }): Promise<number> {
  const t0 = performance.now();
  // The tutorial's Sentinels answer with container IP addresses (resolve-hostnames, no announce-hostnames).
  const before = await sentinelNames(COMPOSE_PORT_BASE + 101);
  await execa('docker-compose', ['-p', project.project, '-f', join(project.dir, 'compose.yaml'), 'kill', 'redis-1'], { stdin: 'ignore' });
  for (;;) {
    const named = await sentinelNames(COMPOSE_PORT_BASE + 102);
    if (named && named !== before) return performance.now() - t0;
    if (performance.now() - t0 > 120_000) throw new Error('the tutorial Sentinels named no new master within 120 s');
    await sleep(100);
  }
}

/** The same steps by hand with the tutorial file. */
async function tutorialJob(image: string): Promise<TutorialSmokeRun> {
  const { project, timings } = await startTutorial(image);
  const failover = await killAndPoll(project).catch((err: Error) => err);
  const [downMs] = await timed(() => project.down());
  if (failover instanceof Error) throw failover;
  return { upMs: timings.totalMs, failoverMs: failover, downMs, totalMs: timings.totalMs + failover + downMs };
}

export async function benchSmoke(o: { runs: number; log: (line: string) => void }): Promise<{ rows: Beside[]; redisHa: SmokeRun[]; tutorial: TutorialSmokeRun[] }> {
  const packDir = await mkdtemp(join(tmpdir(), 'bench-pack-'));
  try {
    const packed = await execa('npm', ['pack', '--pack-destination', packDir, '--silent'], { cwd: REPO, stdin: 'ignore' });
    const tarball = join(packDir, String(packed.stdout).trim().split('\n').at(-1)!);
    const redisHa: SmokeRun[] = [];
    const tutorial: TutorialSmokeRun[] = [];
    for (let i = 0; i < o.runs; i++) {
      redisHa.push(await redisHaJob(tarball));
      o.log(`  smoke job ${i + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(redisHa.at(-1)!).map(([k, v]) => [k, Math.round(v)])))}`);
      tutorial.push(await tutorialJob(IMAGE_FLAGS[1]!));
      o.log(`  by hand ${i + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(tutorial.at(-1)!).map(([k, v]) => [k, Math.round(v)])))}`);
    }
    const rows = [
      beside('smoke job: install, deploy, gate (kill-master), cleanup', redisHa.map((r) => r.totalMs), 'tutorial file up, kill + poll script, down', tutorial.map((r) => r.totalMs)),
      beside('  without the install', redisHa.map((r) => r.totalMs - r.installMs), 'the same', tutorial.map((r) => r.totalMs)),
      beside('  deploy (until healthy)', redisHa.map((r) => r.deployMs), 'tutorial up until converged', tutorial.map((r) => r.upMs)),
      beside('  the gate: kill-master measured, healed, verified', redisHa.map((r) => r.gateMs), 'kill until a Sentinel names another (down-after 5 s)', tutorial.map((r) => r.failoverMs)),
      beside('  cleanup', redisHa.map((r) => r.cleanupMs), 'compose down -v', tutorial.map((r) => r.downMs)),
    ];
    return { rows, redisHa, tutorial };
  } finally {
    await rm(packDir, { recursive: true, force: true });
  }
}
