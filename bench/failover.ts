// Benchmark: kill-master on `full`, with the fast and the default profile, three runs each;
// medians of the write gaps against the targets. Called from bench/run.ts
// (`npm run bench`); deploys its own deployments (<prefix>-failover-*) and always removes them.
import { median } from '../src/failover/metrics.js';
import { cli } from './cli.js';
import { removeDeployment } from './deploy.js';
import { IMAGE_FLAGS } from './images.js';
import { benchName, DEPLOY_PORT_BASE } from './settings.js';

const PROFILES = [
  { profile: 'fast', name: benchName('failover-fast'), portBase: DEPLOY_PORT_BASE, downAfterMs: 1000, targets: { sentinelClientWriteGapMs: 2500, haproxyWriteGapMs: 3500 } },
  { profile: 'default', name: benchName('failover-default'), portBase: DEPLOY_PORT_BASE, downAfterMs: 5000, targets: { sentinelClientWriteGapMs: 7000, haproxyWriteGapMs: 7000 } },
] as const;

export interface RunFigures {
  sentinelClientWriteGapMs: number | null;
  haproxyWriteGapMs: number | null;
  switchMasterMs: number | null;
  passed: boolean;
  /** Why a run did not pass (test-failover's failures), so a failed run says so in the results. */
  failures?: string[];
}

export interface FailoverProfile {
  downAfterMs: number;
  runs: RunFigures[];
  medians: { sentinelClientWriteGapMs: number | null; haproxyWriteGapMs: number | null; switchMasterMs: number | null };
  targets: { sentinelClientWriteGapMs: number; haproxyWriteGapMs: number };
  met: { sentinelClientWriteGapMs: boolean; haproxyWriteGapMs: boolean };
}

export async function benchFailover(options: { runs?: number; profiles?: string[]; log?: (line: string) => void } = {}): Promise<{ benchmark: string } & Partial<Record<'fast' | 'default', FailoverProfile>>> {
  const runs = options.runs ?? 3;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out: Partial<Record<'fast' | 'default', FailoverProfile>> = {};
  for (const p of PROFILES.filter((x) => !options.profiles || options.profiles.includes(x.profile))) {
    const figures: RunFigures[] = [];
    try {
      const deployed = await cli(['deploy', 'full', '--profile', p.profile, '--name', p.name, '--port-base', String(p.portBase), ...IMAGE_FLAGS, '--json'], 300_000);
      if (deployed.exitCode !== 0) throw new Error(`deploy ${p.name} failed: ${(deployed.stderr.trim() || deployed.stdout).slice(-500)}`);
      for (let i = 0; i < runs; i++) {
        const r = await cli(['test-failover', '--name', p.name, '--scenario', 'kill-master', '--json'], 600_000);
        const s = (JSON.parse(r.stdout) as { scenarios: { passed: boolean; failures: string[]; timings: Record<string, number | null> }[] }).scenarios[0]!;
        figures.push({
          sentinelClientWriteGapMs: s.timings.sentinelClientWriteGapMs ?? null,
          haproxyWriteGapMs: s.timings.haproxyWriteGapMs ?? null,
          switchMasterMs: s.timings.switchMasterMs ?? null,
          passed: s.passed,
          ...(s.passed ? {} : { failures: s.failures }),
        });
        log(`failover bench ${p.profile} run ${i + 1}: ${JSON.stringify(figures.at(-1))}`);
      }
    } finally {
      await removeDeployment(p.name);
    }
    const medians = {
      sentinelClientWriteGapMs: median(figures.map((f) => f.sentinelClientWriteGapMs)),
      haproxyWriteGapMs: median(figures.map((f) => f.haproxyWriteGapMs)),
      switchMasterMs: median(figures.map((f) => f.switchMasterMs)),
    };
    out[p.profile] = {
      downAfterMs: p.downAfterMs,
      runs: figures,
      medians,
      targets: p.targets,
      met: {
        sentinelClientWriteGapMs: medians.sentinelClientWriteGapMs !== null && medians.sentinelClientWriteGapMs <= p.targets.sentinelClientWriteGapMs,
        haproxyWriteGapMs: medians.haproxyWriteGapMs !== null && medians.haproxyWriteGapMs <= p.targets.haproxyWriteGapMs,
      },
    };
  }
  return { benchmark: 'failover kill-master on full', ...out };
}
