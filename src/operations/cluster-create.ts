// Creates a deployment's Redis Cluster once every node answers, and keeps it whole: each round
// plans from what the nodes say (probes/cluster.ts) and runs what is missing, so a redeploy or a
// restart of a formed cluster (nodes.conf in each volume) finds nothing to do, and a deploy cut
// short resumes where it stopped. The order is `redis-cli --cluster create`'s: slots on the
// masters (fresh nodes also get distinct config epochs), CLUSTER MEET, then CLUSTER REPLICATE.
import { addressOf, type Deployment } from '../deployment.js';
import { FailedError } from '../errors.js';
import { CLUSTER_BUS_OFFSET, clusterShards, type ShardPlan } from '../model/cluster.js';
import { redisNodes, REDIS_PORT } from '../model/nodes.js';
import { clusterCommand, probeCluster, type ClusterNodeState, type ClusterPeer } from '../probes/cluster.js';
import type { Runtime } from '../runtime/runtime.js';
import { waitFor, type Clock } from '../wait.js';

export type ClusterStep =
  | { kind: 'addslots'; node: string; slots: [number, number]; epoch?: number }
  | { kind: 'meet'; from: string; to: string; ip: string }
  | { kind: 'replicate'; node: string; master: string; masterId: string };

export interface ClusterPlan {
  steps: ClusterStep[];
  /** What must settle (gossip) before the remaining steps can be planned. */
  waitingFor: string[];
}

/** The cluster on the nodes cannot become the topology's by adding to it (a rolling deploy changes the shards: cluster-scale.ts). */
export class ClusterShapeError extends FailedError {
  constructor(message: string) {
    super(message, 'a rolling deploy (the default strategy) adds or removes shards with their slots; deploy the shards the cluster serves, or remove it (`redis-ha cleanup`) and deploy again');
    this.name = 'ClusterShapeError';
  }
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];
const isMaster = (p: ClusterPeer | undefined) => p?.flags.includes('master') ?? false;
const self = (n: ClusterNodeState) => n.peers?.find((p) => p.flags.includes('myself'));

/**
 * The steps that bring the nodes to the topology's cluster, from what each says (every node
 * reachable) and `ips`: each node's current address on the deployment's network.
 */
export function planCluster(shards: ShardPlan[], nodes: ClusterNodeState[], ips: Map<string, string>): ClusterPlan {
  const byService = new Map(nodes.map((n) => [n.service, n]));
  const steps: ClusterStep[] = [];
  const waitingFor: string[] = [];
  // Slots: every slot claimed in any node's view.
  const claimed = nodes.flatMap((n) => (n.peers ?? []).filter(isMaster).flatMap((p) => p.slots));
  for (const shard of shards) {
    const taken = claimed.filter((r) => overlaps(r, shard.slots));
    if (taken.length === 0) {
      const master = byService.get(shard.master)!;
      // A config epoch of its own (as redis-cli sets), only while the node knows nothing else.
      const fresh = master.info!.knownNodes === 1 && master.info!.currentEpoch === 0;
      steps.push({ kind: 'addslots', node: shard.master, slots: shard.slots, ...(fresh ? { epoch: shard.shard } : {}) });
    }
  }
  // More masters than the topology's shards: not reshaped here (a rolling deploy drains shards
  // first: operations/cluster-scale.ts). Other ranges are fine: a reshard or a scale moves slots.
  const size = Math.max(...nodes.map((n) => n.info?.size ?? 0));
  if (size > shards.length) {
    throw new ClusterShapeError(`the cluster on the nodes serves its slots from ${size} masters, the topology has ${shards.length} shards`);
  }
  // MEET: the first node meets every node it does not know at its current address; any node that
  // knows another at an address it no longer has (a restart gave it a new one) meets it there.
  const [hub] = nodes;
  for (const n of nodes) {
    const ip = ips.get(n.service);
    if (!ip) {
      waitingFor.push(`${n.service}'s address`);
      continue;
    }
    for (const from of nodes) {
      if (from === n) continue;
      const seen = from.peers?.find((p) => p.id === n.myid);
      // Another address, or none (noaddr: the node at the old address answered with another id).
      const stale = seen !== undefined && seen.ip !== ip;
      if ((from === hub && !seen) || stale) steps.push({ kind: 'meet', from: from.service, to: n.service, ip });
    }
  }
  // REPLICATE: a node serving no slots replicates the node serving its shard's slots now (the
  // planned master, or after a failover the replica that took over).
  for (const shard of shards) {
    for (const service of [shard.master, ...shard.replicas]) {
      const n = byService.get(service)!;
      const me = self(n);
      if (!me || !isMaster(me) || me.slots.length) continue;
      const holder = nodes.map(self).find((p) => p && isMaster(p) && p.slots.some((r) => overlaps(r, shard.slots)));
      if (!holder) continue; // its slots are added first
      const known = n.peers?.find((p) => p.id === holder.id);
      if (!known || known.flags.includes('handshake')) {
        waitingFor.push(`${service} to learn of ${nodes.find((x) => x.myid === holder.id)?.service ?? holder.id}`);
        continue;
      }
      steps.push({ kind: 'replicate', node: service, master: nodes.find((x) => x.myid === holder.id)!.service, masterId: holder.id });
    }
  }
  return { steps, waitingFor };
}

export const describeClusterStep = (s: ClusterStep): string =>
  s.kind === 'addslots'
    ? `${s.node}: CLUSTER ADDSLOTSRANGE ${s.slots[0]} ${s.slots[1]}${s.epoch ? ` (config epoch ${s.epoch})` : ''}`
    : s.kind === 'meet'
      ? `${s.from}: CLUSTER MEET ${s.to} (${s.ip})`
      : `${s.node}: CLUSTER REPLICATE ${s.master}`;

export interface FormClusterOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  clock?: Clock;
  /** Each step as it is run. */
  onStep?: (step: ClusterStep) => void;
}

export interface FormClusterResult {
  /** The steps run; none when the cluster was already formed. */
  steps: string[];
  /** One line on what was done: created, kept as it was, or kept with peers met at new addresses. */
  summary: string;
}

/** What a run of steps did, in a few words. */
export function summarizeClusterSteps(steps: ClusterStep[]): string {
  const count = (kind: ClusterStep['kind']) => steps.filter((s) => s.kind === kind).length;
  const [slots, meets, replicas] = [count('addslots'), count('meet'), count('replicate')];
  if (!steps.length) return 'already formed: left as it is';
  if (!slots && !replicas) return `already formed; ${meets} CLUSTER MEET of peers at their new addresses`;
  return `${slots} slot range(s) assigned, ${meets} CLUSTER MEET, ${replicas} CLUSTER REPLICATE`;
}

/**
 * Waits until every node answers, then runs the plan in rounds (one kind of step per round:
 * slots, then meets, then replicas) until nothing is left to do. Health (every slot served,
 * cluster_state:ok everywhere, replicas linked) is the status checks' to judge.
 */
export async function formCluster(runtime: Runtime, d: Deployment, options: FormClusterOptions): Promise<FormClusterResult> {
  const t = d.topology;
  const shards = clusterShards(t);
  const hostPort = new Map(redisNodes(t).map((n) => [n.name, n.hostPort]));
  const run: ClusterStep[] = [];
  const exec = async (node: string, args: (string | number)[]) => {
    try {
      await clusterCommand({ host: addressOf(d, node), port: hostPort.get(node)! }, d.auth, args);
    } catch (err) {
      throw new FailedError(`${node}: ${args.join(' ')} failed: ${(err as Error).message}`, `see \`redis-ha status --name ${t.name}\``);
    }
  };
  await waitFor(
    `the cluster of ${t.name} to be formed`,
    async () => {
      const nodes = await probeCluster(d);
      const down = nodes.filter((n) => !n.reachable);
      if (down.length) return { verdict: 'waiting', value: undefined, state: `waiting for ${down.map((n) => `${n.service} (${n.error})`).join(', ')}` };
      // Each node's current address on the deployment's network (its only one).
      const ips = new Map(
        (await runtime.containers(t.name)).flatMap((c) => {
          const ip = Object.values(c.addresses ?? {})[0];
          return ip ? [[c.service, ip] as const] : [];
        }),
      );
      const plan = planCluster(shards, nodes, ips);
      if (!plan.steps.length && !plan.waitingFor.length) return { verdict: 'done', value: undefined, state: 'formed' };
      const kind = plan.steps[0]?.kind;
      for (const step of plan.steps.filter((s) => s.kind === kind)) {
        options.signal?.throwIfAborted();
        options.onStep?.(step);
        run.push(step);
        if (step.kind === 'addslots') {
          if (step.epoch) await exec(step.node, ['CLUSTER', 'SET-CONFIG-EPOCH', step.epoch]);
          await exec(step.node, ['CLUSTER', 'ADDSLOTSRANGE', step.slots[0], step.slots[1]]);
        } else if (step.kind === 'meet') {
          await exec(step.from, ['CLUSTER', 'MEET', step.ip, REDIS_PORT, REDIS_PORT + CLUSTER_BUS_OFFSET]);
        } else {
          await exec(step.node, ['CLUSTER', 'REPLICATE', step.masterId]);
        }
      }
      return { verdict: 'waiting', value: undefined, state: plan.waitingFor.length ? `waiting for ${plan.waitingFor.join(', ')}` : `ran ${plan.steps.length} step(s)` };
    },
    { timeoutMs: options.timeoutMs, intervalMs: 200, signal: options.signal, clock: options.clock },
  );
  return { steps: run.map(describeClusterStep), summary: summarizeClusterSteps(run) };
}
