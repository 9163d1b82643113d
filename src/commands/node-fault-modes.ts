// test-failover's `--node-fault containers|engine` (kill-node) and `--partition network|link`
// (partition-node): the options checked before anything starts, and, for the whole-node modes,
// the lab's fault helpers handed to failover/ as hooks (failover/ knows no lab). Those modes act
// on the lab's own engines and links, so every node of the swarm must be a node of this
// machine's lab, reached through the lab's own socket.
import { UsageError } from '../errors.js';
import { useLabRunner } from '../lab/exec.js';
import { killNodeEngine, restartNodeEngine, setNodeLink, readLabState, type LabState } from '../lab/lab.js';
import { nodeIndex, nodePlan } from '../lab/plan.js';
import type { CommandRunner } from '../runtime/exec.js';
import type { NodeHosts } from '../runtime/node-hosts.js';
import { NODE_FAULT_MODES, PARTITION_MODES, type NodeFaultHooks, type NodeFaultMode, type PartitionMode } from '../failover/fault-context.js';
import type { ScenarioName } from '../failover/scenarios.js';
import type { TargetName } from '../model/schema.js';

export interface NodeFaultModes {
  kill: NodeFaultMode;
  partition: PartitionMode;
}

/**
 * The modes from the options (defaults: containers, network). Refused (UsageError): an unknown
 * value, or a non-default mode for a scenario this run does not include.
 */
export function parseNodeFaultModes(
  options: { nodeFault?: string; partition?: string },
  selected: readonly ScenarioName[],
  target: TargetName,
): NodeFaultModes {
  const problems: string[] = [];
  const kill = options.nodeFault ?? 'containers';
  const partition = options.partition ?? 'network';
  if (!(NODE_FAULT_MODES as readonly string[]).includes(kill)) problems.push(`--node-fault ${kill}: use ${NODE_FAULT_MODES.join(' or ')}`);
  if (!(PARTITION_MODES as readonly string[]).includes(partition)) problems.push(`--partition ${partition}: use ${PARTITION_MODES.join(' or ')}`);
  const absent = (option: string, mode: string, scenario: ScenarioName) =>
    `${option} ${mode} changes ${scenario}, which this run does not include (${target === 'swarm' ? `it runs ${selected.join(', ')}` : `${scenario} runs on swarm only; this deployment targets ${target}`})`;
  if (kill !== 'containers' && !selected.includes('kill-node')) problems.push(absent('--node-fault', kill, 'kill-node'));
  if (partition !== 'network' && !selected.includes('partition-node')) problems.push(absent('--partition', partition, 'partition-node'));
  if (problems.length) throw new UsageError(problems.join('; '), 'add --scenario kill-node / --scenario partition-node on a swarm deployment, or leave the option out');
  return { kill: kill as NodeFaultMode, partition: partition as PartitionMode };
}

/** Whether the modes act on a whole lab node (engine or link) rather than through Docker alone. */
export const needsLab = (m: NodeFaultModes) => m.kill === 'engine' || m.partition === 'link';

/**
 * Why the swarm's nodes are not all lab nodes that redis-ha reaches through the lab's own
 * sockets, one line per node (empty: they are). `lab` undefined: no lab is up on this machine.
 */
export function labNodeProblems(nodes: readonly string[], hosts: NodeHosts, lab: LabState | undefined): string[] {
  if (!lab) return ['no lab is up on this machine (no /run/redis-ha-lab/state.json)'];
  return nodes.flatMap((node) => {
    const index = nodeIndex(node);
    if (index === undefined || !lab.nodes.some((n) => n.name === node)) return [`${node} is not a node of this machine's lab (${lab.nodes.map((n) => n.name).join(', ')})`];
    const socket = nodePlan(index).dockerHost;
    if (hosts[node] !== socket) return [`${node} is reached through ${hosts[node] ? `--node-host ${node}=${hosts[node]}` : 'a Docker context'}, not the lab's ${socket}`];
    return [];
  });
}

/** The lab's helpers as hooks (their programs through `runner`, the CLI's); refuses (UsageError, exit 2) a swarm whose nodes are not all lab nodes. */
export async function labNodeFaultHooks(modes: NodeFaultModes, nodes: readonly string[], hosts: NodeHosts, runner?: CommandRunner): Promise<NodeFaultHooks> {
  const problems = labNodeProblems(nodes, hosts, await readLabState().catch(() => undefined));
  if (problems.length) {
    const what = [modes.kill === 'engine' ? '--node-fault engine' : '', modes.partition === 'link' ? '--partition link' : ''].filter(Boolean).join(' and ');
    throw new UsageError(
      `${what} act(s) on the engines and links of this machine's lab (redis-ha lab), but the swarm is not the lab's: ${problems.join('; ')}`,
      `on any other swarm use --node-fault containers / --partition network (the defaults); for the lab: \`redis-ha lab up\`, deploy with --node-host nodeI=unix:///run/redis-ha-lab/nodeI/docker.sock`,
    );
  }
  if (runner) useLabRunner(runner);
  return {
    killEngine: async (node) => {
      await killNodeEngine(node);
    },
    restartEngine: (node) => restartNodeEngine(node, { waitSwarm: true, timeoutMs: 90_000 }),
    setLink: (node, up) => setNodeLink(node, up ? 'up' : 'down'),
  };
}
