// Benchmark: a redis.conf change (maxmemory) deployed onto a live `full` deployment (fast
// profile) under a write load (Sentinel client and HAProxy write port, 200 writes/s each),
// with --strategy rolling and, beside it, --strategy recreate; and, in the same run, one
// test-failover `switchover` (what "no more than one switchover's failed writes" compares with)
// and `rolling-restart`. Issue 9's targets: 0 acknowledged writes lost; failed writes on the
// HAProxy path no more than one switchover's. Called from bench/run.ts, or alone:
//   npm run build && node dist/bench/rolling.js
// BENCH_ROLLING_NAME / BENCH_ROLLING_PORT_BASE choose the deployment (default ro-bench on 16400).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKeyspace } from '../src/failover/verify.js';
import { haproxyClientOptions, Workload } from '../src/failover/workload.js';
import { readDeployment } from '../src/files/deployment.js';
import { median } from '../src/failover/metrics.js';
import { probeHost, redisNodes } from '../src/model/nodes.js';
import { withConnection } from '../src/probes/connect.js';
import { sentinelClientOptions } from '../src/probes/sentinel-client.js';
import { sleep } from '../src/wait.js';
import { cli } from './cli.js';
import { IMAGE_FLAGS } from './images.js';

interface PathFigures {
  total: number;
  failed: number;
  indeterminate: number;
}

interface DeployFigures {
  strategy: 'rolling' | 'recreate';
  deployMs: number;
  acked: number;
  lostAcked: number;
  sentinel: PathFigures;
  haproxy: PathFigures;
  /** Failed + indeterminate on the HAProxy path. */
  haproxyNotAcked: number;
}

export async function benchRolling(options: { runs?: number; log?: (line: string) => void } = {}): Promise<object> {
  const runs = options.runs ?? 3;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const name = process.env.BENCH_ROLLING_NAME ?? 'ro-bench';
  const portBase = Number(process.env.BENCH_ROLLING_PORT_BASE ?? 16400);
  const work = await mkdtemp(join(tmpdir(), 'ro-bench-'));
  const file = join(work, 'topology.yaml');
  const out = join(work, 'out');
  const images = { redis: IMAGE_FLAGS[1]!, haproxy: IMAGE_FLAGS[3]!, exporter: IMAGE_FLAGS[5]!, prometheus: IMAGE_FLAGS[7]! };
  const topology = (maxmemory: string) =>
    writeFile(
      file,
      `preset: full\nname: ${name}\nportBase: ${portBase}\nprofile: fast\nredis:\n  image: ${images.redis}\n  maxmemory: ${maxmemory}\nhaproxy:\n  image: ${images.haproxy}\nexporter:\n  image: ${images.exporter}\nmonitoring:\n  prometheus:\n    image: ${images.prometheus}\n`,
    );
  const results: { rolling: DeployFigures[]; recreate: DeployFigures[]; switchover: number[]; rollingRestart: object[] } = { rolling: [], recreate: [], switchover: [], rollingRestart: [] };

  /** One deploy of `maxmemory` with `strategy` under load. */
  const measured = async (strategy: 'rolling' | 'recreate', maxmemory: string): Promise<DeployFigures> => {
    const files = await readDeployment(out);
    const t = files.topology;
    const host = probeHost(t);
    const prefix = `ro-bench-${Date.now()}`;
    const workload = new Workload(
      [
        { via: 'sentinel', options: sentinelClientOptions(t, files.admin, host) },
        { via: 'haproxy', options: haproxyClientOptions(host, t.haproxy.writePort, files.admin) },
      ],
      { rate: 200, durability: 'async', prefix, maxMs: 300_000, now: () => performance.now() },
    );
    await topology(maxmemory);
    await workload.start();
    let deployMs: number;
    try {
      await sleep(1000);
      const started = performance.now();
      const r = await cli(['deploy', '--file', file, '--out', out, '--strategy', strategy, '--json'], 300_000);
      deployMs = Math.round(performance.now() - started);
      if (r.exitCode !== 0) throw new Error(`deploy --strategy ${strategy} failed: ${r.stderr.slice(-800)}`);
      await sleep(1500);
    } finally {
      await workload.stop();
    }
    const sentinelPort = t.portBase + 101;
    const master = await withConnection({ host, port: sentinelPort }, files.admin, async (x) => ((await x.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', t.sentinel.masterName)) as string[])[0]!);
    const node = redisNodes(t).find((n) => n.name === master)!;
    const { keys } = await readKeyspace(master, { host, port: node.hostPort }, files.admin, `tf:${prefix}:*`);
    const acked = workload.ops.filter((o) => o.outcome === 'ok');
    const per = (via: string): PathFigures => {
      const ops = workload.ops.filter((o) => o.via === via);
      return { total: ops.length, failed: ops.filter((o) => o.outcome === 'failed').length, indeterminate: ops.filter((o) => o.outcome === 'indeterminate').length };
    };
    const haproxy = per('haproxy');
    return { strategy, deployMs, acked: acked.length, lostAcked: acked.filter((o) => !keys.has(o.key)).length, sentinel: per('sentinel'), haproxy, haproxyNotAcked: haproxy.failed + haproxy.indeterminate };
  };

  try {
    await topology('0');
    const deployed = await cli(['deploy', '--file', file, '--out', out, '--json'], 300_000);
    if (deployed.exitCode !== 0) throw new Error(`deploy ${name} failed: ${deployed.stderr.slice(-800)}`);
    for (let i = 0; i < runs; i++) {
      results.rolling.push(await measured('rolling', `${100 + 2 * i}mb`));
      log(`rolling bench run ${i + 1} rolling: ${JSON.stringify(results.rolling.at(-1))}`);
      results.recreate.push(await measured('recreate', `${101 + 2 * i}mb`));
      log(`rolling bench run ${i + 1} recreate: ${JSON.stringify(results.recreate.at(-1))}`);
      const r = await cli(['test-failover', '--name', name, '--scenario', 'switchover', '--scenario', 'rolling-restart', '--json'], 600_000);
      try {
        const parsed = JSON.parse(r.stdout) as { scenarios: { scenario: string; passed: boolean; failures: string[]; writes: { failed: number; indeterminate: number; lostAcked: number }; timings: Record<string, number | null> }[] };
        for (const s of parsed.scenarios) {
          if (s.scenario === 'switchover') results.switchover.push(s.writes.failed + s.writes.indeterminate);
          else results.rollingRestart.push({ passed: s.passed, failures: s.failures, writes: s.writes, haproxyWriteGapMs: s.timings.haproxyWriteGapMs, sentinelClientWriteGapMs: s.timings.sentinelClientWriteGapMs });
        }
        log(`rolling bench run ${i + 1} test-failover: switchover not acked ${results.switchover.at(-1)}, rolling-restart ${JSON.stringify(results.rollingRestart.at(-1))}`);
      } catch {
        log(`rolling bench run ${i + 1}: test-failover exited ${r.exitCode} without a result: ${r.stderr.slice(-800)}`);
      }
    }
  } finally {
    await cli(['cleanup', '--name', name], 180_000);
    await rm(work, { recursive: true, force: true });
  }
  const med = (list: DeployFigures[], f: (x: DeployFigures) => number) => median(list.map(f));
  const switchoverMedian = median(results.switchover);
  const rollingHaproxy = med(results.rolling, (x) => x.haproxyNotAcked);
  return {
    benchmark: 'maxmemory change onto a live full deployment (fast profile) under 2 x 200 writes/s: rolling beside recreate',
    rolling: { runs: results.rolling, medians: { deployMs: med(results.rolling, (x) => x.deployMs), haproxyNotAcked: rollingHaproxy, sentinelFailed: med(results.rolling, (x) => x.sentinel.failed) }, lostAckedTotal: results.rolling.reduce((n, x) => n + x.lostAcked, 0) },
    recreate: { runs: results.recreate, medians: { deployMs: med(results.recreate, (x) => x.deployMs), haproxyNotAcked: med(results.recreate, (x) => x.haproxyNotAcked), sentinelFailed: med(results.recreate, (x) => x.sentinel.failed) }, lostAckedTotal: results.recreate.reduce((n, x) => n + x.lostAcked, 0) },
    oneSwitchover: { notAckedBothPaths: results.switchover, median: switchoverMedian },
    rollingRestartScenario: results.rollingRestart,
    targets: {
      lostAcked: 0,
      haproxyFailedAtMostOneSwitchover: true,
    },
    met: {
      lostAcked: results.rolling.every((x) => x.lostAcked === 0),
      // test-failover counts both paths together, so one switchover's count is an upper bound for its HAProxy path.
      haproxyFailedAtMostOneSwitchover: rollingHaproxy !== null && switchoverMedian !== null && rollingHaproxy <= switchoverMedian,
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchRolling({ runs: Number(process.env.BENCH_RUNS ?? 3) });
  console.log(JSON.stringify(result, null, 2));
}
