// The faults test-failover injects, each through Docker, each with the action that heals
// it pushed on the heal stack before (or right as) the fault goes in.
import { UsageError } from '../errors.js';
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { runSwitchover } from '../operations/switchover.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import type { HealStack } from './heal.js';
import type { WriteCounts } from './metrics.js';
import type { Op } from './recording.js';

export const SCENARIOS = [
  'kill-master',
  'stop-master',
  'pause-master',
  'partition-master',
  'kill-sentinel',
  'sentinel-majority-loss',
  'restart-replica',
  'switchover',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** What the scenario expects the Sentinels to do. */
export type Expectation = 'failover' | 'no-failover' | 'replica-resync';

export interface FaultContext {
  topology: Topology;
  /** The engine the faults go through. */
  runtime: Runtime;
  heal: HealStack;
  /** The container of a service, as Docker sees it now. */
  container: (service: string) => Promise<ContainerInfo>;
  oldMaster: string;
  /** A replica of the old master (for restart-replica). */
  replica: string;
  /** Notes for the report (what was done). */
  note: (line: string) => void;
  /** For planned operations that talk to Redis themselves (switchover). */
  password: string;
  host: string;
  signal: AbortSignal;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  expectation: Expectation;
  /**
   * Injects the fault. Resolves once it is in place; with the moment (performance.now()) clients
   * were first disturbed when that comes after a preparation (a switchover reads and steers first).
   */
  inject: (ctx: FaultContext) => Promise<void | number>;
  /** Pass conditions of this scenario beyond its expectation, one failure line each. */
  verify?: (outcome: { ops: Op[]; writes: WriteCounts }) => string[];
}

const start = (ctx: FaultContext, service: string) => async () => ctx.runtime.containerAction('start', (await ctx.container(service)).id);

/** kill / stop / restart a service's container, with `start` pushed on the heal stack first. */
async function takeDown(ctx: FaultContext, service: string, action: 'kill' | 'stop' | 'restart', graceSeconds?: number): Promise<void> {
  const c = await ctx.container(service);
  ctx.heal.push(`start ${service}`, start(ctx, service));
  await ctx.runtime.containerAction(action, c.id, { graceSeconds });
}

const kill = (ctx: FaultContext, service: string) => takeDown(ctx, service, 'kill');

export const SCENARIO_DEFS: Record<ScenarioName, Scenario> = {
  'kill-master': {
    name: 'kill-master',
    description: 'docker kill the master; start it again once a new master is elected',
    expectation: 'failover',
    inject: (ctx) => kill(ctx, ctx.oldMaster),
  },
  'stop-master': {
    name: 'stop-master',
    description: 'docker stop (SIGTERM, graceful) the master; start it again later',
    expectation: 'failover',
    inject: (ctx) => takeDown(ctx, ctx.oldMaster, 'stop', 10),
  },
  'pause-master': {
    name: 'pause-master',
    description: 'docker pause the master past down-after; unpause: it wakes up believing it is master',
    expectation: 'failover',
    inject: async (ctx) => {
      const c = await ctx.container(ctx.oldMaster);
      ctx.heal.push(`unpause ${ctx.oldMaster}`, async () => {
        const now = await ctx.container(ctx.oldMaster);
        if (now.state === 'paused') await ctx.runtime.containerAction('unpause', now.id);
      });
      await ctx.runtime.containerAction('pause', c.id);
    },
  },
  'partition-master': {
    name: 'partition-master',
    description: 'disconnect the master from the compose network; reconnect it (with its DNS alias) later',
    expectation: 'failover',
    inject: async (ctx) => {
      const c = await ctx.container(ctx.oldMaster);
      const network = c.networks[0];
      if (!network) throw new Error(`${ctx.oldMaster} is on no network`);
      ctx.heal.push(`reconnect ${ctx.oldMaster} to ${network}`, async () => {
        const now = await ctx.container(ctx.oldMaster);
        if (!now.networks.includes(network)) await ctx.runtime.connect(network, now.id, { aliases: [ctx.oldMaster] });
      });
      await ctx.runtime.disconnect(network, c.id);
      ctx.note(`disconnected ${ctx.oldMaster} from ${network}`);
    },
  },
  'kill-sentinel': {
    name: 'kill-sentinel',
    description: 'docker kill one Sentinel, then the master: the remaining Sentinels must still fail over',
    expectation: 'failover',
    inject: async (ctx) => {
      const sentinel = sentinelNodes(ctx.topology)[0]!.name;
      await kill(ctx, sentinel);
      ctx.note(`killed ${sentinel}`);
      await kill(ctx, ctx.oldMaster);
    },
  },
  'sentinel-majority-loss': {
    name: 'sentinel-majority-loss',
    description: 'stop a majority of the Sentinels, then kill the master: no failover may happen (expected)',
    expectation: 'no-failover',
    inject: async (ctx) => {
      const all = sentinelNodes(ctx.topology).map((s) => s.name);
      const majority = all.slice(0, Math.floor(all.length / 2) + 1);
      for (const s of majority) await takeDown(ctx, s, 'stop', 2);
      ctx.note(`stopped ${majority.join(', ')}`);
      await kill(ctx, ctx.oldMaster);
    },
  },
  'restart-replica': {
    name: 'restart-replica',
    description: 'docker restart a replica: it must resync (partially, as the backlog allows)',
    expectation: 'replica-resync',
    inject: async (ctx) => {
      await takeDown(ctx, ctx.replica, 'restart', 10);
      ctx.note(`restarted ${ctx.replica}`);
    },
  },
  switchover: {
    name: 'switchover',
    description: 'redis-ha switchover: pause writes, SENTINEL FAILOVER, demote, unpause; no write may fail on the Sentinel client path',
    expectation: 'failover',
    inject: async (ctx) => {
      let pausedAt: number | undefined;
      const r = await runSwitchover({
        deployment: { topology: ctx.topology, password: ctx.password, host: ctx.host },
        signal: ctx.signal,
        onStep: (step) => {
          if (step === 'pause') pausedAt = performance.now();
        },
      });
      const x = r.timings;
      ctx.note(`switchover ${r.oldMaster} -> ${r.newMaster}: paused ${x.pausedMs} ms (catch-up ${x.catchUpMs}, promoted ${x.promotedMs}, Sentinels ${x.sentinelSwitchMs}, HAProxy +${x.haproxyAgreeMs ?? '-'} ms), old master resync ${r.resync.kind}`);
      for (const n of r.notes) ctx.note(n);
      return pausedAt;
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
};

/** The scenarios that make sense for a topology: without Sentinels only restart-replica. */
export function scenariosFor(t: Topology): ScenarioName[] {
  if (!t.sentinel.enabled) return ['restart-replica'];
  if (redisNodes(t).length < 2) return [];
  return [...SCENARIOS];
}

/** `--scenario` values (repeatable, `all`) into an ordered, de-duplicated list. */
export function selectScenarios(t: Topology, requested: string[] | undefined): ScenarioName[] {
  const fitting = scenariosFor(t);
  if (!requested || requested.length === 0) return fitting;
  if (requested.includes('all')) return fitting;
  const unknown = requested.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length) {
    throw new UsageError(`unknown scenario(s): ${unknown.join(', ')}`, `choose from: all, ${SCENARIOS.join(', ')}`);
  }
  const unfit = requested.filter((s) => !fitting.includes(s as ScenarioName));
  if (unfit.length) {
    throw new UsageError(
      `scenario(s) ${unfit.join(', ')} need Sentinels; preset "${t.preset}" has none`,
      `for this preset: ${fitting.join(', ') || 'none'}`,
    );
  }
  return SCENARIOS.filter((s) => requested.includes(s));
}
