// `redis-ha test-failover`: inject faults into a deployed topology, one scenario after the
// other, and report with figures what happened: outage, lost writes, dual masters, rejoin.
import { lines, type Io } from '../io.js';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readDeployment } from '../files/deployment.js';
import { probeHost } from '../model/nodes.js';
import type { TargetName } from '../model/schema.js';
import type { Deployment } from '../deployment.js';
import { swarmHostOf } from '../runtime/swarm-plan.js';
import { swarmRuntimeFor } from './deploy.js';
import { HealStack } from '../failover/heal.js';
import { renderHtmlReport } from '../failover/html-report.js';
import { InterruptedError, runScenario, type Progress, type ScenarioResult } from '../failover/run.js';
import { selectScenarios } from '../failover/scenarios.js';
import type { Durability } from '../failover/workload.js';
import { printJson, style, symbols } from '../report/style.js';
import type { CommandContext } from './context.js';
import { locateDeployment } from './locate.js';

export interface TestFailoverOptions {
  name?: string;
  dir?: string;
  /** Scenario names, or `all`; empty: the scenarios that fit the preset. */
  scenario?: string[];
  /** Writes per second on each client path. */
  rate?: number;
  durability?: Durability;
  json?: boolean;
  /** Path of the HTML report to write. */
  report?: string;
  /** compose | swarm; default: the deployment's own (topology.json). */
  target?: TargetName;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
}

export interface TestFailoverResult {
  deployment: string;
  preset: string;
  profile: string;
  rate: number;
  durability: Durability;
  passed: boolean;
  scenarios: Omit<ScenarioResult, 'recording'>[];
  report?: string;
}

export interface TestFailoverIo {
  /** One plain line (non-TTY progress, notes). */
  print: (line: string) => void;
  /** Redraw the live line (TTY); undefined: print phase changes as plain lines. */
  live?: (line: string) => void;
}

export interface TestFailoverContext extends CommandContext {
  /** Runs one scenario (tests substitute their own). */
  runScenario?: typeof runScenario;
}

export async function testFailover(options: TestFailoverOptions, ctx: TestFailoverContext): Promise<TestFailoverResult> {
  const { signal } = ctx;
  let runtime = ctx.runtime;
  const io = progressIo(ctx.io);
  const rate = options.rate ?? 200;
  if (!Number.isFinite(rate) || rate <= 0 || rate > 5000) throw new UsageError(`--rate ${rate} is out of range`, 'use 1 to 5000 writes per second');
  const durability = options.durability ?? 'async';
  if (durability !== 'async' && durability !== 'wait') throw new UsageError(`--durability ${durability}: use async or wait`);
  const files = await readDeployment(await locateDeployment(options, runtime, ctx.io.cwd));
  const t = files.topology;
  const { selected: scenarios, skipped } = selectScenarios(t, options.scenario);
  for (const reason of skipped) io.print(style.dim(`skipped: ${reason}`));
  const deployment: Deployment = { topology: t, password: files.password, host: probeHost(t) };
  if ((options.target ?? t.target) === 'swarm') {
    const swarm = await swarmRuntimeFor(ctx, files.dir, options.nodeHost);
    runtime = swarm;
    await runtime.checkEngine();
    deployment.hostOf = await swarmHostOf(swarm, t);
  } else {
    await runtime.checkEngine();
  }
  const run = ctx.runScenario ?? runScenario;

  // Ctrl-C (the signal): the running scenario stops, and every injected fault is healed before exit 130.
  const heal = new HealStack();
  const onAbort = () => io.print(style.warn('interrupted: stopping; healing every injected fault first'));
  signal.addEventListener('abort', onAbort, { once: true });
  const results: ScenarioResult[] = [];
  let lastPhase = '';
  const onProgress = (p: Progress) => {
    const line = `${p.scenario.padEnd(22)} ${p.phase.padEnd(8)} ok ${p.ok} failed ${p.failed} indeterminate ${p.indeterminate}  master ${p.master ?? '?'}`;
    if (io.live) io.live(line);
    else if (`${p.scenario}/${p.phase}` !== lastPhase) io.print(line);
    lastPhase = `${p.scenario}/${p.phase}`;
  };
  try {
    for (const name of scenarios) {
      signal.throwIfAborted();
      const r = await run(name, { deployment, runtime, rate, durability, signal, heal, onProgress });
      results.push(r);
      io.print(formatScenarioLine(r));
    }
  } catch (err) {
    if (signal.aborted || err instanceof InterruptedError) throw new InterruptedError();
    throw err;
  } finally {
    // Normally empty already; after an error it undoes whatever is still injected.
    const failures = await heal.runAll((label) => io.print(style.dim(`healing: ${label}`)));
    for (const f of failures) io.print(style.bad(`healing failed: ${f}`));
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw new InterruptedError();
  const result: TestFailoverResult = {
    deployment: t.name,
    preset: t.preset,
    profile: t.profile,
    rate,
    durability,
    passed: results.every((r) => r.passed),
    scenarios: results.map(({ recording: _recording, ...rest }) => rest),
  };
  if (options.report) {
    const path = resolve(ctx.io.cwd, options.report);
    await writeFile(path, renderHtmlReport({ deployment: t.name, preset: t.preset, profile: t.profile, generatedAt: new Date().toISOString(), scenarios: results }));
    result.report = path;
  }
  return result;
}

const ms = (v: number | null) => (v === null ? '-' : `${v}`);

export function formatScenarioLine(r: ScenarioResult): string {
  const head = r.passed ? symbols.ok() : symbols.fail();
  const lines = [
    `${head} ${style.bold(r.scenario)}: ${r.oldMaster ?? '?'} -> ${r.newMaster ?? '?'}, switch ${ms(r.timings.switchMasterMs)} ms, write gap sentinel-client ${ms(r.timings.sentinelClientWriteGapMs)} ms / haproxy ${ms(r.timings.haproxyWriteGapMs)} ms, acked ${r.writes.acked}, lost ${r.writes.lostAcked}, indeterminate ${r.writes.indeterminate} (read back: ${r.writes.resolvedApplied} applied, ${r.writes.resolvedNotApplied} not applied)`,
  ];
  for (const f of r.failures) lines.push(`    ${style.bad(f)}`);
  return lines.join('\n');
}

export function formatSummary(r: TestFailoverResult): string {
  const header = ['scenario', 'result', 'old->new', 'sdown', 'odown', 'switch', 'gap:sent', 'gap:hap', 'acked', 'failed', 'indet', 'applied', 'unapplied', 'lost', 'dual ms', 'hap->old', 'rejoin', 'resync'];
  const rows = r.scenarios.map((s) => [
    s.scenario,
    s.passed ? 'pass' : 'FAIL',
    `${s.oldMaster ?? '?'}->${s.newMaster ?? '?'}`,
    ms(s.timings.sdownMs),
    ms(s.timings.odownMs),
    ms(s.timings.switchMasterMs),
    ms(s.timings.sentinelClientWriteGapMs),
    ms(s.timings.haproxyWriteGapMs),
    String(s.writes.acked),
    String(s.writes.failed),
    String(s.writes.indeterminate),
    String(s.writes.resolvedApplied),
    String(s.writes.resolvedNotApplied),
    String(s.writes.lostAcked),
    String(s.dualMaster.windowMs),
    String(s.dualMaster.haproxyRoutedToOldMaster),
    s.rejoin.oldMasterRole ?? '?',
    s.rejoin.resync,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [
    `${style.bold(r.deployment)} (${r.preset}, profile ${r.profile}), ${r.rate} writes/s per path, durability ${r.durability}. Times in ms from the fault; indet: writes that timed out, unresolved after reading them back (applied / unapplied: resolved).`,
    style.dim(fmt(header)),
    ...rows.map((row) => (row[1] === 'pass' ? fmt(row) : style.bad(fmt(row)))),
  ];
  for (const s of r.scenarios) for (const n of s.notes.filter((x) => !x.startsWith('healed:'))) out.push(style.dim(`  ${s.scenario}: ${n}`));
  if (r.report) out.push(`Report: ${r.report}`);
  out.push(r.passed ? `${symbols.ok()} every scenario passed` : `${symbols.fail()} ${style.bad(`${r.scenarios.filter((s) => !s.passed).length} scenario(s) failed`)}`);
  return out.join('\n');
}

export function printTestFailover(r: TestFailoverResult, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) printJson(io.stdout, r);
  else out(formatSummary(r));
}

/** Progress on stderr (a live line on a terminal), so --json keeps stdout clean. */
function progressIo(io: Io): TestFailoverIo {
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
