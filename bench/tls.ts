// Benchmark: TLS beside plain text, in one run and interleaved (plain, TLS, plain, TLS ...) so
// that both see the same machine load. Time to healthy of `full` (target: TLS within 20 % of
// plain) and the kill-master write gaps on `full`, fast profile (target: within 10 %).
// Called from bench/run.ts unless BENCH_SKIP_TLS=1; alone: `node dist/bench/tls.js`.
// Deployments tl-bench-plain / tl-bench-tls on BENCH_TLS_PORT_BASE (+0 and +500), always removed.
import { pathToFileURL } from 'node:url';
import type { DeployResult } from '../src/commands/deploy.js';
import { median } from '../src/failover/metrics.js';
import { cli } from './cli.js';
import { IMAGE_FLAGS } from './images.js';

const TARGETS = { timeToHealthyRatio: 1.2, writeGapRatio: 1.1 };

const VARIANTS = [
  { label: 'plain', name: 'tl-bench-plain', offset: 0, flags: [] as string[] },
  { label: 'tls', name: 'tl-bench-tls', offset: 500, flags: ['--tls'] },
] as const;

type Label = (typeof VARIANTS)[number]['label'];

const ratio = (tls: number | null, plain: number | null) => (tls !== null && plain !== null && plain > 0 ? tls / plain : null);

export async function benchTls(options: { runs?: number; portBase?: number; log?: (line: string) => void } = {}): Promise<object> {
  const runs = options.runs ?? 3;
  const portBase = options.portBase ?? Number(process.env.BENCH_TLS_PORT_BASE ?? 9100);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const deployArgs = (v: (typeof VARIANTS)[number]) => ['deploy', 'full', '--profile', 'fast', '--name', v.name, '--port-base', String(portBase + v.offset), ...v.flags, ...IMAGE_FLAGS, '--json'];
  const cleanupAll = () => Promise.all(VARIANTS.map((v) => cli(['cleanup', '--name', v.name], 180_000)));

  const healthy: Record<Label, number[]> = { plain: [], tls: [] };
  const gaps: Record<Label, { sentinelClientWriteGapMs: number | null; haproxyWriteGapMs: number | null; passed: boolean }[]> = { plain: [], tls: [] };
  try {
    await cleanupAll();
    // Time to healthy: a fresh deploy each time (a TLS one issues its certificates on the first render).
    for (let i = 0; i < runs; i++) {
      for (const v of VARIANTS) {
        const r = await cli(deployArgs(v), 300_000);
        await cli(['cleanup', '--name', v.name], 180_000);
        if (r.exitCode !== 0) throw new Error(`deploy ${v.name} failed: ${r.stderr.slice(-500)}`);
        const total = (JSON.parse(r.stdout) as DeployResult).timings.totalMs;
        healthy[v.label].push(total);
        log(`tls bench time-to-healthy ${v.label} run ${i + 1}: ${(total / 1000).toFixed(2)} s`);
      }
    }
    // kill-master: both deployments up side by side, the scenario alternating between them.
    for (const v of VARIANTS) {
      const r = await cli(deployArgs(v), 300_000);
      if (r.exitCode !== 0) throw new Error(`deploy ${v.name} failed: ${r.stderr.slice(-500)}`);
    }
    for (let i = 0; i < runs; i++) {
      for (const v of VARIANTS) {
        const r = await cli(['test-failover', '--name', v.name, '--scenario', 'kill-master', '--json'], 600_000);
        const s = (JSON.parse(r.stdout) as { scenarios: { passed: boolean; timings: Record<string, number | null> }[] }).scenarios[0]!;
        gaps[v.label].push({
          sentinelClientWriteGapMs: s.timings.sentinelClientWriteGapMs ?? null,
          haproxyWriteGapMs: s.timings.haproxyWriteGapMs ?? null,
          passed: s.passed,
        });
        log(`tls bench kill-master ${v.label} run ${i + 1}: ${JSON.stringify(gaps[v.label].at(-1))}`);
      }
    }
  } finally {
    await cleanupAll();
  }

  const m = (label: Label) => ({
    timeToHealthyMs: median(healthy[label]),
    sentinelClientWriteGapMs: median(gaps[label].map((g) => g.sentinelClientWriteGapMs)),
    haproxyWriteGapMs: median(gaps[label].map((g) => g.haproxyWriteGapMs)),
  });
  const plain = m('plain');
  const tls = m('tls');
  const ratios = {
    timeToHealthy: ratio(tls.timeToHealthyMs, plain.timeToHealthyMs),
    sentinelClientWriteGap: ratio(tls.sentinelClientWriteGapMs, plain.sentinelClientWriteGapMs),
    haproxyWriteGap: ratio(tls.haproxyWriteGapMs, plain.haproxyWriteGapMs),
  };
  const within = (r: number | null, limit: number) => r !== null && r <= limit;
  return {
    benchmark: 'TLS beside plain text (full, fast profile), interleaved',
    runs: { timeToHealthyMs: healthy, killMaster: gaps },
    medians: { plain, tls },
    ratios,
    targets: TARGETS,
    met: {
      timeToHealthy: within(ratios.timeToHealthy, TARGETS.timeToHealthyRatio),
      sentinelClientWriteGap: within(ratios.sentinelClientWriteGap, TARGETS.writeGapRatio),
      haproxyWriteGap: within(ratios.haproxyWriteGap, TARGETS.writeGapRatio),
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchTls({ runs: Number(process.env.BENCH_RUNS ?? 3) }), null, 2));
}
