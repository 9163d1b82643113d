// The lab as a whole: build it (network, engines, images, swarm, state file), inspect it, tear
// it down, and the faults the swarm failover tests inject into one node. This is the API the
// lab command and the swarm tests use; the files beside it each do one job.
import { mkdir, readFile } from 'node:fs/promises';
import { EnvironmentError, EXIT, RedisHaError, UsageError } from '../errors.js';
import { waitFor, WaitTimeoutError } from '../wait.js';
import { run } from './exec.js';
import { engineAnswers, killEngine, nodeDocker, startEngine, stopEngine } from './engine.js';
import { checkImagesPresent, copyImages, defaultImages } from './images.js';
import { labMounts, removeLabCgroups, removeLabDirs, unmountLab } from './mounts.js';
import { createBridge, createNodeNetwork, labLinks, labNamespaces, forwardRulePresent, removeLabNetwork, setLink } from './network.js';
import { startLabDns } from './nxdomain.js';
import { checkLabHost } from './preflight.js';
import {
  LAB_CGROUP_PREFIX,
  LAB_DATA_ROOT,
  LAB_DEFAULT_NODES,
  LAB_HOST_ADDRESS,
  LAB_MAX_NODES,
  LAB_RUN_ROOT,
  LAB_STATE_FILE,
  checkNodeCount,
  labPlan,
  nodeIndex,
  nodePlan,
  type LabNodePlan,
} from './plan.js';
import { findProcesses, stopProcesses, type ProcessMatch } from './processes.js';
import { newLabState, nodeStateFrom, readLabState, writeLabState, type LabState } from './state.js';
import { formSwarm, isReadyManager, swarmNodesFromAny, type SwarmNode } from './swarm.js';

export interface LabContext {
  signal?: AbortSignal;
  /** One line per stage, for a human watching (stderr). */
  progress?: (line: string) => void;
}

/** Every process of any lab node. */
export const LAB_PROCESS_MATCH: ProcessMatch = { roots: [LAB_DATA_ROOT, LAB_RUN_ROOT], cgroup: new RegExp(`^/${LAB_CGROUP_PREFIX}[1-9](/|$)`) };

// ------------------------------------------------------------------ status

export interface LabNodeStatus {
  name: string;
  address: string;
  dockerHost: string;
  engine: 'answering' | 'down';
  link: 'up' | 'down' | 'missing';
  /** From `docker node ls` on a manager that answers; undefined when none does or the node is not listed. */
  swarm?: { status: string; availability: string; managerStatus: string; role: 'manager' | 'worker' };
}

export interface LabStatus {
  /** A state file exists (a lab was built and not torn down). */
  exists: boolean;
  /** Every node answers, and every one is a Ready manager, with one leader. */
  healthy: boolean;
  stateFile: string;
  nodes: LabNodeStatus[];
  leader?: string;
  /** The node whose `docker node ls` this status shows. */
  swarmVia?: string;
  problems: string[];
  /** Names found on the host without a state file (a crashed or half-built lab). */
  leftovers: string[];
}

async function linkState(veth: string): Promise<LabNodeStatus['link']> {
  const r = await run('ip', ['-json', 'link', 'show', 'dev', veth]);
  if (r.exitCode !== 0) return 'missing';
  const [link] = JSON.parse(r.stdout) as { flags?: string[] }[];
  return link?.flags?.includes('UP') ? 'up' : 'down';
}

/** What exists of a lab on this host without a state file: namespaces, links, rule, processes, mounts. */
export async function labLeftovers(): Promise<string[]> {
  const found = [...(await labNamespaces()).map((n) => `netns ${n}`), ...(await labLinks()).map((l) => `link ${l}`)];
  if (await forwardRulePresent()) found.push('iptables FORWARD rule');
  const pids = await findProcesses(LAB_PROCESS_MATCH);
  if (pids.length) found.push(`processes ${pids.join(' ')}`);
  found.push(...(await labMounts()).map((m) => `mount ${m}`));
  return found;
}

export function planFromState(state: LabState): LabNodePlan[] {
  return state.nodes.map((n) => nodePlan(n.index));
}

export async function inspectLab(): Promise<LabStatus> {
  const state = await readLabState();
  if (!state) {
    const leftovers = await labLeftovers();
    const problems = leftovers.length ? [`no state file, but lab resources exist (${leftovers.join(', ')}): run \`redis-ha lab down\``] : ['no lab: run `redis-ha lab up`'];
    return { exists: false, healthy: false, stateFile: LAB_STATE_FILE, nodes: [], problems, leftovers };
  }
  const plans = planFromState(state);
  const problems: string[] = [];
  const answering = await Promise.all(plans.map(engineAnswers));
  const links = await Promise.all(plans.map((p) => linkState(p.veth)));
  const swarm = await swarmNodesFromAny(plans.filter((_, i) => answering[i]));
  const nodes: LabNodeStatus[] = plans.map((p, i) => {
    const member: SwarmNode | undefined = swarm?.nodes.find((n) => n.hostname === p.name);
    if (!answering[i]) problems.push(`${p.name}: the engine does not answer on ${p.socket}`);
    if (links[i] !== 'up') problems.push(`${p.name}: link ${p.veth} is ${links[i]}`);
    if (swarm && !member) problems.push(`${p.name}: not a swarm member`);
    if (member && !isReadyManager(member)) problems.push(`${p.name}: swarm ${member.status}/${member.managerStatus || 'worker'}`);
    return {
      name: p.name,
      address: p.address,
      dockerHost: p.dockerHost,
      engine: answering[i] ? 'answering' : 'down',
      link: links[i]!,
      swarm: member && {
        status: member.status,
        availability: member.availability,
        managerStatus: member.managerStatus,
        role: member.managerStatus ? 'manager' : 'worker',
      },
    };
  });
  if (!swarm) problems.push('no manager answers `docker node ls` (no engine up, or the swarm lost its quorum)');
  const leaders = swarm?.nodes.filter((n) => n.managerStatus === 'Leader') ?? [];
  if (swarm && leaders.length !== 1) problems.push(`${leaders.length} swarm leaders`);
  const extra = swarm?.nodes.filter((n) => !plans.some((p) => p.name === n.hostname)) ?? [];
  if (extra.length) problems.push(`swarm members that are not lab nodes: ${extra.map((n) => n.hostname).join(', ')}`);
  return { exists: true, healthy: problems.length === 0, stateFile: LAB_STATE_FILE, nodes, leader: leaders[0]?.hostname, swarmVia: swarm?.via, problems, leftovers: [] };
}

// ------------------------------------------------------------------ down

export interface LabDownResult {
  /** False when nothing of a lab was found. */
  found: boolean;
  killed: number[];
  removed: string[];
  seconds: number;
}

async function recordedEnginePids(state: LabState | undefined): Promise<number[]> {
  const pids = new Set<number>();
  for (const n of state?.nodes ?? []) if (n.pids.dockerd) pids.add(n.pids.dockerd);
  for (let i = 1; i <= LAB_MAX_NODES; i++) {
    const pid = Number((await readFile(nodePlan(i).pidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0) pids.add(pid);
  }
  return [...pids];
}

/** Stops every lab process and removes every lab resource; finds them by name without a state file. Safe to repeat. */
export async function destroyLab(ctx: LabContext = {}): Promise<LabDownResult> {
  const started = Date.now();
  const state = await readLabState().catch(() => undefined);
  const before = await labLeftovers();
  const found = Boolean(state) || before.length > 0;
  // Only recorded/pidfile pids that really are lab processes get the graceful SIGTERM (a pid may
  // have been reused since); everything the match finds gets SIGKILL after the grace period.
  const labPids = await findProcesses(LAB_PROCESS_MATCH);
  const graceful = (await recordedEnginePids(state)).filter((pid) => labPids.includes(pid));
  if (labPids.length) ctx.progress?.(`stopping ${labPids.length} lab processes`);
  const survivors = await stopProcesses(graceful, LAB_PROCESS_MATCH, 10_000);
  if (survivors.length) throw new EnvironmentError(`lab processes survived SIGKILL: ${survivors.join(', ')}`, 'look at them with `ps -o pid,stat,args -p ...` (state D: stuck in the kernel)');
  const removed = await removeLabNetwork();
  removed.push(...(await unmountLab()).map((m) => `mount ${m}`));
  removed.push(...(await removeLabCgroups()).map((c) => `cgroup ${c}`));
  await removeLabDirs();
  return { found, killed: labPids, removed, seconds: (Date.now() - started) / 1000 };
}

// ------------------------------------------------------------------ up

export interface LabUpOptions {
  nodes?: number;
  /** Images to copy from the host engine; default: every redis-ha-local/* image there. */
  images?: string[];
}

export interface LabUpResult {
  /** True when a healthy lab of that size was already up (nothing rebuilt). */
  alreadyUp: boolean;
  /** Attempts it took (a failed build is torn down and built once more). */
  attempts: number;
  state: LabState;
  /** Seconds per stage of the last attempt, and in total. */
  timings: { teardown: number; network: number; engines: number; images: number; swarm: number; total: number };
}

const since = (t: number) => Math.round((Date.now() - t) / 100) / 10;

async function buildLab(plans: LabNodePlan[], images: string[], ctx: LabContext, timings: LabUpResult['timings']): Promise<LabState> {
  const { signal, progress } = ctx;
  let t = Date.now();
  await mkdir(LAB_DATA_ROOT, { recursive: true, mode: 0o700 });
  await mkdir(LAB_RUN_ROOT, { recursive: true, mode: 0o755 });
  await createBridge();
  for (const p of plans) await createNodeNetwork(p);
  // The engines' --dns: answers NXDOMAIN at once (see nxdomain.ts).
  startLabDns(LAB_HOST_ADDRESS, `${LAB_RUN_ROOT}/dns.pid`, LAB_RUN_ROOT);
  timings.network = since(t);
  progress?.(`network: bridge rha-lab0 10.77.0.1/24, ${plans.map((p) => `${p.netns} ${p.address}`).join(', ')}`);
  signal?.throwIfAborted();

  t = Date.now();
  const pids = await Promise.all(plans.map((p) => startEngine(p, signal)));
  timings.engines = since(t);
  progress?.(`engines answering: ${plans.map((p) => p.socket).join(' ')}`);

  t = Date.now();
  await copyImages(images, plans);
  timings.images = since(t);
  if (images.length) progress?.(`images loaded into every node: ${images.join(', ')}`);
  signal?.throwIfAborted();

  t = Date.now();
  await formSwarm(plans, signal, progress);
  timings.swarm = since(t);

  const state = newLabState(plans.map((p, i) => nodeStateFrom(p, pids[i]!)), images);
  await writeLabState(state);
  return state;
}

/**
 * Builds a lab of N nodes (default 3) as a swarm of N managers. A healthy lab of the same size
 * is kept (missing images are loaded into it); anything else found is torn down first. A
 * failed build is torn down and tried once more.
 */
export async function createLab(options: LabUpOptions = {}, ctx: LabContext = {}): Promise<LabUpResult> {
  const started = Date.now();
  const count = checkNodeCount(options.nodes ?? LAB_DEFAULT_NODES);
  if (options.images) for (const image of options.images) if (!image.trim() || image.startsWith('-')) throw new UsageError(`--image ${JSON.stringify(image)} is not an image name`);
  await checkLabHost();
  const images = options.images ?? (await defaultImages());
  await checkImagesPresent(images);
  const timings = { teardown: 0, network: 0, engines: 0, images: 0, swarm: 0, total: 0 };

  const current = await inspectLab();
  if (current.healthy && current.nodes.length === count) {
    const state = (await readLabState())!;
    const missing = images.filter((i) => !state.images.includes(i));
    if (missing.length) {
      const t = Date.now();
      await copyImages(missing, planFromState(state));
      timings.images = since(t);
      state.images = [...state.images, ...missing].sort();
      await writeLabState(state);
    }
    timings.total = since(started);
    return { alreadyUp: true, attempts: 0, state, timings };
  }

  const plans = labPlan(count);
  for (let attempt = 1; ; attempt++) {
    if (current.exists || current.leftovers.length || attempt > 1) {
      const t = Date.now();
      const down = await destroyLab(ctx);
      timings.teardown += since(t);
      if (down.found) ctx.progress?.(`removed the previous lab (${down.seconds.toFixed(1)} s)`);
    }
    try {
      const state = await buildLab(plans, images, ctx, timings);
      timings.total = since(started);
      return { alreadyUp: false, attempts: attempt, state, timings };
    } catch (err) {
      if (attempt >= 2 || ctx.signal?.aborted) {
        await destroyLab(ctx).catch(() => undefined);
        if (ctx.signal?.aborted) throw new RedisHaError('interrupted; the half-built lab was removed', EXIT.interrupted);
        throw err;
      }
      ctx.progress?.(`lab build failed (${(err as Error).message.split('\n')[0]}); tearing down and starting over once`);
    }
  }
}

// ------------------------------------------------------------------ faults (for swarm test-failover)

function labNode(name: string): LabNodePlan {
  const index = nodeIndex(name);
  if (index === undefined) throw new UsageError(`${JSON.stringify(name)} is not a lab node (node1 .. node7)`);
  return nodePlan(index);
}

/**
 * A host that lost power: SIGKILL the node's dockerd, containerd, shims and every container
 * process at the same instant. Returns the pids killed.
 */
export async function killNodeEngine(name: string): Promise<number[]> {
  return killEngine(labNode(name));
}

/**
 * Starts the node's engine again (stopping it first when it runs) and waits until it answers
 * and, unless `waitSwarm` is false, until the swarm lists it Ready again. Records the new pids.
 */
export async function restartNodeEngine(name: string, options: { waitSwarm?: boolean; timeoutMs?: number } = {}, ctx: LabContext = {}): Promise<void> {
  const node = labNode(name);
  if (!(await labNamespaces()).includes(node.netns)) {
    throw new EnvironmentError(`${name} has no network namespace ${node.netns}: is the lab up?`, 'run `redis-ha lab up`');
  }
  await stopEngine(node);
  const pids = await startEngine(node, ctx.signal);
  const state = await readLabState().catch(() => undefined);
  const recorded = state?.nodes.find((n) => n.name === name);
  if (state && recorded) {
    recorded.pids = pids;
    await writeLabState(state);
  }
  if (options.waitSwarm === false) return;
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await waitFor(
      `${name} Ready in the swarm`,
      async () => {
        const r = await nodeDocker(node, ['node', 'ls', '--filter', `name=${node.name}`, '--format', '{{.Hostname}} {{.Status}}'], 5000).catch(() => undefined);
        const ready = r?.exitCode === 0 && r.stdout.split('\n').some((l) => l.trim() === `${node.name} Ready`);
        return { verdict: ready ? 'done' : 'waiting', value: undefined, state: r?.stdout.trim() || 'not listed' };
      },
      { timeoutMs, intervalMs: 250, signal: ctx.signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    throw new EnvironmentError(`${name}: engine restarted but not Ready in the swarm within ${timeoutMs / 1000} s`, `see ${node.logFile}`);
  }
}

/** Takes the node's link down (a partition: the node is cut from every other node and the host) or up again. */
export async function setNodeLink(name: string, state: 'up' | 'down'): Promise<void> {
  await setLink(labNode(name), state);
}

export { LAB_STATE_FILE, labPlan, nodePlan } from './plan.js';
export { readLabState, type LabState, type LabNodeState } from './state.js';
