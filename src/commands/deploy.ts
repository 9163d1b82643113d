// `redis-ha deploy`: render, preflight, compose up, then wait until every check is green.
import { lines, type Io } from '../io.js';
import { join } from 'node:path';
import { EnvironmentError, EXIT, FailedError, RedisHaError, UsageError } from '../errors.js';
import { type CheckName, type StatusSnapshot } from '../health/status.js';
import { natMap, probeHost, redisNodes } from '../model/nodes.js';
import { WaitTimeoutError, type Clock } from '../wait.js';
import type { Problem } from '../model/problems.js';
import type { Topology } from '../model/schema.js';
import { tail } from '../runtime/exec.js';
import { preflight } from '../runtime/preflight.js';
import type { ContainerInfo, MultiNodeEngine, Runtime } from '../runtime/runtime.js';
import { endpoints, snippets, type Endpoint, type Snippets } from '../report/snippets.js';
import { clientFiles } from '../report/client-modules.js';
import { formatProblems, printJson, style, symbols } from '../report/style.js';
import { TaskList } from '../report/tasks.js';
import { COMPOSE_FILE, STACK_FILE, TOPOLOGY_FILE } from '../synth/synthesize.js';
import { hostsOf, type Deployment } from '../deployment.js';
import { writeNodeHosts } from '../files/node-hosts.js';
import { removeStageFile, writeClientFiles, writeFileAtomic } from '../files/writer.js';
import { parseNodeHosts } from '../runtime/node-hosts.js';
import { swarmPreflight, type SwarmPreflight } from '../runtime/swarm-preflight.js';
import { serviceAddresses } from '../runtime/swarm-plan.js';
import { appendStepSummary, swarmRuntimeFor, type CommandContext } from './context.js';
import { deploySummary } from '../report/step-summary.js';
import { engineFeatures, render, type RenderOptions } from './render.js';
import { readFile } from 'node:fs/promises';
import { describeStep, planClusterRollout, planRollout, type RolloutPlan } from '../operations/rollout-plan.js';
import { readClusterRolloutInput, readRolloutInput, renderedConfigHashes, runRollout, setSentinelRelink, swarmRolloutInput, type RolloutResult } from '../operations/rolling.js';
import { DEFAULT_RELINK_MS, SWARM_RELINK_MS } from '../probes/sentinel.js';
import { stackRollout, type StackRollout } from '../operations/stack-rollout.js';
import { prepareDeployRestore, restoreNewDeployment } from './deploy-restore.js';
import { outDir } from './topology-options.js';
import type { RestoreOutcome } from '../operations/restore.js';
import type { ClusterRestoreOutcome } from '../operations/cluster-restore.js';
import { waitHealthy } from '../health/wait-healthy.js';
import { describeClusterStep, formCluster } from '../operations/cluster-create.js';

export interface DeployOptions extends RenderOptions {
  /** Seconds to wait for health. */
  timeout?: number;
  /** false: return right after `compose up`. */
  wait?: boolean;
  showSecrets?: boolean;
  /** Show the live task list (the CLI turns it off for --json). */
  progress?: boolean;
  /**
   * Onto a live deployment: rolling (default) changes one node at a time with a switchover
   * before the master; recreate runs one `compose up` that re-creates every changed service at
   * once (development). Both then apply Sentinel settings live, reload HAProxy, remove what the
   * topology no longer has.
   */
  strategy?: 'rolling' | 'recreate';
  /** Swarm: `NODE=DOCKER_HOST` per node (recorded in the deployment directory for later commands). */
  nodeHost?: string[];
  /** A backup to start a new deployment from (see deploy-restore.ts). */
  restore?: string;
}

/** Milliseconds from the command's (process's) start until each step was done. */
export interface DeployTimings {
  renderMs: number;
  preflightMs: number;
  composeUpMs: number;
  containersMs?: number;
  /** Cluster: the slots, meets and replicas done (or found done). */
  clusterCreatedMs?: number;
  replicasLinkedMs?: number;
  clusterHealthyMs?: number;
  sentinelsConvergedMs?: number;
  haproxyRoutingMs?: number;
  exporterMs?: number;
  monitoringMs?: number;
  driftMs?: number;
  totalMs: number;
}

export interface DeployResult {
  deployment: string;
  preset: string;
  dir: string;
  compose: string;
  firstDeploy: boolean;
  healthy: boolean;
  waited: boolean;
  timings: DeployTimings;
  warnings: Problem[];
  endpoints: Endpoint[];
  snippets: Snippets;
  /** The files written under <dir>/clients/ (modules for ioredis and redis-py, a dotenv file). */
  clients: string[];
  natMap: StatusSnapshot['natMap'];
  status?: StatusSnapshot;
  /** A deploy onto a live deployment: what changed, step by step. */
  rollout?: { strategy: 'rolling' | 'recreate'; plan: string[]; steps: RolloutResult['steps']; switchovers: RolloutResult['switchovers']; clusterFailovers?: RolloutResult['clusterFailovers']; clusterScale?: RolloutResult['clusterScale'] };
  /** Cluster: the steps run to create it (none when it was already formed). */
  clusterSteps?: string[];
  /** With --restore: what was restored, per node key count and digest. */
  restored?: (RestoreOutcome | ClusterRestoreOutcome) & { file: string };
}

const CHECK_TASKS: { check: CheckName; title: string; timing: keyof DeployTimings }[] = [
  { check: 'containers', title: 'containers running and healthy', timing: 'containersMs' },
  { check: 'replication', title: 'replicas linked and caught up', timing: 'replicasLinkedMs' },
  { check: 'cluster', title: 'cluster: every slot served, cluster_state:ok everywhere, one slot map, replicas linked and caught up', timing: 'clusterHealthyMs' },
  { check: 'sentinels', title: 'Sentinels agree, see every node, CKQUORUM OK', timing: 'sentinelsConvergedMs' },
  { check: 'haproxy', title: 'HAProxy routes writes to the master, reads to a replica', timing: 'haproxyRoutingMs' },
  { check: 'exporter', title: 'exporter serves redis_up 1 for every node', timing: 'exporterMs' },
  { check: 'monitoring', title: 'Prometheus ready, no target down', timing: 'monitoringMs' },
  { check: 'drift', title: 'every process runs the rendered settings', timing: 'driftMs' },
];

function applicableChecks(t: Topology) {
  return CHECK_TASKS.filter(
    (c) =>
      (c.check !== 'replication' || !t.cluster.enabled) &&
      (c.check !== 'cluster' || t.cluster.enabled) &&
      (c.check !== 'sentinels' || t.sentinel.enabled) &&
      (c.check !== 'haproxy' || t.haproxy.enabled) &&
      (c.check !== 'exporter' || t.exporter.enabled) &&
      (c.check !== 'monitoring' || t.monitoring.enabled),
  );
}

export interface DeployContext extends CommandContext {
  /** The wait's clock (tests pass a fake one). */
  clock?: Clock;
}

type Stage = 'preflight' | 'up' | 'wait';

/** Ctrl-C at a stage: what state the deployment is in, and how to look at it or remove it. */
function interrupted(name: string, stage: Stage, detail: string): RedisHaError {
  const state = {
    preflight: `before compose up; nothing was started (only the files were rendered)`,
    up: detail,
    wait: `while waiting for health; deployment ${name} is started and left as it is`,
  }[stage];
  return new RedisHaError(
    `interrupted ${state}`,
    EXIT.interrupted,
    `see \`redis-ha status --name ${name}\`, remove with \`redis-ha cleanup --name ${name}\``,
  );
}

export async function deploy(options: DeployOptions, ctx: DeployContext): Promise<DeployResult> {
  const { signal, io } = ctx;
  let runtime = ctx.runtime;
  // Bad --node-host values are refused before anything is written.
  parseNodeHosts(options.nodeHost);
  // performance.now() counts from the process start: the timings include Node's start-up.
  const since = () => Math.round(performance.now());
  const tasks = new TaskList(io.stderr, io.live, options.progress !== false, io.columns);

  tasks.add('render', 'render files');
  tasks.add('preflight', 'preflight: engine, compose, images, ports');
  tasks.add('up', 'compose up');
  // The task list must stop whatever fails (its timer would keep the process alive).
  try {
    signal.throwIfAborted();
    const engineFor = async (topology: Topology) =>
      topology.target === 'swarm' ? (await swarmRuntimeFor(ctx, outDir(options, topology.name, io.cwd), options.nodeHost)).runtime : runtime;
    const pendingRestore = options.restore ? await prepareDeployRestore({ ...options, restore: options.restore }, engineFor, io.cwd) : undefined;
    tasks.start('render');
    let rendered;
    let swarm: MultiNodeEngine | undefined;
    try {
      // The compose file uses what the engine takes (healthcheck.start_interval on Engine >= 25;
      // a stack file does not depend on it).
      rendered = await render(options, { cwd: io.cwd, features: await engineFeatures(runtime), beforeWrite: (next, dir) => refuseClusterReshape(runtime, next, dir, options.strategy ?? 'rolling') });
      if (rendered.topology.target === 'swarm') ({ runtime, swarm } = await swarmRuntimeFor(ctx, rendered.files.dir, options.nodeHost));
    } catch (err) {
      tasks.finish('render', 'failed');
      throw err;
    }
    const t = rendered.topology;
    const timings: DeployTimings = { renderMs: since(), preflightMs: 0, composeUpMs: 0, totalMs: 0 };
    tasks.finish('render', 'done', rendered.files.dir);
    const checks = options.wait === false ? [] : applicableChecks(t);
    if (t.cluster.enabled) tasks.add('cluster-create', 'cluster created (slots, CLUSTER MEET, CLUSTER REPLICATE) once every node answers');
    for (const c of checks) tasks.add(c.check, c.title);

    // Ctrl-C (the signal) stops redis-ha, not what it started: a pull is cancelled, `compose up`
    // is let finish (a first deploy is then rolled back), the wait stops.
    tasks.start('preflight');
    let pre: { engine: string; tool: string; existing: ContainerInfo[] };
    let swarmPre: SwarmPreflight | undefined;
    try {
      if (swarm) pre = swarmPre = await swarmPreflight(runtime, swarm, t, signal);
      else pre = await preflight(runtime, t, signal);
      signal.throwIfAborted();
    } catch (err) {
      tasks.finish('preflight', signal.aborted ? 'skipped' : 'failed');
      throw signal.aborted ? interrupted(t.name, 'preflight', '') : err;
    }
    timings.preflightMs = since();
    tasks.finish('preflight', 'done', `engine ${pre.engine}, ${swarmPre ? `swarm of ${swarmPre.nodes.length} nodes` : `compose ${pre.tool}`}`);
    if (swarmPre) rendered.warnings.push(...swarmPre.warnings);
    const toolVersion = runtime.toolVersion().catch(() => 'unknown');

    const project = { name: t.name, dir: rendered.files.dir, file: join(rendered.files.dir, swarm ? STACK_FILE : COMPOSE_FILE) };
    const firstDeploy = pre.existing.length === 0;
    if (signal.aborted) throw interrupted(t.name, 'preflight', '');
    const d: Deployment = { topology: t, auth: rendered.admin, stats: rendered.stats, host: probeHost(t) };
    if (swarm && swarmPre) d.hostOf = serviceAddresses(swarmPre.plan.pinned, swarmPre.nodes, (s) => swarm.nodesRunning(s));
    const strategy = options.strategy ?? 'rolling';
    let rollout: DeployResult['rollout'];
    // Onto a live deployment: the changes, one node at a time (or, recreate, all at once and then
    // what compose cannot do: live Sentinel settings, HAProxy reload, removals).
    const applyPlan = async (only?: RolloutPlan['steps'][number]['kind'][], stack?: { live: string; rollout: StackRollout }) => {
      const nextText = await readFile(project.file, 'utf8');
      const hashes = renderedConfigHashes(nextText);
      let plan: RolloutPlan;
      if (t.cluster.enabled) {
        plan = planClusterRollout(await readClusterRolloutInput(d, await runtime.containers(t.name), hashes));
      } else {
        const input = await readRolloutInput(d, await runtime.containers(t.name), hashes);
        if (stack) Object.assign(input, swarmRolloutInput(input, stack.live, nextText));
        plan = planRollout(input);
      }
      if (only) plan.steps = plan.steps.filter((x) => only.includes(x.kind));
      const result = await runRollout(plan, {
        runtime,
        project,
        deployment: d,
        signal,
        progress: tasks,
        ...(stack ? { replace: (service: string) => stack.rollout.update(service), stack: stack.rollout } : {}),
      });
      rollout = { strategy, plan: plan.steps.map(describeStep), steps: result.steps, switchovers: result.switchovers, ...(result.clusterFailovers ? { clusterFailovers: result.clusterFailovers } : {}), ...(result.clusterScale ? { clusterScale: result.clusterScale } : {}) };
      if (result.interrupted) {
        tasks.close();
        throw new RedisHaError(
          `interrupted during the rolling deploy of ${t.name} after ${result.steps.length} of ${plan.steps.length} steps; the deployment is healthy (checked after the last step)` +
            (result.notDone.length ? `; still on the old config (or not yet added / removed): ${result.notDone.join(', ')}` : ''),
          EXIT.interrupted,
          `deploy again with the same options to finish; see \`redis-ha status --name ${t.name}\``,
        );
      }
    };
    // A cluster rolls too: replicas first, then each master after a CLUSTER FAILOVER away from it.
    if (!firstDeploy && strategy === 'rolling' && t.target === 'compose') {
      tasks.finish('up', 'skipped', 'rolling deploy: one node at a time');
      await applyPlan();
      timings.composeUpMs = since();
    } else if (!firstDeploy && strategy === 'rolling' && swarm && swarmPre && rendered.replacedStack) {
      // Swarm would update every changed service at once: one at a time instead, each from a
      // staged stack file (operations/stack-rollout.ts), then the whole new file (no change left
      // but the pruning of unused configs and secrets).
      tasks.finish('up', 'skipped', 'rolling deploy: one service at a time');
      await writeNodeHosts(project.dir, swarm.nodeHosts);
      await swarm.addNodeLabels(swarmPre.plan.add);
      const stackSteps = stackRollout(runtime, project, rendered.replacedStack, await readFile(project.file, 'utf8'), {
        timeoutMs: (options.timeout ?? 120) * 1000,
        files: { write: (path, text) => writeFileAtomic(path, text), remove: removeStageFile },
      });
      // The staged file says what runs at each step; a rollout that stops half-way (Ctrl-C, a
      // failed step) leaves it, and the next render takes it as the live stack, so the next
      // deploy goes on one service at a time instead of updating every remaining one at once.
      await stackSteps.record();
      await applyPlan(undefined, { live: rendered.replacedStack, rollout: stackSteps });
      if (!signal.aborted) {
        await runtime.up(project);
        await stackSteps.close();
        // A node scaled away leaves no placement label behind.
        await swarm.removeNodeLabels(t.name, (service) => service in swarmPre.plan.pinned);
      }
      timings.composeUpMs = since();
    } else {
      tasks.start('up');
      try {
        if (swarm && swarmPre) {
          // Later commands reach every node the same way; a first deploy's placement labels.
          await writeNodeHosts(project.dir, swarm.nodeHosts);
          await swarm.addNodeLabels(swarmPre.plan.add);
        }
        await runtime.up(project);
      } catch (err) {
        tasks.finish('up', 'failed');
        // Roll back a first deploy completely; never touch a deployment that held data before.
        if (firstDeploy) await runtime.down(project, { volumes: true }).catch(() => undefined);
        throw new EnvironmentError(
          `compose up failed for ${t.name}${firstDeploy ? '; rolled back (no containers, networks or volumes left)' : ''}: ${(err as Error).message}`,
          'read the message above; `redis-ha deploy ... --verbose` shows more',
          { cause: err },
        );
      }
      timings.composeUpMs = since();
      tasks.finish('up', 'done', `${pre.tool}${firstDeploy ? '' : ', existing deployment updated in place'}`);
      if (signal.aborted) {
        // Interrupted while `up` ran: the user no longer wants a deployment that did not exist before.
        if (firstDeploy) {
          const rolledBack = await runtime.down(project, { volumes: true }).then(() => true, () => false);
          throw interrupted(t.name, 'up', rolledBack
            ? `during compose up; the first deploy of ${t.name} was rolled back (no containers, networks or volumes left)`
            : `during compose up; rolling back the first deploy of ${t.name} failed, containers may be left`);
        }
        throw interrupted(t.name, 'up', `during compose up; deployment ${t.name} is updated and left as it is (health not checked)`);
      }
      if (!firstDeploy && t.target === 'compose' && !t.cluster.enabled) await applyPlan(['sentinel-settings', 'remove', 'reset-sentinels', 'haproxy-reload']);
    }

    let clusterSteps: string[] | undefined;
    let clusterSummary = '';
    if (t.cluster.enabled) {
      tasks.start('cluster-create');
      try {
        ({ steps: clusterSteps, summary: clusterSummary } = await formCluster(runtime, d, {
          timeoutMs: (options.timeout ?? 120) * 1000,
          signal,
          clock: ctx.clock,
          onStep: (step) => tasks.update('cluster-create', describeClusterStep(step)),
        }));
      } catch (err) {
        tasks.finish('cluster-create', 'failed');
        if (signal.aborted) throw interrupted(t.name, 'wait', '');
        if (!(err instanceof WaitTimeoutError)) throw err;
        tasks.close();
        const logs = await logsFor(runtime, t.name, redisNodes(t).map((n) => n.name).slice(0, 3));
        throw new FailedError(`${err.message}${logs ? `\n${logs}` : ''}`, `inspect with \`redis-ha status --name ${t.name}\`; remove with \`redis-ha cleanup --name ${t.name}\``);
      }
      timings.clusterCreatedMs = since();
      tasks.finish('cluster-create', 'done', clusterSummary);
    }

    let snapshot: StatusSnapshot | undefined;
    let relinkedAt = 0;
    if (checks.length) {
      for (const c of checks) tasks.start(c.check);
      try {
        snapshot = await waitHealthy(runtime, d, {
          caughtUp: true,
          timeoutMs: (options.timeout ?? 120) * 1000,
          condition: 'the deployment to become healthy',
          signal,
          clock: ctx.clock,
          onPoll: (s) => {
            // Swarm: a Sentinel that resolved a peer or replica before its task was in DNS sits
            // 15 s on that link; set the short relink period while they converge (once a second).
            if (swarm && s.checks.some((r) => r.name === 'sentinels' && !r.ok) && Date.now() - relinkedAt > 1000) {
              relinkedAt = Date.now();
              void setSentinelRelink(d, SWARM_RELINK_MS);
            }
            for (const c of checks) {
              const result = s.checks.find((r) => r.name === c.check);
              if (!result) continue;
              if (result.ok && timings[c.timing] === undefined) {
                (timings[c.timing] as number | undefined) = since();
                tasks.finish(c.check, 'done', result.detail);
              } else if (!result.ok) {
                tasks.update(c.check, result.detail);
              }
            }
          },
        });
      } catch (err) {
        if (swarm && relinkedAt) await setSentinelRelink(d, DEFAULT_RELINK_MS).catch(() => undefined);
        if (!(err instanceof WaitTimeoutError)) {
          for (const c of checks) if (timings[c.timing] === undefined) tasks.finish(c.check, 'skipped');
          throw signal.aborted ? interrupted(t.name, 'wait', '') : err;
        }
        const last = err.last?.value as StatusSnapshot | undefined;
        const failing = last?.checks.find((r) => !r.ok);
        for (const c of checks) if (timings[c.timing] === undefined) tasks.finish(c.check, 'failed');
        tasks.close();
        const logs = await logsFor(runtime, t.name, failing?.services ?? []);
        throw new FailedError(
          `${err.message}\n  failing check: ${failing?.name ?? '?'}${logs ? `\n${logs}` : ''}`,
          `inspect with \`redis-ha status --name ${t.name}\`; remove with \`redis-ha cleanup --name ${t.name}\``,
        );
      }
    }
    timings.totalMs = since();
    tasks.close();
    // Swarm: Sentinel's default relink period again (the short one is for converging only).
    if (swarm && relinkedAt) await setSentinelRelink(d, DEFAULT_RELINK_MS);
    // What an application's tests import (clients/): addresses and paths, no secret.
    const clients = await writeClientFiles(rendered.files.dir, clientFiles({ topology: t, dir: rendered.files.dir, app: rendered.app, hostOf: d.hostOf }));
    const restored = pendingRestore && {
      file: pendingRestore.file,
      ...(await restoreNewDeployment(pendingRestore, d, project, { runtime, io, progress: options.progress !== false, timeoutMs: (options.timeout ?? 120) * 1000 })),
    };
    return {
      deployment: t.name,
      preset: t.preset,
      dir: rendered.files.dir,
      compose: `${pre.tool} ${await toolVersion}`,
      firstDeploy,
      healthy: snapshot?.healthy ?? false,
      waited: checks.length > 0,
      timings,
      warnings: rendered.warnings,
      endpoints: endpoints(t, d.hostOf),
      snippets: snippets(t, rendered.app, Boolean(options.showSecrets), rendered.files.dir, d.hostOf),
      clients,
      natMap: natMap(t, hostsOf(d)),
      status: snapshot,
      ...(rollout ? { rollout } : {}),
      ...(clusterSteps ? { clusterSteps } : {}),
      restored,
    };
  } finally {
    tasks.close();
  }
}

async function logsFor(runtime: Runtime, project: string, services: string[]): Promise<string> {
  if (!services.length) return '';
  const containers = (await runtime.containers(project)).filter((c) => services.includes(c.service));
  const parts = await Promise.all(
    containers
      .slice(0, 3)
      .map(async (c) => `  --- logs of ${c.service} (last 15 lines) ---\n${tail(await runtime.logs(c.id, { lines: 15 }), 15).replace(/^/gm, '  ')}`),
  );
  return parts.join('\n');
}

/** The deployment's endpoints on the CI job's summary page (GITHUB_STEP_SUMMARY), when there is one. */
/**
 * A cluster cannot become a Sentinel deployment or the other way round in place. Its shards and
 * replicas per shard may change, with the rolling strategy (compose or swarm): shards are added
 * or drained with their slots moved, replicas added or removed (operations/cluster-scale.ts);
 * the recreate strategy restarts every node at once and moves no slot, so it keeps the shape.
 * Refused before a file is written when the deployment has containers.
 */
export async function refuseClusterReshape(runtime: Pick<Runtime, 'containers'>, next: Topology, dir: string, strategy: 'rolling' | 'recreate' = 'rolling'): Promise<void> {
  const text = await readFile(join(dir, TOPOLOGY_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const before = JSON.parse(text) as Partial<Topology>;
  if (!before.cluster?.enabled && !next.cluster.enabled) return;
  const shape = (t: Partial<Topology>) => (t.cluster?.enabled ? `${t.cluster.shards} shards x ${t.cluster.replicasPerShard} replica(s)` : `the ${t.preset ?? 'replicated'} preset`);
  if (shape(before) === shape(next)) return;
  const clusterToCluster = Boolean(before.cluster?.enabled && next.cluster.enabled);
  if (clusterToCluster && strategy === 'rolling') return;
  if (!(await runtime.containers(next.name)).length) return;
  throw new UsageError(
    `${next.name} runs ${shape(before)}; this deploy asks for ${shape(next)}, which ${clusterToCluster ? 'the recreate strategy cannot do: it moves no slot (the rolling one adds or removes shards and replicas)' : 'a live deployment cannot become in place'}; nothing was written or changed`,
    clusterToCluster ? 'deploy with --strategy rolling (the default)' : `deploy under another --name, or \`redis-ha cleanup --name ${next.name}\` first (its data goes with it)`,
  );
}

export async function deployStepSummary(r: DeployResult, io: Io): Promise<void> {
  await appendStepSummary(io, deploySummary({ ...r, totalMs: r.timings.totalMs }));
}

export function printDeployResult(result: DeployResult, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, result);
  if (result.warnings.length) err(formatProblems(result.warnings));
  const total = (result.timings.totalMs / 1000).toFixed(1);
  out(
    result.waited
      ? `${symbols.ok()} ${style.bold(result.deployment)} (${result.preset}) is healthy after ${total} s`
      : `${symbols.ok()} ${style.bold(result.deployment)} (${result.preset}) started (not waiting for health: --no-wait)`,
  );
  if (result.restored) {
    const r = result.restored;
    const checked = 'shards' in r ? `${r.shards.length} shards, every node with its shard's key count and digest` : `every node has digest ${r.nodes[0]?.digest}`;
    out(`${symbols.ok()} restored ${r.keys} keys from ${r.file} in ${(r.timings.totalMs / 1000).toFixed(1)} s; ${checked}`);
  }
  out('\nEndpoints:');
  for (const e of result.endpoints) out(`  ${e.service.padEnd(11)} ${e.address.padEnd(24)} ${style.dim(e.role)}`);
  out(
    result.clusterSteps
      ? '\nConnect (from this host; cluster clients follow the slot map through failovers, see docs/cluster.md):'
      : '\nConnect (from this host; the modules follow failovers, see docs/ci.md):',
  );
  out(`  redis-cli  ${result.snippets.redisCli}`);
  if (result.snippets.ioredis) out(`  ioredis    ${result.snippets.ioredis}`);
  if (result.snippets.redisPy) out(`  redis-py   ${result.snippets.redisPy}`);
  out(`  shell      ${result.snippets.env}`);
  out(style.dim(`\nFiles: ${result.dir}. Status: redis-ha status --name ${result.deployment}. Remove: redis-ha cleanup --name ${result.deployment}`));
}
