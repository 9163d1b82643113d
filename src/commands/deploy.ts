// `redis-ha deploy`: render, preflight, compose up, then wait until every check is green.
import { join } from 'node:path';
import { EnvironmentError, EXIT, FailedError, RedisHaError } from '../errors.js';
import { takeSnapshot, type CheckName, type StatusSnapshot } from '../health/status.js';
import { natMap, probeHost } from '../model/nodes.js';
import { waitFor, WaitTimeoutError } from '../health/wait.js';
import type { Problem } from '../model/problems.js';
import type { Topology } from '../model/schema.js';
import { containerLogs, projectContainers } from '../runtime/docker.js';
import { tail } from '../runtime/exec.js';
import { preflight } from '../runtime/preflight.js';
import { endpoints, snippets, type Endpoint, type Snippets } from '../report/snippets.js';
import { formatProblems, printJson, style, symbols } from '../report/style.js';
import { TaskList } from '../report/tasks.js';
import { COMPOSE_FILE } from '../synth/synthesize.js';
import { render, type RenderOptions } from './render.js';

export interface DeployOptions extends RenderOptions {
  /** Seconds to wait for health. */
  timeout?: number;
  /** false: return right after `compose up`. */
  wait?: boolean;
  showSecrets?: boolean;
  /** Show the live task list (the CLI turns it off for --json). */
  progress?: boolean;
}

/** Milliseconds from the command's (process's) start until each step was done. */
export interface DeployTimings {
  renderMs: number;
  preflightMs: number;
  composeUpMs: number;
  containersMs?: number;
  replicasLinkedMs?: number;
  sentinelsConvergedMs?: number;
  haproxyRoutingMs?: number;
  exporterMs?: number;
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
  natMap: StatusSnapshot['natMap'];
  status?: StatusSnapshot;
}

const CHECK_TASKS: { check: CheckName; title: string; timing: keyof DeployTimings }[] = [
  { check: 'containers', title: 'containers running and healthy', timing: 'containersMs' },
  { check: 'replication', title: 'replicas linked and caught up', timing: 'replicasLinkedMs' },
  { check: 'sentinels', title: 'Sentinels agree, see every node, CKQUORUM OK', timing: 'sentinelsConvergedMs' },
  { check: 'haproxy', title: 'HAProxy routes writes to the master, reads to a replica', timing: 'haproxyRoutingMs' },
  { check: 'exporter', title: 'exporter serves redis_up 1 for every node', timing: 'exporterMs' },
];

function applicableChecks(t: Topology) {
  return CHECK_TASKS.filter(
    (c) =>
      (c.check !== 'sentinels' || t.sentinel.enabled) &&
      (c.check !== 'haproxy' || t.haproxy.enabled) &&
      (c.check !== 'exporter' || t.exporter.enabled),
  );
}

export async function deploy(options: DeployOptions): Promise<DeployResult> {
  // performance.now() counts from the process start: the timings include Node's start-up.
  const since = () => Math.round(performance.now());
  const tasks = new TaskList(process.stderr, undefined, options.progress !== false);

  tasks.add('render', 'render files');
  tasks.add('preflight', 'preflight: engine, compose, images, ports');
  tasks.add('up', 'compose up');
  // The task list must stop whatever fails (its timer would keep the process alive).
  let onSigint: (() => void) | undefined;
  try {
    tasks.start('render');
    let rendered;
    try {
      rendered = await render(options);
    } catch (err) {
      tasks.finish('render', 'failed');
      throw err;
    }
    const t = rendered.topology;
    const timings: DeployTimings = { renderMs: since(), preflightMs: 0, composeUpMs: 0, totalMs: 0 };
    tasks.finish('render', 'done', rendered.files.dir);
    const checks = options.wait === false ? [] : applicableChecks(t);
    for (const c of checks) tasks.add(c.check, c.title);

    // Ctrl-C stops redis-ha, not what it started: compose up is let finish (a first deploy whose
    // up fails is still rolled back), the wait stops, and the deployment stays as it is.
    const interrupt = new AbortController();
    onSigint = () =>
      interrupt.abort(
        new RedisHaError(
          `interrupted; deployment ${t.name} is left as it is`,
          EXIT.interrupted,
          `see \`redis-ha status --name ${t.name}\`, remove with \`redis-ha cleanup --name ${t.name}\``,
        ),
      );
    process.on('SIGINT', onSigint);
    tasks.start('preflight');
    let pre;
    try {
      pre = await preflight(t);
    } catch (err) {
      tasks.finish('preflight', 'failed');
      throw err;
    }
    timings.preflightMs = since();
    tasks.finish('preflight', 'done', `engine ${pre.engine}, compose ${pre.compose.variant}`);
    const composeVersion = pre.compose.version().catch(() => 'unknown');

    const project = { name: t.name, dir: rendered.files.dir, file: join(rendered.files.dir, COMPOSE_FILE) };
    const firstDeploy = pre.existing.length === 0;
    tasks.start('up');
    try {
      await pre.compose.up(project);
    } catch (err) {
      tasks.finish('up', 'failed');
      // Roll back a first deploy completely; never touch a deployment that held data before.
      if (firstDeploy) await pre.compose.down(project, { volumes: true }).catch(() => undefined);
      throw new EnvironmentError(
        `compose up failed for ${t.name}${firstDeploy ? '; rolled back (no containers, networks or volumes left)' : ''}: ${(err as Error).message}`,
        'read the message above; `redis-ha deploy ... --verbose` shows more',
        { cause: err },
      );
    }
    timings.composeUpMs = since();
    tasks.finish('up', 'done', `${pre.compose.variant}${firstDeploy ? '' : ', existing deployment updated in place'}`);
    if (interrupt.signal.aborted) throw interrupt.signal.reason;

    const d = { topology: t, auth: rendered.admin, stats: rendered.stats, host: probeHost(t) };
    let snapshot: StatusSnapshot | undefined;
    if (checks.length) {
      for (const c of checks) tasks.start(c.check);
      try {
        snapshot = await waitFor(
          'the deployment to become healthy',
          async () => {
            const s = await takeSnapshot(d, await projectContainers(t.name), { caughtUp: true });
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
            const failing = s.checks.find((r) => !r.ok);
            return {
              verdict: s.healthy ? 'done' : failing?.fatal ? 'fatal' : 'waiting',
              value: s,
              state: failing ? `${failing.name}: ${failing.detail}` : 'healthy',
            };
          },
          { timeoutMs: (options.timeout ?? 120) * 1000, intervalMs: 100, signal: interrupt.signal },
        );
      } catch (err) {
        if (!(err instanceof WaitTimeoutError)) {
          for (const c of checks) if (timings[c.timing] === undefined) tasks.finish(c.check, 'skipped');
          throw err;
        }
        const last = err.last?.value as StatusSnapshot | undefined;
        const failing = last?.checks.find((r) => !r.ok);
        for (const c of checks) if (timings[c.timing] === undefined) tasks.finish(c.check, 'failed');
        tasks.close();
        const logs = await logsFor(t.name, failing?.services ?? []);
        throw new FailedError(
          `${err.message}\n  failing check: ${failing?.name ?? '?'}${logs ? `\n${logs}` : ''}`,
          `inspect with \`redis-ha status --name ${t.name}\`; remove with \`redis-ha cleanup --name ${t.name}\``,
        );
      }
    }
    timings.totalMs = since();
    tasks.close();
    return {
      deployment: t.name,
      preset: t.preset,
      dir: rendered.files.dir,
      compose: `${pre.compose.variant} ${await composeVersion}`,
      firstDeploy,
      healthy: snapshot?.healthy ?? false,
      waited: checks.length > 0,
      timings,
      warnings: rendered.warnings,
      endpoints: endpoints(t),
      snippets: snippets(t, rendered.app, Boolean(options.showSecrets)),
      natMap: natMap(t, d.host),
      status: snapshot,
    };
  } finally {
    if (onSigint) process.removeListener('SIGINT', onSigint);
    tasks.close();
  }
}

async function logsFor(project: string, services: string[]): Promise<string> {
  if (!services.length) return '';
  const containers = (await projectContainers(project)).filter((c) => services.includes(c.service));
  const parts = await Promise.all(
    containers.slice(0, 3).map(async (c) => `  --- logs of ${c.service} (last 15 lines) ---\n${tail(await containerLogs(c.id, 15), 15).replace(/^/gm, '  ')}`),
  );
  return parts.join('\n');
}

export function printDeployResult(result: DeployResult, json: boolean): void {
  if (json) return printJson(result);
  if (result.warnings.length) console.error(formatProblems(result.warnings));
  const total = (result.timings.totalMs / 1000).toFixed(1);
  console.log(
    result.waited
      ? `${symbols.ok()} ${style.bold(result.deployment)} (${result.preset}) is healthy after ${total} s`
      : `${symbols.ok()} ${style.bold(result.deployment)} (${result.preset}) started (not waiting for health: --no-wait)`,
  );
  console.log('\nEndpoints:');
  for (const e of result.endpoints) console.log(`  ${e.service.padEnd(11)} ${e.address.padEnd(24)} ${style.dim(e.role)}`);
  console.log(`\nredis-cli:\n  ${result.snippets.redisCli}`);
  if (result.snippets.ioredis) console.log(`\nioredis (Sentinel, from this host):\n${result.snippets.ioredis.replace(/^/gm, '  ')}`);
  if (result.snippets.redisPy) console.log(`\nredis-py (Sentinel, from this host):\n${result.snippets.redisPy.replace(/^/gm, '  ')}`);
  console.log(style.dim(`\nFiles: ${result.dir}. Status: redis-ha status --name ${result.deployment}. Remove: redis-ha cleanup --name ${result.deployment}`));
}
