// `redis-ha lab up | down | status`: a Docker Swarm of N engines on this one Linux machine,
// each engine in its own network namespace, for trying multi-host topologies (root needed).
// Plain functions: options in, a result out; printing is separate.
import { useLabRunner } from '../lab/exec.js';
import { createLab, destroyLab, inspectLab, type LabDownResult, type LabStatus, type LabUpResult } from '../lab/lab.js';
import { LAB_STATE_FILE, nodeHostFlags, nodePlan } from '../lab/plan.js';
import { lines, type Io } from '../io.js';
import { printJson, style, symbols } from '../report/style.js';
import type { CommandRunner } from '../runtime/exec.js';

export interface LabIo {
  /** Progress lines for a human (stderr); none with --json. */
  print?: (line: string) => void;
}

export interface LabCommandContext {
  signal?: AbortSignal;
  io?: LabIo;
  /** The command line's runner (CommandContext.runner), which the lab's programs then go through. */
  runner?: CommandRunner;
}

export interface LabUpOptions {
  nodes?: number;
  image?: string[];
}

export async function labUp(options: LabUpOptions, ctx: LabCommandContext = {}): Promise<LabUpResult> {
  if (ctx.runner) useLabRunner(ctx.runner);
  return createLab({ nodes: options.nodes, images: options.image }, { signal: ctx.signal, progress: ctx.io?.print });
}

export async function labDown(_options: object = {}, ctx: LabCommandContext = {}): Promise<LabDownResult> {
  if (ctx.runner) useLabRunner(ctx.runner);
  return destroyLab({ signal: ctx.signal, progress: ctx.io?.print });
}

export async function labStatus(_options: object = {}, ctx: LabCommandContext = {}): Promise<LabStatus> {
  if (ctx.runner) useLabRunner(ctx.runner);
  return inspectLab();
}

export function printLabUp(result: LabUpResult, json: boolean, io: Io): void {
  const out = lines(io).out;
  const nodes = result.state.nodes;
  if (json) {
    return printJson(io.stdout, { ok: true, alreadyUp: result.alreadyUp, attempts: result.attempts, timings: result.timings, ...result.state, nodeHosts: nodeHostFlags(nodes.map((n) => nodePlan(n.index))) });
  }
  const t = result.timings;
  out(
    result.alreadyUp
      ? `${symbols.ok()} the lab is already up and healthy: ${nodes.length} managers${t.images ? `; loaded missing images (${t.images} s)` : ''}`
      : `${symbols.ok()} lab up: ${nodes.length} Docker engines as a swarm of ${nodes.length} managers in ${t.total} s (network ${t.network} s, engines ${t.engines} s, images ${t.images} s, swarm ${t.swarm} s)`,
  );
  for (const n of nodes) out(`  ${style.bold(n.name)}  ${n.address.padEnd(11)}  DOCKER_HOST=${n.dockerHost}`);
  const first = nodes[0]!;
  out(`\nUse it:
  DOCKER_HOST=${first.dockerHost} docker node ls
  export DOCKER_HOST=${first.dockerHost}     # later redis-ha commands talk to node1, a manager
  ${nodeHostFlags(nodes.map((n) => nodePlan(n.index))).map((f) => `--node-host ${f}`).join(' \\\n  ')}
Images copied into every node: ${result.state.images.join(', ') || '(none)'}
State: ${LAB_STATE_FILE}   Tear down: redis-ha lab down`);
}

export function printLabDown(result: LabDownResult, json: boolean, io: Io): void {
  const out = lines(io).out;
  if (json) return printJson(io.stdout, { ok: true, ...result });
  if (!result.found) return out(`${symbols.ok()} no lab found; nothing to remove`);
  const cgroups = result.removed.filter((r) => r.startsWith('cgroup '));
  const other = result.removed.filter((r) => !r.startsWith('cgroup '));
  if (cgroups.length) other.push(`${cgroups.length} empty cgroup directories`);
  out(`${symbols.ok()} lab down in ${result.seconds.toFixed(1)} s: stopped ${result.killed.length} processes; removed ${[...other, 'the state directories'].join(', ')}`);
}

export function printLabStatus(s: LabStatus, json: boolean, io: Io): void {
  const out = lines(io).out;
  if (json) return printJson(io.stdout, s);
  if (!s.exists) {
    out(`${s.leftovers.length ? symbols.fail() : symbols.warn()} ${s.problems.join('\n')}`);
    return;
  }
  out(`${s.healthy ? symbols.ok() : symbols.fail()} lab: ${s.nodes.length} nodes, ${s.healthy ? 'healthy' : 'unhealthy'}${s.leader ? `, leader ${s.leader}` : ''}${s.swarmVia ? style.dim(` (swarm seen from ${s.swarmVia})`) : ''}`);
  for (const n of s.nodes) {
    const swarm = n.swarm ? `${n.swarm.status} ${n.swarm.availability} ${n.swarm.managerStatus || 'worker'}` : 'not in swarm / unknown';
    const ok = n.engine === 'answering' && n.link === 'up' && n.swarm?.status === 'Ready';
    out(`  ${ok ? symbols.ok() : symbols.fail()} ${style.bold(n.name)}  ${n.address.padEnd(11)}  engine ${n.engine.padEnd(9)}  link ${n.link.padEnd(4)}  ${swarm}  ${style.dim(n.dockerHost)}`);
  }
  for (const p of s.problems) out(`  ${symbols.warn()} ${p}`);
}
