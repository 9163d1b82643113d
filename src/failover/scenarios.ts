// The faults test-failover injects, each through Docker, each with the action that heals
// it pushed on the heal stack before (or right as) the fault goes in.
import { UsageError } from '../errors.js';
import { sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { runSwitchover, PAUSE_LEASE_MS } from '../operations/switchover.js';
import { planRollingRestart } from '../operations/rollout-plan.js';
import { runRollout } from '../operations/rolling.js';
import type { FaultContext } from './fault-context.js';
import { drainNode, killNode, partitionNode } from './node-faults.js';
import { cutOff, keepDown } from './swarm-holds.js';
import type { WriteCounts } from './metrics.js';
import type { Op } from './recording.js';

/** What the scenario expects the Sentinels to do. */
export type Expectation = 'failover' | 'no-failover' | 'replica-resync';

/** Something a scenario needs from the topology, and what the topology has instead. */
export interface Need {
  /** The need as a phrase: "at least 1 replica". */
  what: string;
  /** undefined when the topology meets the need; else what it has ("it has 0"). */
  lacking: (t: Topology) => string | undefined;
}

const majority = (n: number) => Math.floor(n / 2) + 1;

export const NEEDS = {
  sentinels: {
    what: 'Sentinels',
    lacking: (t) => (t.sentinel.enabled ? undefined : 'it has none'),
  },
  replica: {
    what: 'at least 1 replica',
    lacking: (t) => (t.replicas >= 1 ? undefined : `it has ${t.replicas}`),
  },
  // A failover needs the quorum to agree the master is down AND a majority of all the
  // Sentinels to elect a leader: both must hold with one Sentinel dead.
  sentinelsAfterOneLoss: {
    what: 'Sentinels that still reach the quorum and a majority with one of them down',
    lacking: (t) => {
      if (!t.sentinel.enabled) return 'it has none';
      const { count, quorum } = t.sentinel;
      const needed = Math.max(quorum, majority(count));
      return count - 1 >= needed ? undefined : `it has ${count} with quorum ${quorum}: ${count - 1} left, ${needed} needed`;
    },
  },
  // Node faults take a whole swarm node: the runtime must reach every node.
  swarm: {
    what: 'target swarm',
    lacking: (t) => (t.target === 'swarm' ? undefined : `it targets ${t.target}`),
  },
  // A majority stopped and at least one Sentinel still answering (for CKQUORUM): 3 or more.
  sentinelLeftAfterMajorityLoss: {
    what: 'at least 3 Sentinels, so that one still answers with a majority stopped',
    lacking: (t) => (!t.sentinel.enabled ? 'it has none' : t.sentinel.count >= 3 ? undefined : `it has ${t.sentinel.count}`),
  },
} satisfies Record<string, Need>;

export interface ScenarioDef {
  name: string;
  description: string;
  expectation: Expectation;
  /** What the report says should happen. */
  expected: string;
  /** What the topology must have for the scenario to mean anything. */
  needs: readonly Need[];
  /**
   * Injects the fault. Resolves once it is in place; with the moment (performance.now()) clients
   * were first disturbed when that comes after a preparation (a switchover reads and steers first).
   */
  inject: (ctx: FaultContext) => Promise<void | number>;
  /**
   * The acknowledged writes the fault may cost, a bar judge() holds with the run's settings:
   * - 'none-with-wait': none when each write waited for a replica (--durability wait): the master
   *   goes down whole, and a write a replica acknowledged survives the promotion.
   * - 'min-replicas-max-lag': with min-replicas-to-write set, no more than the cut-off master
   *   accepts before it stops taking writes (min-replicas-max-lag seconds at the workload's rate).
   * Unset: a loss is a note in the report, or a failure of the scenario's own `verify`.
   */
  ackedWriteLoss?: 'none-with-wait' | 'min-replicas-max-lag';
  /** Pass conditions of this scenario beyond its expectation, one failure line each. */
  verify?: (outcome: { ops: Op[]; writes: WriteCounts }) => string[];
  /**
   * With monitoring: the alerts (prometheus/alerts.yml) the deployment's Prometheus must fire
   * after the fault; a missing one fails the scenario. Only what fires on every run of it: a
   * paused node's scrapes fail only while it is paused, often between two evaluations, so
   * RedisNodeDown is reported for pause-master, not expected.
   */
  alerts?: readonly string[];
}

const start = (ctx: FaultContext, service: string) => async () => ctx.runtime.containerAction('start', (await ctx.container(service)).id);

/**
 * kill / stop / restart a service's container, with `start` pushed on the heal stack first. A
 * killed or stopped one stays down until healed, on swarm too (keepDown).
 */
async function takeDown(ctx: FaultContext, service: string, action: 'kill' | 'stop' | 'restart', graceSeconds?: number): Promise<void> {
  const c = await ctx.container(service);
  ctx.heal.push(`start ${service}`, start(ctx, service));
  await ctx.runtime.containerAction(action, c.id, { graceSeconds });
  if (action !== 'restart') await keepDown(ctx, service);
}

const kill = (ctx: FaultContext, service: string) => takeDown(ctx, service, 'kill');

/** The scenarios, in the order they run: one table for what each does, expects and needs. */
export const SCENARIOS = [
  {
    name: 'kill-master',
    description: 'docker kill the master; start it again once a new master is elected',
    expectation: 'failover',
    expected: 'a replica is promoted; the old master rejoins as a replica',
    alerts: ['RedisNodeDown', 'RedisMasterChanged'],
    needs: [NEEDS.sentinels, NEEDS.replica],
    ackedWriteLoss: 'none-with-wait',
    inject: (ctx) => kill(ctx, ctx.oldMaster),
  },
  {
    name: 'stop-master',
    description: 'docker stop (SIGTERM, graceful) the master; start it again later',
    expectation: 'failover',
    expected: 'a replica is promoted; the old master rejoins as a replica',
    alerts: ['RedisNodeDown', 'RedisMasterChanged'],
    needs: [NEEDS.sentinels, NEEDS.replica],
    ackedWriteLoss: 'none-with-wait',
    inject: (ctx) => takeDown(ctx, ctx.oldMaster, 'stop', 10),
  },
  {
    name: 'pause-master',
    description: 'docker pause the master past down-after; unpause: it wakes up believing it is master',
    expectation: 'failover',
    expected: 'a replica is promoted; the old master wakes up, is demoted, rejoins as a replica',
    alerts: ['RedisMasterChanged', 'RedisMultipleMasters'],
    needs: [NEEDS.sentinels, NEEDS.replica],
    inject: async (ctx) => {
      const c = await ctx.container(ctx.oldMaster);
      ctx.heal.push(`unpause ${ctx.oldMaster}`, async () => {
        const now = await ctx.container(ctx.oldMaster);
        if (now.state === 'paused') await ctx.runtime.containerAction('unpause', now.id);
      });
      await ctx.runtime.containerAction('pause', c.id);
    },
  },
  {
    name: 'partition-master',
    description: 'disconnect the master from every network it is on (compose: back and front); reconnect it (with its DNS alias) later (on swarm Swarm then replaces its task)',
    expectation: 'failover',
    expected: 'a replica is promoted; the old master is demoted once reconnected',
    alerts: ['RedisNodeDown', 'RedisMasterChanged'],
    needs: [NEEDS.sentinels, NEEDS.replica],
    ackedWriteLoss: 'min-replicas-max-lag',
    inject: async (ctx) => {
      const networks = await cutOff(ctx, [await ctx.container(ctx.oldMaster)]);
      ctx.note(`disconnected ${ctx.oldMaster} from ${networks.join(', ')}`);
    },
  },
  {
    name: 'kill-sentinel',
    description: 'docker kill one Sentinel, then the master: the remaining Sentinels must still fail over',
    expectation: 'failover',
    expected: 'the remaining Sentinels still reach quorum and promote a replica',
    alerts: ['RedisMasterChanged'],
    needs: [NEEDS.sentinelsAfterOneLoss, NEEDS.replica],
    inject: async (ctx) => {
      const sentinel = sentinelNodes(ctx.topology)[0]!.name;
      await kill(ctx, sentinel);
      ctx.note(`killed ${sentinel}`);
      await kill(ctx, ctx.oldMaster);
    },
  },
  {
    name: 'sentinel-majority-loss',
    description: 'stop a majority of the Sentinels, then kill the master: no failover may happen (expected)',
    expectation: 'no-failover',
    expected: 'no failover (a minority of Sentinels cannot authorize one); CKQUORUM fails; this is expected',
    // Without a replica "no failover" would prove nothing: there would be nothing to promote.
    alerts: ['RedisNodeDown', 'RedisSentinelQuorumLost'],
    needs: [NEEDS.sentinelLeftAfterMajorityLoss, NEEDS.replica],
    inject: async (ctx) => {
      const all = sentinelNodes(ctx.topology).map((s) => s.name);
      const majority = all.slice(0, Math.floor(all.length / 2) + 1);
      for (const s of majority) await takeDown(ctx, s, 'stop', 2);
      ctx.note(`stopped ${majority.join(', ')}`);
      await kill(ctx, ctx.oldMaster);
    },
  },
  {
    name: 'restart-replica',
    description: 'docker restart a replica: it must resync (partially, as the backlog allows)',
    expectation: 'replica-resync',
    expected: 'the replica resyncs (partially, as the backlog allows); the master keeps serving',
    needs: [NEEDS.replica],
    inject: async (ctx) => {
      await takeDown(ctx, ctx.replica, 'restart', 10);
      ctx.note(`restarted ${ctx.replica}`);
    },
  },
  {
    name: 'switchover',
    description: 'redis-ha switchover: pause writes, SENTINEL FAILOVER, demote, unpause; no write may fail on the Sentinel client path',
    expectation: 'failover',
    expected: 'the master moves to a replica; no write fails on the Sentinel client path, none acknowledged is lost; the old master resyncs partially',
    alerts: ['RedisMasterChanged'],
    needs: [NEEDS.sentinels, NEEDS.replica],
    inject: async (ctx) => {
      const r = await runSwitchover({ deployment: { topology: ctx.topology, auth: ctx.auth, host: ctx.host, hostOf: ctx.hostOf }, signal: ctx.signal });
      const x = r.timings;
      ctx.note(`switchover ${r.oldMaster} -> ${r.newMaster}: paused ${x.pausedMs} ms (catch-up ${x.catchUpMs}, promoted ${x.promotedMs}, Sentinels ${x.sentinelSwitchMs}, HAProxy +${x.haproxyAgreeMs ?? '-'} ms), old master resync ${r.resync.kind}`);
      for (const n of r.notes) ctx.note(n);
      ctx.resyncMeasured?.(r.resync.kind);
      return r.pausedAt;
    },
    // Writes are delayed by the pause and retried on the new master, never failed.
    verify: ({ ops, writes }) => {
      const bad = ops.filter((o) => o.via === 'sentinel' && o.outcome !== 'ok');
      return [
        ...(bad.length ? [`${bad.length} write(s) not acknowledged on the Sentinel client path (first: ${bad[0]!.error ?? bad[0]!.outcome})`] : []),
        ...(writes.lostAcked ? [`${writes.lostAcked} acknowledged write(s) lost in a planned switchover`] : []),
      ];
    },
  },
  {
    name: 'rolling-restart',
    description: 'every node restarted the rolling way (as deploy --strategy rolling does): replicas, Sentinels, then a switchover and the old master (on swarm each a forced service update)',
    expectation: 'failover',
    expected: 'the master moves once; no acknowledged write is lost; writes fail on the HAProxy path only within one switchover',
    alerts: ['RedisMasterChanged'],
    needs: [NEEDS.sentinels, NEEDS.replica],
    inject: async (ctx) => {
      const startedAt = performance.now();
      const deployment = { topology: ctx.topology, auth: ctx.auth, stats: ctx.stats, host: ctx.host, hostOf: ctx.hostOf };
      const r = await runRollout(planRollingRestart(ctx.topology, ctx.oldMaster), {
        runtime: ctx.runtime,
        deployment,
        signal: ctx.signal,
        // On swarm a restart is a forced update of the service: a new task on the same node and
        // volume, waited for until it runs (the runtime's restart).
        replace: async (service) => {
          ctx.heal.push(`start ${service}`, start(ctx, service));
          await ctx.runtime.containerAction('restart', (await ctx.container(service)).id, { graceSeconds: 10 });
        },
      });
      for (const step of r.steps) ctx.note(`${step.step}: ${(step.ms / 1000).toFixed(1)} s${step.detail ? ` (${step.detail})` : ''}`);
      if (r.interrupted) ctx.note(`interrupted; not restarted: ${r.notDone.join(', ')}`);
      return startedAt;
    },
    // One switchover's worth: every failed HAProxy write falls in one burst no longer than a
    // switchover's write pause (its lease); restarting replicas and Sentinels fails none.
    verify: ({ ops, writes }) => {
      const bad = ops.filter((o) => o.via === 'haproxy' && o.outcome !== 'ok');
      const span = bad.length ? Math.max(...bad.map((o) => o.end)) - Math.min(...bad.map((o) => o.start)) : 0;
      return [
        ...(writes.lostAcked ? [`${writes.lostAcked} acknowledged write(s) lost in a rolling restart`] : []),
        ...(span > PAUSE_LEASE_MS ? [`${bad.length} write(s) failed on the HAProxy path over ${Math.round(span)} ms, more than one switchover (${PAUSE_LEASE_MS} ms)`] : []),
      ];
    },
  },
  {
    name: 'kill-node',
    description: "kill every container of the deployment on the master's swarm node at once and drain the node (a host that lost power); reactivate it. --node-fault engine (lab): kill the node's whole engine; start it again",
    expectation: 'failover',
    expected: "a replica on another node is promoted; the node's Redis rejoins as a replica once the node is back",
    needs: [NEEDS.swarm, NEEDS.sentinelsAfterOneLoss, NEEDS.replica],
    ackedWriteLoss: 'none-with-wait',
    inject: (ctx) => killNode(ctx),
  },
  {
    name: 'partition-node',
    description: "disconnect every container of the deployment on the master's swarm node from the overlay network; reconnect them. --partition link (lab): take the node's link down; bring it up",
    expectation: 'failover',
    expected: 'a replica on another node is promoted; the old master is demoted once reconnected',
    needs: [NEEDS.swarm, NEEDS.sentinelsAfterOneLoss, NEEDS.replica],
    ackedWriteLoss: 'min-replicas-max-lag',
    inject: (ctx) => partitionNode(ctx),
  },
  {
    name: 'drain-node',
    description: "planned maintenance: switchover away from the master's swarm node, drain the node, reactivate it",
    expectation: 'failover',
    expected: 'the master moves off the node first; no acknowledged write is lost; its tasks come back when it is reactivated',
    needs: [NEEDS.swarm, NEEDS.sentinelsAfterOneLoss, NEEDS.replica],
    inject: (ctx) => drainNode(ctx),
    verify: ({ writes }) => (writes.lostAcked ? [`${writes.lostAcked} acknowledged write(s) lost in a planned drain`] : []),
  },
] as const satisfies readonly ScenarioDef[];

export type ScenarioName = (typeof SCENARIOS)[number]['name'];
export const SCENARIO_NAMES: readonly ScenarioName[] = SCENARIOS.map((s) => s.name);

export function scenario(name: ScenarioName): ScenarioDef {
  return SCENARIOS.find((s) => s.name === name)!;
}

/** Why `name` cannot run on `t` ("kill-master needs at least 1 replica (it has 0)"), or undefined. */
export function unfitReason(t: Topology, name: ScenarioName): string | undefined {
  const unmet = scenario(name).needs.flatMap((n) => {
    const lacking = n.lacking(t);
    return lacking === undefined ? [] : [`${n.what} (${lacking})`];
  });
  return unmet.length ? `${name} needs ${unmet.join(' and ')}` : undefined;
}

/** The scenarios whose needs the topology meets, in table order. */
export function scenariosFor(t: Topology): ScenarioName[] {
  return SCENARIO_NAMES.filter((n) => unfitReason(t, n) === undefined);
}

export interface Selection {
  selected: ScenarioName[];
  /** Scenarios left out of the default / `all` selection, each with its reason. */
  skipped: string[];
}

/**
 * `--scenario` values (repeatable, `all`) into an ordered, de-duplicated list. By default and
 * with `all`: every scenario the topology fits, the others skipped with their reason. A
 * scenario asked for by name that does not fit is an error saying what it needs.
 */
export function selectScenarios(t: Topology, requested: string[] | undefined): Selection {
  const fitting = scenariosFor(t);
  // Node faults exist only on swarm: a compose deployment does not list them as skipped.
  const reasons = SCENARIO_NAMES.filter((n) => t.target === 'swarm' || !scenario(n).needs.includes(NEEDS.swarm)).flatMap((n) => unfitReason(t, n) ?? []);
  const where = `deployment ${t.name} (preset ${t.preset}, ${t.replicas} replica${t.replicas === 1 ? '' : 's'}, ${t.sentinel.enabled ? t.sentinel.count : 'no'} Sentinel${t.sentinel.enabled && t.sentinel.count === 1 ? '' : 's'})`;
  if (!requested || requested.length === 0 || requested.includes('all')) {
    if (!fitting.length) throw new UsageError(`no failover scenario fits ${where}: ${reasons.join('; ')}`, 'deploy with at least 1 replica (and Sentinels for the failover scenarios)');
    return { selected: fitting, skipped: reasons };
  }
  const unknown = requested.filter((s) => !(SCENARIO_NAMES as readonly string[]).includes(s));
  if (unknown.length) {
    throw new UsageError(`unknown scenario(s): ${unknown.join(', ')}`, `choose from: all, ${SCENARIO_NAMES.join(', ')}`);
  }
  const unfit = SCENARIO_NAMES.filter((n) => requested.includes(n)).flatMap((n) => unfitReason(t, n) ?? []);
  if (unfit.length) {
    throw new UsageError(`cannot run on ${where}: ${unfit.join('; ')}`, `scenarios that fit it: ${fitting.join(', ') || 'none'}`);
  }
  return { selected: SCENARIO_NAMES.filter((n) => requested.includes(n)), skipped: [] };
}
