// Forming the lab's swarm: init on node1, then every other node joins as a MANAGER, one at a
// time, each waited for (Ready and Reachable) before the next: two joins in flight can leave
// the raft group waiting on a member that never arrives, and cost the quorum.
import { FailedError } from '../errors.js';
import { waitFor, WaitTimeoutError } from '../wait.js';
import { engineAnswers, nodeDocker } from './engine.js';
import { LAB_SWARM_POOL, LAB_SWARM_POOL_MASK, type LabNodePlan } from './plan.js';

export const JOIN_TIMEOUT_MS = 60_000;

/** One line of `docker node ls --format '{{json .}}'`. */
export interface SwarmNode {
  id: string;
  hostname: string;
  status: string;
  availability: string;
  /** Leader, Reachable, Unreachable, or '' for a worker. */
  managerStatus: string;
  self: boolean;
}

export function parseNodeLs(text: string): SwarmNode[] {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => {
      const o = JSON.parse(line) as Record<string, unknown>;
      const s = (key: string) => (typeof o[key] === 'string' ? (o[key] as string) : '');
      return {
        id: s('ID'),
        hostname: s('Hostname'),
        status: s('Status'),
        availability: s('Availability'),
        managerStatus: s('ManagerStatus'),
        self: o.Self === true || o.Self === 'true',
      };
    })
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
}

export const isReadyManager = (n: SwarmNode) => n.status === 'Ready' && (n.managerStatus === 'Leader' || n.managerStatus === 'Reachable');

export async function swarmNodes(via: Pick<LabNodePlan, 'dockerHost' | 'name'>): Promise<SwarmNode[]> {
  const r = await nodeDocker(via, ['node', 'ls', '--format', '{{json .}}'], 10_000);
  if (r.exitCode !== 0) throw new FailedError(`\`docker node ls\` on ${via.name} failed: ${r.stderr.trim()}`);
  return parseNodeLs(r.stdout);
}

/** node ls from the first node whose engine answers and is a manager with quorum. */
export async function swarmNodesFromAny(nodes: LabNodePlan[]): Promise<{ via: string; nodes: SwarmNode[] } | undefined> {
  for (const node of nodes) {
    if (!(await engineAnswers(node))) continue;
    const list = await swarmNodes(node).catch(() => undefined);
    if (list) return { via: node.name, nodes: list };
  }
  return undefined;
}

/** `swarm init` argv on the first node (pure, tested). */
export function swarmInitArgs(node: LabNodePlan): string[] {
  return [
    'swarm', 'init',
    '--advertise-addr', node.address,
    '--listen-addr', `${node.address}:2377`,
    // overlay subnets away from the lab link (10.77.0.0/24) and the engines' bridges
    '--default-addr-pool', LAB_SWARM_POOL,
    '--default-addr-pool-mask-length', String(LAB_SWARM_POOL_MASK),
  ];
}

export function swarmJoinArgs(node: LabNodePlan, manager: LabNodePlan, token: string): string[] {
  return ['swarm', 'join', '--token', token, '--advertise-addr', node.address, '--listen-addr', `${node.address}:2377`, `${manager.address}:2377`];
}

async function waitManagers(manager: LabNodePlan, names: string[], signal?: AbortSignal): Promise<void> {
  let last = '';
  try {
    await waitFor(
      `swarm managers ${names.join(', ')}`,
      async () => {
        const list = await swarmNodes(manager).catch((err: Error) => ((last = err.message), []));
        const ready = names.every((name) => list.some((n) => n.hostname === name && isReadyManager(n)));
        if (list.length) last = list.map((n) => `${n.hostname}:${n.status}/${n.managerStatus || 'worker'}`).join(' ');
        return { verdict: ready ? 'done' : 'waiting', value: undefined, state: last };
      },
      { timeoutMs: JOIN_TIMEOUT_MS, intervalMs: 250, signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    throw new FailedError(`swarm managers ${names.join(', ')} not all Ready and Reachable within ${JOIN_TIMEOUT_MS / 1000} s (last: ${last})`);
  }
}

/** init on nodes[0], then each other node joins as a manager, one at a time. */
export async function formSwarm(nodes: LabNodePlan[], signal?: AbortSignal, progress?: (line: string) => void): Promise<void> {
  const [manager, ...others] = nodes;
  if (!manager) return;
  const init = await nodeDocker(manager, swarmInitArgs(manager), JOIN_TIMEOUT_MS);
  if (init.exitCode !== 0) throw new FailedError(`\`docker swarm init\` on ${manager.name} failed: ${init.stderr.trim()}`);
  await waitManagers(manager, [manager.name], signal);
  progress?.(`swarm initialised on ${manager.name} (${manager.address})`);
  const tokenOut = await nodeDocker(manager, ['swarm', 'join-token', '--quiet', 'manager']);
  const token = tokenOut.stdout.trim();
  if (tokenOut.exitCode !== 0 || !token) throw new FailedError(`reading the manager join token on ${manager.name} failed: ${tokenOut.stderr.trim()}`);
  const joined = [manager.name];
  for (const node of others) {
    signal?.throwIfAborted();
    // The token is a credential: it goes on the docker CLI's argv only (as `docker swarm join`
    // requires), inside this root-only lab, and is never printed or logged.
    const join = await nodeDocker(node, swarmJoinArgs(node, manager, token), JOIN_TIMEOUT_MS);
    if (join.exitCode !== 0) throw new FailedError(`\`docker swarm join\` of ${node.name} failed: ${join.stderr.trim().replace(token, '<token>')}`);
    joined.push(node.name);
    await waitManagers(manager, joined, signal);
    progress?.(`${node.name} joined as a manager (${node.address})`);
  }
}
