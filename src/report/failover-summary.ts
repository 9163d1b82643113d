// What test-failover prints: the line per scenario, the summary table (from the one column
// table the HTML report uses too), and the live progress line on stderr.
import type { Io } from '../io.js';
import type { Progress } from '../failover/run.js';
import type { LimitCheck } from '../failover/limits.js';
import { failoverTable, isClusterResult, type AnyScenario } from './failover-columns.js';
import { style, symbols } from './style.js';
import { formatTable } from './table.js';

/** What a summary needs of a run (the command's result). */
export interface FailoverRun {
  deployment: string;
  preset: string;
  profile: string;
  rate: number;
  durability: string;
  passed: boolean;
  scenarios: (AnyScenario & { limits?: LimitCheck[] })[];
  report?: string;
  junit?: string;
}

export interface ProgressIo {
  /** One plain line (non-TTY progress, notes). */
  print: (line: string) => void;
  /** Redraw the live line (TTY); undefined: print phase changes as plain lines. */
  live?: (line: string) => void;
}

const ms = (v: number | null) => (v === null ? '-' : `${v}`);

export function formatScenarioLine(r: AnyScenario): string {
  const head = r.passed ? symbols.ok() : symbols.fail();
  if (isClusterResult(r)) {
    const x = r.timings;
    const where = r.shard === null ? 'every node' : `shard ${r.shard} ${r.oldMaster ?? '?'} -> ${r.newMaster ?? '?'}`;
    const lines = [
      `${head} ${style.bold(r.scenario)}: ${where}, failover ${ms(x.failoverMs)} ms (cluster-node-timeout ${x.nodeTimeoutMs} ms), write gap its slots ${ms(x.failedShardWriteGapMs)} ms / other slots ${ms(x.otherShardsWriteGapMs)} ms, acked ${r.writes.acked}, failed ${r.writes.failed}, lost ${r.writes.lostAcked}, indeterminate ${r.writes.indeterminate} (read back: ${r.writes.resolvedApplied} applied, ${r.writes.resolvedNotApplied} not applied)`,
    ];
    for (const f of r.failures) lines.push(`    ${style.bad(f)}`);
    return lines.join('\n');
  }
  const lines = [
    `${head} ${style.bold(r.scenario)}${r.faultMode ? ` (${r.faultMode})` : ''}: ${r.oldMaster ?? '?'} -> ${r.newMaster ?? '?'}, switch ${ms(r.timings.switchMasterMs)} ms, write gap sentinel-client ${ms(r.timings.sentinelClientWriteGapMs)} ms / haproxy ${ms(r.timings.haproxyWriteGapMs)} ms, acked ${r.writes.acked}, lost ${r.writes.lostAcked}, indeterminate ${r.writes.indeterminate} (read back: ${r.writes.resolvedApplied} applied, ${r.writes.resolvedNotApplied} not applied)`,
  ];
  for (const f of r.failures) lines.push(`    ${style.bad(f)}`);
  return lines.join('\n');
}

export function formatSummary(r: FailoverRun): string {
  const { short, rows } = failoverTable(r.scenarios);
  const table = formatTable(
    short,
    rows,
    (line, row) => (row[1] === 'pass' ? line : style.bad(line)),
    style.dim,
  );
  const out = [
    `${style.bold(r.deployment)} (${r.preset}, profile ${r.profile}), ${r.rate} writes/s per path, durability ${r.durability}. Times in ms from the fault; indet: writes that timed out, unresolved after reading them back (applied / unapplied: resolved).`,
    ...table,
  ];
  for (const s of r.scenarios) for (const n of s.notes.filter((x) => !x.startsWith('healed:'))) out.push(style.dim(`  ${s.scenario}: ${n}`));
  const checks = r.scenarios.flatMap((s) => (s.limits ?? []).map((c) => ({ ...c, scenario: s.scenario })));
  if (checks.length) {
    const failed = checks.filter((c) => c.verdict === 'fail').length;
    const na = checks.filter((c) => c.verdict === 'not-applicable');
    out.push(`Limits: ${checks.length - na.length} checked, ${failed} exceeded${na.length ? `; not applicable (not measured, not passed): ${na.map((c) => `${c.scenario} --${c.limit}${c.path ? ` (${c.path})` : ''}: ${c.reason}`).join('; ')}` : ''}`);
  }
  if (r.report) out.push(`Report: ${r.report}`);
  if (r.junit) out.push(`JUnit: ${r.junit}`);
  out.push(r.passed ? `${symbols.ok()} every scenario passed` : `${symbols.fail()} ${style.bad(`${r.scenarios.filter((s) => !s.passed).length} scenario(s) failed`)}`);
  return out.join('\n');
}

/** The live line: scenario, phase, write counts so far, the master the Sentinels name. */
export const progressLine = (p: Progress): string =>
  `${p.scenario.padEnd(22)} ${p.phase.padEnd(8)} ok ${p.ok} failed ${p.failed} indeterminate ${p.indeterminate}  master ${p.master ?? '?'}`;

/** Progress on stderr (a live line on a terminal), so --json keeps stdout clean. */
export function progressIo(io: Io): ProgressIo {
  let drawn = false;
  return {
    print: (line) => {
      if (drawn) io.stderr.write('\r\x1b[2K');
      drawn = false;
      io.stderr.write(`${line}\n`);
    },
    live: io.live
      ? (line) => {
          io.stderr.write(`\r\x1b[2K${line.slice(0, io.columns - 1)}`);
          drawn = true;
        }
      : undefined,
  };
}
