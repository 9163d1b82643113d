// The faults test-failover injects into a Redis Cluster (the cluster preset), each through
// Docker, each with the action that heals it pushed on the heal stack before the fault goes in.
// One table: what each does, what it expects, what it needs, which figures the gate holds.
import { UsageError } from '../errors.js';
import { redisNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { HealStack } from '../operations/heal.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { cutOff, keepDown } from './swarm-holds.js';

/** A shard as the cluster serves it when the scenario starts. */
export interface LiveShard {
  /** 1-based, in slot order. */
  shard: number;
  master: string;
  replicas: string[];
}

export interface ClusterFaultContext {
  topology: Topology;
  runtime: Runtime;
  heal: HealStack;
  container: (service: string) => Promise<ContainerInfo>;
  /** The shard the fault goes into (every shard for restart-all). */
  target: LiveShard;
  note: (line: string) => void;
}

/**
 * - failover: a replica of the shard takes over its slots; the faulted master rejoins as its replica.
 * - no-failover: the shard keeps its master (a replica was lost).
 * - shard-down: no node of the shard is left: its slots fail, the other shards keep serving.
 * - restart: every node stops and starts again; the cluster comes back with the same slot ranges (a master that restarts late may be failed over within its shard).
 */
export type ClusterExpectation = 'failover' | 'no-failover' | 'shard-down' | 'restart';

/** Which write gap the --max-write-gap-ms gate holds; a reason where it does not. */
export interface GapGate {
  failedShard?: string;
  otherShards?: string;
}

export interface ClusterScenarioDef {
  name: string;
  description: string;
  expectation: ClusterExpectation;
  expected: string;
  /** Why the topology cannot run it, or undefined. */
  unfit: (t: Topology) => string | undefined;
  /** Injects the fault; resolves with the services it took out, once it is in place. */
  inject: (ctx: ClusterFaultContext) => Promise<string[]>;
  /**
   * 'none-with-wait': no acknowledged write lost with --durability wait (a replica had each one).
   * 'none': none lost whatever the durability (the shard's master stays, or every write is in the
   * AOF of nodes stopped or killed as a process: the kernel still writes it out).
   */
  ackedWriteLoss: 'none-with-wait' | 'none';
  /** The gaps the gate does not hold for this scenario, each with the reason. */
  notGated?: GapGate;
  /** A whole host goes down: the fault goes into a shard whose master is the only master on its host. */
  hostFault?: boolean;
}

const start = (ctx: ClusterFaultContext, service: string) => async () => ctx.runtime.containerAction('start', (await ctx.container(service)).id);

/**
 * kill / stop services (at once), each with `start` pushed on the heal stack first. On swarm
 * each is also kept down (scaled to 0 until healed): Swarm would start a new task after its
 * restart delay (5 s), before a slow failover, as a container stays down on compose.
 */
async function takeDown(ctx: ClusterFaultContext, services: string[], action: 'kill' | 'stop'): Promise<string[]> {
  const containers = await Promise.all(services.map((s) => ctx.container(s)));
  for (const s of services) ctx.heal.push(`start ${s}`, start(ctx, s));
  await Promise.all(containers.map((c) => ctx.runtime.containerAction(action, c.id, action === 'stop' ? { graceSeconds: 10 } : {})));
  await Promise.all(services.map((s) => keepDown(ctx, s)));
  return services;
}

const needsReplica = (t: Topology) => (t.cluster.replicasPerShard >= 1 ? undefined : `needs at least 1 replica per shard (it has ${t.cluster.replicasPerShard})`);
const needsAof = (t: Topology) =>
  t.redis.persistence === 'aof' ? undefined : `needs persistence aof (it has ${t.redis.persistence}): without it the stopped nodes come back without the writes of the run`;

/** The scenarios, in the order they run. */
export const CLUSTER_SCENARIOS = [
  {
    name: 'kill-master',
    description: "docker kill a shard's master; start it again once a replica took over",
    expectation: 'failover',
    expected: "a replica of the shard takes over its slots; the other shards' writes go on; the old master rejoins as a replica",
    unfit: needsReplica,
    ackedWriteLoss: 'none-with-wait',
    inject: (ctx) => takeDown(ctx, [ctx.target.master], 'kill'),
  },
  {
    name: 'stop-master',
    description: "docker stop (SIGTERM, graceful) a shard's master; start it again later",
    expectation: 'failover',
    expected: "a replica of the shard takes over its slots; the other shards' writes go on; the old master rejoins as a replica",
    unfit: needsReplica,
    ackedWriteLoss: 'none-with-wait',
    inject: (ctx) => takeDown(ctx, [ctx.target.master], 'stop'),
  },
  {
    name: 'pause-master',
    description: "docker pause a shard's master past cluster-node-timeout; unpause: it wakes up believing it is master",
    expectation: 'failover',
    expected: 'a replica of the shard takes over; the old master wakes up, learns the newer epoch and rejoins as a replica',
    unfit: needsReplica,
    ackedWriteLoss: 'none-with-wait',
    inject: async (ctx) => {
      const service = ctx.target.master;
      const c = await ctx.container(service);
      ctx.heal.push(`unpause ${service}`, async () => {
        const now = await ctx.container(service);
        if (now.state === 'paused') await ctx.runtime.containerAction('unpause', now.id);
      });
      await ctx.runtime.containerAction('pause', c.id);
      return [service];
    },
  },
  {
    name: 'partition-master',
    description: "disconnect a shard's master from the deployment's network; reconnect it (with its DNS alias) later",
    expectation: 'failover',
    expected: 'a replica of the shard takes over (the cut-off master stops taking writes after cluster-node-timeout); the old master rejoins as a replica once reconnected',
    unfit: needsReplica,
    ackedWriteLoss: 'none-with-wait',
    inject: async (ctx) => {
      const networks = await cutOff(ctx, [await ctx.container(ctx.target.master)]);
      ctx.note(`disconnected ${ctx.target.master} from ${networks.join(', ')}`);
      return [ctx.target.master];
    },
  },
  {
    name: 'kill-node',
    description: "docker kill every Redis node on the swarm host that runs a shard's master (a host lost); start them again",
    expectation: 'failover',
    expected: "a replica of the shard on another host takes over its slots; the other nodes lost with the host (replicas of other shards: placement keeps a shard's master and replica apart) rejoin; the old master rejoins as a replica",
    unfit: (t) => needsReplica(t) ?? (t.target === 'swarm' ? undefined : 'needs a swarm (--target swarm): a host is a swarm node'),
    ackedWriteLoss: 'none-with-wait',
    notGated: { otherShards: "the replicas of other shards on that host go with it: with --durability wait and 1 replica per shard, those shards' writes wait for them" },
    hostFault: true,
    inject: async (ctx) => {
      const host = (await ctx.container(ctx.target.master)).node;
      if (!host) throw new Error(`kill-node: ${ctx.target.master} runs on no known swarm node`);
      const onHost = (await Promise.all(redisNodes(ctx.topology).map(async (n) => ((await ctx.container(n.name)).node === host ? [n.name] : [])))).flat();
      ctx.note(`${host} runs ${onHost.join(', ')}`);
      return takeDown(ctx, onHost, 'kill');
    },
  },
  {
    name: 'kill-replica',
    description: "docker kill a replica of a shard; start it again",
    expectation: 'no-failover',
    expected: 'the shard keeps its master; the replica rejoins and resyncs (with --durability wait and 1 replica per shard, that shard\'s writes are not acknowledged meanwhile)',
    unfit: needsReplica,
    ackedWriteLoss: 'none',
    inject: (ctx) => takeDown(ctx, [ctx.target.replicas[0]!], 'kill'),
  },
  {
    name: 'lose-shard',
    description: "docker kill a shard's master and every replica at once; start them again",
    expectation: 'shard-down',
    expected: "the other nodes flag the shard's nodes failed and its slots fail (CLUSTERDOWN); the other shards keep serving (cluster-require-full-coverage no); the shard comes back with its slots",
    unfit: needsAof,
    ackedWriteLoss: 'none',
    notGated: { failedShard: "the shard's slots stay down until its nodes are started again, by design" },
    inject: (ctx) => takeDown(ctx, [ctx.target.master, ...ctx.target.replicas], 'kill'),
  },
  {
    name: 'restart-all',
    description: 'docker stop every node at once (SIGTERM, graceful); start them all again',
    expectation: 'restart',
    expected: 'every node comes back from nodes.conf and its AOF: the same slot map, every acknowledged write',
    unfit: needsAof,
    ackedWriteLoss: 'none',
    notGated: { failedShard: 'every node is stopped: the gap is the planned restart', otherShards: 'every shard is restarted' },
    inject: (ctx) => takeDown(ctx, redisNodes(ctx.topology).map((n) => n.name), 'stop'),
  },
] as const satisfies readonly ClusterScenarioDef[];

export type ClusterScenarioName = (typeof CLUSTER_SCENARIOS)[number]['name'];
export const CLUSTER_SCENARIO_NAMES: readonly ClusterScenarioName[] = CLUSTER_SCENARIOS.map((s) => s.name);

export function clusterScenario(name: ClusterScenarioName): ClusterScenarioDef {
  return CLUSTER_SCENARIOS.find((s) => s.name === name)!;
}

const unfitReason = (t: Topology, name: ClusterScenarioName) => {
  const why = clusterScenario(name).unfit(t);
  return why ? `${name} ${why}` : undefined;
};

/**
 * `--scenario` values (repeatable, `all`) into an ordered, de-duplicated list, as for the other
 * presets: by default and with `all` every scenario that fits, the others skipped with their
 * reason; one asked for by name that does not fit, or an unknown one, is an error.
 */
export function selectClusterScenarios(t: Topology, requested: string[] | undefined): { selected: ClusterScenarioName[]; skipped: string[] } {
  const fitting = CLUSTER_SCENARIO_NAMES.filter((n) => !unfitReason(t, n));
  const reasons = CLUSTER_SCENARIO_NAMES.flatMap((n) => unfitReason(t, n) ?? []);
  const where = `cluster deployment ${t.name} (${t.cluster.shards} shards x ${t.cluster.replicasPerShard} replica${t.cluster.replicasPerShard === 1 ? '' : 's'}, persistence ${t.redis.persistence})`;
  if (!requested || requested.length === 0 || requested.includes('all')) {
    if (!fitting.length) throw new UsageError(`no failover scenario fits ${where}: ${reasons.join('; ')}`, 'deploy with at least 1 replica per shard (--replicas-per-shard 1)');
    return { selected: fitting, skipped: reasons };
  }
  const unknown = requested.filter((s) => !(CLUSTER_SCENARIO_NAMES as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`unknown scenario(s) for a cluster: ${unknown.join(', ')}`, `choose from: all, ${CLUSTER_SCENARIO_NAMES.join(', ')}`);
  const unfit = CLUSTER_SCENARIO_NAMES.filter((n) => requested.includes(n)).flatMap((n) => unfitReason(t, n) ?? []);
  if (unfit.length) throw new UsageError(`cannot run on ${where}: ${unfit.join('; ')}`, `scenarios that fit it: ${fitting.join(', ') || 'none'}`);
  return { selected: CLUSTER_SCENARIO_NAMES.filter((n) => requested.includes(n)), skipped: [] };
}
