// `redis-ha test-failover`: inject faults into a deployed topology, one scenario after the
// other, and report with figures what happened: outage, lost writes, dual masters, rejoin.
import { lines, type Io } from '../io.js';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readDeployment } from '../files/deployment.js';
import { checkWritable, writeFileAtomic } from '../files/writer.js';
import { probeHost } from '../model/nodes.js';
import type { TargetName } from '../model/schema.js';
import type { Deployment } from '../deployment.js';
import { HealStack } from '../operations/heal.js';
import { InterruptedError, runScenario, type Progress, type ScenarioResult } from '../failover/run.js';
import { SCENARIO_NAMES, selectScenarios, type ScenarioName } from '../failover/scenarios.js';
import { runClusterScenario, type ClusterScenarioResult } from '../failover/cluster-run.js';
import { clusterScenario, selectClusterScenarios, type ClusterScenarioName } from '../failover/cluster-scenarios.js';
import { checkLimits, limitFailures, parseLimits, type LimitCheck, type Limits } from '../failover/limits.js';
import { renderJunit } from '../report/junit.js';
import { failoverSummary } from '../report/step-summary.js';
import type { Durability } from '../failover/workload.js';
import { formatScenarioLine, formatSummary, progressIo, progressLine } from '../report/failover-summary.js';
import { renderHtmlReport } from '../report/html-report.js';
import { printJson, style } from '../report/style.js';
import { appendStepSummary, liveEngine, type CommandContext } from './context.js';
import { locateDeployment } from './locate.js';
import { labNodeFaultHooks, needsLab, parseNodeFaultModes } from './node-fault-modes.js';
import type { NodeFaultOptions } from '../failover/fault-context.js';

export interface TestFailoverOptions extends Limits {
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
  /** Path of the JUnit XML report to write. */
  junit?: string;
  /** compose | swarm; default: the deployment's own (topology.json). */
  target?: TargetName;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
  /** kill-node: `containers` (default) or `engine` (lab nodes: the node's whole engine). */
  nodeFault?: string;
  /** partition-node: `network` (default) or `link` (lab nodes: the node's link down). */
  partition?: string;
}

export interface TestFailoverResult {
  deployment: string;
  preset: string;
  profile: string;
  rate: number;
  durability: Durability;
  /** How kill-node / partition-node inject, when the run includes them. */
  nodeFault?: string;
  partition?: string;
  passed: boolean;
  /** The limits of the gate (--max-*), as applied (--durability wait implies --max-lost-acked 0). */
  limits: Limits;
  scenarios: GatedScenario[];
  /** Scenarios that did not fit the deployment, with the reason. */
  skipped: { scenario: string; reason: string }[];
  report?: string;
  junit?: string;
}

/** A scenario's result (a cluster's has its own figures) with the gate's verdict on each limit, and how long it ran. */
export type GatedScenario = (Omit<ScenarioResult, 'recording'> | ClusterScenarioResult) & { limits: LimitCheck[]; durationMs: number };

export interface TestFailoverContext extends CommandContext {
  /** Runs one scenario (tests substitute their own). */
  runScenario?: typeof runScenario;
  /** Runs one scenario on a cluster (tests substitute their own). */
  runClusterScenario?: typeof runClusterScenario;
}

export async function testFailover(options: TestFailoverOptions, ctx: TestFailoverContext): Promise<TestFailoverResult> {
  const { signal } = ctx;
  const io = progressIo(ctx.io);
  const rate = options.rate ?? 200;
  if (!Number.isFinite(rate) || rate <= 0 || rate > 5000) throw new UsageError(`--rate ${rate} is out of range`, 'use 1 to 5000 writes per second');
  const durability = options.durability ?? 'async';
  if (durability !== 'async' && durability !== 'wait') throw new UsageError(`--durability ${durability}: use async or wait`);
  const files = await readDeployment(await locateDeployment(options, ctx.runtime, ctx.io.cwd));
  const t = files.topology;
  // A cluster has its own table of scenarios (one shard at a time) and figures.
  const cluster = t.cluster.enabled;
  const { selected: scenarios, skipped }: { selected: (ScenarioName | ClusterScenarioName)[]; skipped: string[] } = cluster ? selectClusterScenarios(t, options.scenario) : selectScenarios(t, options.scenario);
  const modes = parseNodeFaultModes(options, cluster ? [] : (scenarios as ScenarioName[]), options.target ?? t.target);
  if (cluster && durability === 'wait' && t.cluster.replicasPerShard === 0) {
    throw new UsageError(`--durability wait: ${t.name} has no replicas (replicasPerShard 0), so no WAIT 1 can ever be acknowledged`, 'use --durability async');
  }
  const limits = parseLimits(options, durability, t);
  // Report paths are checked before any fault goes in: a run must not end unable to say how it went.
  const reportPath = options.report ? resolve(ctx.io.cwd, options.report) : undefined;
  const junitPath = options.junit ? resolve(ctx.io.cwd, options.junit) : undefined;
  if (reportPath) await checkWritable(reportPath, '--report');
  if (junitPath) await checkWritable(junitPath, '--junit');
  const startedAt = new Date().toISOString();
  for (const reason of skipped) io.print(style.dim(`skipped: ${reason}`));
  const { runtime, hostOf } = await liveEngine(ctx, files.dir, t, options);
  const deployment: Deployment = { topology: t, auth: files.admin, stats: files.stats, host: probeHost(t), hostOf };
  const nodeFaults: NodeFaultOptions = { ...modes };
  const swarm = runtime.multiNode;
  if (needsLab(modes) && swarm) nodeFaults.hooks = await labNodeFaultHooks(modes, (await swarm.nodes()).map((n) => n.hostname), swarm.nodeHosts, ctx.runner);
  const run = ctx.runScenario ?? runScenario;
  const runCluster = ctx.runClusterScenario ?? runClusterScenario;

  // Ctrl-C (the signal): the running scenario stops, and every injected fault is healed before exit 130.
  const heal = new HealStack();
  const onAbort = () => io.print(style.warn('interrupted: stopping; healing every injected fault first'));
  signal.addEventListener('abort', onAbort, { once: true });
  const results: ((ScenarioResult | ClusterScenarioResult) & { limits: LimitCheck[]; durationMs: number })[] = [];
  let lastPhase = '';
  const onProgress = (p: Progress) => {
    const line = progressLine(p);
    if (io.live) io.live(line);
    else if (`${p.scenario}/${p.phase}` !== lastPhase) io.print(line);
    lastPhase = `${p.scenario}/${p.phase}`;
  };
  try {
    for (const [i, name] of scenarios.entries()) {
      signal.throwIfAborted();
      const began = performance.now();
      // On a cluster each scenario takes the next shard in turn.
      const r = cluster
        ? await runCluster(name as ClusterScenarioName, { deployment, runtime, rate, durability, shard: (i % t.cluster.shards) + 1, signal, heal, onProgress })
        : await run(name as ScenarioName, { deployment, runtime, rate, durability, signal, heal, nodeFaults, onProgress });
      // The gate: a limit exceeded fails the scenario, with the figure and the limit.
      const checks = checkLimits(r, limits, t, cluster ? clusterScenario(name as ClusterScenarioName).notGated : undefined);
      const over = limitFailures(checks);
      const gated = { ...r, failures: [...r.failures, ...over], passed: r.passed && over.length === 0, limits: checks, durationMs: Math.round(performance.now() - began) };
      results.push(gated);
      io.print(formatScenarioLine(gated));
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
    ...(scenarios.includes('kill-node') ? { nodeFault: modes.kill } : {}),
    ...(scenarios.includes('partition-node') ? { partition: modes.partition } : {}),
    passed: results.every((r) => r.passed),
    limits,
    scenarios: results.map((r) => {
      if (!('recording' in r)) return r;
      const { recording: _recording, ...rest } = r;
      return rest;
    }),
    skipped: skipped.map((reason) => ({ scenario: SCENARIO_NAMES.find((n) => reason.startsWith(`${n} `)) ?? reason.split(' ')[0]!, reason })),
  };
  if (reportPath) {
    await writeFileAtomic(reportPath, renderHtmlReport({ deployment: t.name, preset: t.preset, profile: t.profile, generatedAt: new Date().toISOString(), scenarios: results }));
    result.report = reportPath;
  }
  if (junitPath) {
    await writeFileAtomic(junitPath, renderJunit({ ...result, startedAt }));
    result.junit = junitPath;
  }
  await appendStepSummary(ctx.io, failoverSummary(result));
  return result;
}

export function printTestFailover(r: TestFailoverResult, json: boolean, io: Io): void {
  const { out } = lines(io);
  if (json) printJson(io.stdout, r);
  else out(formatSummary(r));
}

