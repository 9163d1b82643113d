// Adds or removes shards of a live Redis Cluster (a deploy with another `--shards`), while
// clients keep writing: what `redis-cli --cluster add-node / rebalance / del-node` do, planned
// from what the nodes say right before (cluster-scale-plan.ts). In order:
//   1. new nodes started and met (CLUSTER MEET from a node of the cluster, at their addresses
//      on the deployment's network), the replicas of new shards attached to their masters;
//   2. slots moved with their keys (cluster-reshard.ts) until every master that stays has its
//      share; a drained shard ends with no slot;
//   3. nodes that stay but lost their shard become replicas of a shard that lacks one;
//   4. nodes the topology no longer has: checked empty, stopped, their data removed, and
//      forgotten by every other node (CLUSTER FORGET).
// Run again after an interruption, it plans from where the cluster is and finishes.
import { addressOf, type Deployment } from '../deployment.js';
import { FailedError } from '../errors.js';
import { checkCluster } from '../health/cluster.js';
import { CLUSTER_BUS_OFFSET } from '../model/cluster.js';
import { redisNodeNamed, redisNodes, REDIS_PORT } from '../model/nodes.js';
import { clusterCommand, probeCluster, type ClusterNodeState } from '../probes/cluster.js';
import { withConnection } from '../probes/connect.js';
import type { ProjectSpec, Runtime } from '../runtime/runtime.js';
import { waitFor } from '../wait.js';
import { moveSlots, type MoveSlotsResult } from './cluster-reshard.js';
import { planShardChange, scaleShards, type ScalePlan } from './cluster-scale-plan.js';
import { removeServices } from './remove-services.js';

export interface ClusterScaleOptions {
  runtime: Runtime;
  project: ProjectSpec;
  /**
   * How new nodes are started and removed ones taken away with their data: on compose (the
   * default) `up --no-deps` and removeServices; on swarm through the staged stack file, one
   * service at a time (operations/stack-rollout.ts), so nothing else in the stack changes.
   */
  services?: { start(services: string[]): Promise<void>; remove(services: string[]): Promise<void> };
  /** The deployment with the topology just rendered (the new shard count). */
  deployment: Deployment;
  timeoutMs: number;
  signal?: AbortSignal;
  onStep?: (detail: string) => void;
}

export interface ClusterScaleResult {
  plan: Omit<ScalePlan, 'moves'>;
  moved: MoveSlotsResult;
}

const isRedis = (s: string) => /^redis-\d+$/.test(s);
const self = (n: ClusterNodeState) => n.peers?.find((p) => p.flags.includes('myself'));

export async function runClusterScale(o: ClusterScaleOptions): Promise<ClusterScaleResult> {
  const { runtime, deployment: d } = o;
  const t = d.topology;
  const started = performance.now();
  const left = () => Math.max(5000, o.timeoutMs - (performance.now() - started));
  const running = async () => (await runtime.containers(t.name)).filter((c) => isRedis(c.service));
  const wanted = redisNodes(t).map((n) => n.name);

  // 1. New nodes: started (all at once), then met.
  const before = (await running()).map((c) => c.service);
  const start = wanted.filter((n) => !before.includes(n));
  const services = o.services ?? {
    start: (list: string[]) => runtime.up(o.project, { services: list, noDeps: true }),
    remove: async (list: string[]) => void (await removeServices(runtime, t.name, list)),
  };
  if (start.length) {
    o.onStep?.(`starting ${start.join(', ')}`);
    await services.start(start);
  }
  const all = [...new Set([...before, ...wanted])].sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const refs = all.map((s) => redisNodeNamed(t, s));
  const probe = () => probeCluster(d, refs);
  // The shards as the first answering node serves them (the counts are not the topology's yet).
  const shardsNow = (states: ClusterNodeState[]) => scaleShards(checkCluster(t, states, { caughtUp: false, shape: false }).shards);
  const exec = async (node: string, args: (string | number)[]) => {
    try {
      return await clusterCommand({ host: addressOf(d, node), port: redisNodeNamed(t, node).hostPort }, d.auth, args);
    } catch (err) {
      throw new FailedError(`${node}: ${args.join(' ')} failed: ${(err as Error).message}`, `see \`redis-ha status --name ${t.name}\`; deploy again to resume`);
    }
  };
  const settle = <T>(what: string, check: (states: ClusterNodeState[]) => T | undefined) =>
    waitFor(
      what,
      async () => {
        const states = await probe();
        const value = check(states);
        return value === undefined ? { verdict: 'waiting', value: undefined, state: 'not yet' } : { verdict: 'done', value, state: 'ready' };
      },
      { timeoutMs: left(), intervalMs: 200, signal: o.signal },
    ) as Promise<T>;

  o.onStep?.('waiting for every node to answer');
  let states = await settle(`every Redis node of ${t.name} to answer`, (s) => (s.every((n) => n.reachable) ? s : undefined));
  const hub = shardsNow(states)[0]?.master;
  if (!hub) throw new FailedError(`no node of ${t.name} serves slots: there is no cluster to add shards to`, `see \`redis-ha status --name ${t.name}\``);
  const ips = new Map((await runtime.containers(t.name)).flatMap((c) => {
    const ip = Object.values(c.addresses ?? {})[0];
    return ip ? [[c.service, ip] as const] : [];
  }));
  const hubState = states.find((n) => n.service === hub)!;
  for (const n of states) {
    if (n.service === hub || hubState.peers?.some((p) => p.id === n.myid)) continue;
    const ip = ips.get(n.service);
    if (!ip) throw new FailedError(`${n.service} has no address on ${t.name}'s network`, `see \`redis-ha status --name ${t.name}\``);
    o.onStep?.(`CLUSTER MEET ${n.service}`);
    await exec(hub, ['CLUSTER', 'MEET', ip, REDIS_PORT, REDIS_PORT + CLUSTER_BUS_OFFSET]);
  }
  // Known to every node, and every node (the new ones too) saying cluster_state:ok: a new master
  // starts in state fail and answers a MIGRATE into it with CLUSTERDOWN until it is ok (Redis
  // holds a master that rejoins a majority in fail for up to the node timeout).
  states = await settle(`every node of ${t.name} to know every other and say cluster_state:ok`, (s) =>
    s.every((n) => n.reachable && n.info?.state === 'ok' && s.every((m) => m === n || n.peers?.some((p) => p.id === m.myid && !p.flags.includes('handshake') && !p.flags.includes('noaddr'))))
      ? s
      : undefined,
  );

  const plan = planShardChange({ shards: shardsNow(states), running: all, wanted, target: t.cluster });
  const idOf = (service: string) => states.find((n) => n.service === service)!.myid!;
  const replicate = async (list: ScalePlan['replicate']) => {
    for (const r of list) {
      const me = self(states.find((n) => n.service === r.node)!);
      if (me?.masterId === idOf(r.master)) continue;
      o.onStep?.(`CLUSTER REPLICATE ${r.node} -> ${r.master}`);
      await exec(r.node, ['CLUSTER', 'REPLICATE', idOf(r.master)]);
    }
  };
  // The new shards' replicas first: they then copy each key as it arrives.
  await replicate(plan.replicate.filter((r) => plan.newMasters.includes(r.master)));

  // 2. Slots, giver by giver.
  const moved = await moveSlots(
    d,
    states,
    plan.moves.map((m) => ({ from: m.from, to: m.to, slots: m.slots.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)) })),
    { timeoutMs: left(), signal: o.signal, onProgress: (p) => o.onStep?.(`moved ${p.slotsDone} of ${p.slots} slots (${p.keys} keys)`) },
  );

  // 3. Nodes that stay but lost their shard (an emptied master can now replicate).
  states = await probe();
  await replicate(plan.replicate.filter((r) => !plan.newMasters.includes(r.master)));
  o.onStep?.('waiting for every replica to be linked');
  states = await settle(`every replica of ${t.name} to be linked`, (s) =>
    plan.replicate.every((r) => {
      const n = s.find((x) => x.service === r.node);
      return n?.replication?.linkUp === true && self(n)?.masterId === idOf(r.master);
    }) && s.every((n) => n.info?.state === 'ok')
      ? s
      : undefined,
  );

  // 4. Removed nodes: empty (their slots went in 2), stopped, data removed, forgotten.
  if (plan.remove.length) {
    for (const service of plan.remove) {
      const keys = await withConnection({ host: addressOf(d, service), port: redisNodeNamed(t, service).hostPort }, d.auth, (r) => r.call('DBSIZE'), 5000);
      const me = self(states.find((n) => n.service === service)!);
      if (Number(keys) > 0 && me?.flags.includes('master')) {
        throw new FailedError(`${service} still holds ${keys} keys and is a master, so it was not removed`, `see \`redis-ha status --name ${t.name}\`; deploy again to resume`);
      }
    }
    const ids = plan.remove.map(idOf);
    o.onStep?.(`removing ${plan.remove.join(', ')}`);
    await services.remove(plan.remove);
    // Every node that stays forgets them (within Redis's 60 s ban on re-learning a forgotten node).
    for (const node of wanted) {
      for (const id of ids) {
        await withConnection({ host: addressOf(d, node), port: redisNodeNamed(t, node).hostPort }, d.auth, (r) => r.call('CLUSTER', 'FORGET', id), 5000).catch((err: Error) => {
          if (!/unknown node/i.test(err.message)) throw new FailedError(`${node}: CLUSTER FORGET ${id} failed: ${err.message}`, `deploy again to resume`);
        });
      }
    }
  }
  const { moves: _moves, ...rest } = plan;
  return { plan: rest, moved };
}

/** One line on what a scale did. */
export function describeClusterScale(r: ClusterScaleResult): string {
  const parts: string[] = [];
  if (r.plan.newMasters.length) parts.push(`new shard master(s) ${r.plan.newMasters.join(', ')}`);
  if (r.plan.drain.length) parts.push(`drained ${r.plan.drain.join(', ')}`);
  parts.push(`${r.moved.slots} slots and ${r.moved.keys} keys moved in ${(r.moved.movedMs / 1000).toFixed(1)} s`);
  if (r.plan.replicate.length) parts.push(`${r.plan.replicate.map((x) => `${x.node} -> ${x.master}`).join(', ')} replicating`);
  if (r.plan.remove.length) parts.push(`removed and forgotten ${r.plan.remove.join(', ')}`);
  return parts.join('; ');
}
