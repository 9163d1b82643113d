// A planned master change through Sentinel with no acknowledged write lost and the shortest
// write gap: pause writes on the master (CLIENT PAUSE WRITE, on a short lease renewed while
// redis-ha runs, so a crashed redis-ha never leaves it paused), wait until the replica(s)
// Sentinel may promote hold every write, SENTINEL FAILOVER on one Sentinel (the epoch makes
// the others follow). The moment a replica says ROLE master, the old master (still paused) is
// demoted with REPLICAOF: Sentinel itself would do it only 8 s after the switch
// (+convert-to-slave waits 4 hello periods), and until then HAProxy sessions and late clients
// would still reach it. Then wait until a majority of Sentinels and HAProxy agree, and
// unpause: what was held on the old master gets READONLY and the clients retry on the new
// one. Every change (pause, steered replica-priority) has its undo on a heal stack that runs
// on success, failure and abort.
import type { Redis } from 'ioredis';
import { EXIT, FailedError, RedisHaError } from '../errors.js';
import { HealStack } from './heal.js';
import { waitFor } from '../wait.js';
import { addressOf } from '../deployment.js';
import { redisNodes, sentinelNodes, REDIS_PORT } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { type Credentials, pairsToRecord, parseInfo, probeConnection, withConnection, type Endpoint } from '../probes/connect.js';
import { checkSwitchoverRequest, majorityMaster, planSwitchover, type LiveView, type NodeView, type SwitchoverPlan } from './switchover-plan.js';

export interface LiveDeployment {
  topology: Topology;
  /** Who the switchover acts as (the user admin: CLIENT PAUSE, CONFIG SET, SENTINEL FAILOVER, REPLICAOF). */
  auth: Credentials;
  /** Address the published ports are reached at from this host. */
  host: string;
  /** On swarm: the address of each service's node. */
  hostOf?: (service: string) => string;
}

export type SwitchoverStep = 'read' | 'steer' | 'pause' | 'catch-up' | 'failover' | 'promote' | 'demote' | 'sentinels' | 'haproxy' | 'unpause' | 'restore' | 'resync' | 'heal';

export interface SwitchoverOptions {
  deployment: LiveDeployment;
  /** The replica to promote (`redis-K`); undefined: let Sentinel pick among caught-up replicas. */
  to?: string;
  /** Bound on the whole operation. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onStep?: (step: SwitchoverStep, detail: string) => void;
}

export interface SwitchoverTimings {
  /** Steering replica-priority until the Sentinel sees it (before the pause; 0 without). */
  steerMs: number;
  /** Writes paused on the old master: the pause to the unpause. */
  pausedMs: number;
  /** From the pause until the replica(s) reached the master's offset. */
  catchUpMs: number;
  /** From SENTINEL FAILOVER until the promoted replica says ROLE master. */
  promotedMs: number;
  /** From SENTINEL FAILOVER until a majority of Sentinels name the new master. */
  sentinelSwitchMs: number;
  /** From the Sentinels' switch until the HAProxy write port reaches the new master (null without HAProxy). */
  haproxyAgreeMs: number | null;
  totalMs: number;
}

export interface SwitchoverResult {
  deployment: string;
  oldMaster: string;
  newMaster: string;
  /** --to, if given. */
  target: string | null;
  sentinel: string;
  steered: { node: string; priority: number }[];
  /** performance.now() of this process when CLIENT PAUSE was sent: the moment clients were first held. */
  pausedAt: number;
  timings: SwitchoverTimings;
  /** How the old master rejoined: sync counters served by the new master during the switch. */
  resync: { kind: 'partial' | 'full' | 'none'; partial: number; full: number; oldMasterLinked: boolean };
  notes: string[];
}

/** The pause is a lease: long enough to cover a switch, renewed while redis-ha runs. */
export const PAUSE_LEASE_MS = 3000;
const RENEW_MS = 1000;
const POLL_MS = 20;
/** After an abort past SENTINEL FAILOVER: how long the heal waits for Sentinel to finish. */
const HEAL_SWITCH_MS = 10_000;

export class SwitchoverInterruptedError extends RedisHaError {
  constructor(state: string) {
    super(`switchover interrupted; ${state}`, EXIT.interrupted, 'check the deployment with `redis-ha status`');
  }
}

const sentinelMasterName = async (r: Redis, masterName: string): Promise<string | undefined> => {
  const reply = (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as string[] | null;
  return reply?.[0] ?? undefined;
};

/** Reads every node (INFO) and every Sentinel (the master it names). */
export async function readLiveView(d: LiveDeployment): Promise<LiveView> {
  const t = d.topology;
  const nodes = await Promise.all(
    redisNodes(t).map(async (n): Promise<NodeView> => {
      try {
        const info = parseInfo(await withConnection({ host: addressOf(d, n.name), port: n.hostPort }, d.auth, (r) => r.info()));
        const role = info.role === 'master' ? 'master' : 'slave';
        return {
          name: n.name,
          reachable: true,
          role,
          version: info.redis_version,
          masterAddress: role === 'slave' ? `${info.master_host}:${info.master_port}` : undefined,
          linkUp: role === 'slave' ? info.master_link_status === 'up' : undefined,
          offset: Number(role === 'master' ? info.master_repl_offset : info.slave_repl_offset),
          priority: role === 'slave' ? Number(info.slave_priority ?? 100) : undefined,
        };
      } catch (err) {
        return { name: n.name, reachable: false, error: (err as Error).message };
      }
    }),
  );
  const sentinels = await Promise.all(
    sentinelNodes(t).map(async (s) => {
      try {
        return { name: s.name, master: await withConnection({ host: addressOf(d, s.name), port: s.hostPort }, d.auth, (r) => sentinelMasterName(r, t.sentinel.masterName)) };
      } catch (err) {
        return { name: s.name, error: (err as Error).message };
      }
    }),
  );
  return { nodes, sentinels };
}

/** Long-lived connections for the duration of the switch (polling every 20 ms). */
class Connections {
  private readonly open = new Map<string, Redis>();
  constructor(private readonly auth: Credentials) {}

  async get(key: string, endpoint: Endpoint): Promise<Redis> {
    const existing = this.open.get(key);
    if (existing && existing.status === 'ready') return existing;
    existing?.disconnect();
    const r = probeConnection(endpoint, this.auth, 1000);
    r.on('error', () => undefined);
    this.open.set(key, r);
    await r.connect();
    return r;
  }

  closeAll(): void {
    for (const r of this.open.values()) r.disconnect();
    this.open.clear();
  }
}

const syncCounters = (info: Record<string, string>) => ({ full: Number(info.sync_full ?? 0), partial: Number(info.sync_partial_ok ?? 0) });

export async function runSwitchover(o: SwitchoverOptions): Promise<SwitchoverResult> {
  const d = o.deployment;
  const t = d.topology;
  const started = performance.now();
  const deadline = started + (o.timeoutMs ?? 60_000);
  const remaining = () => Math.max(1, deadline - performance.now());
  const step = (s: SwitchoverStep, detail: string) => o.onStep?.(s, detail);
  const signal = o.signal ?? new AbortController().signal;
  const checkAbort = () => {
    if (signal.aborted) throw new SwitchoverInterruptedError('nothing was left paused or steered');
  };
  const endpoint = (name: string): Endpoint => {
    const n = [...redisNodes(t), ...sentinelNodes(t)].find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return { host: addressOf(d, n.name), port: n.hostPort };
  };
  const conns = new Connections(d.auth);
  const node = (name: string) => conns.get(name, endpoint(name));
  const notes: string[] = [];

  checkSwitchoverRequest(t, o.to);
  step('read', 'reading the master from the Sentinels and every node');
  const view = await readLiveView(d);
  const plan: SwitchoverPlan = planSwitchover(t, view, o.to);
  checkAbort();

  const heal = new HealStack();
  const state = { paused: false, failoverSent: false, unpaused: false };
  const steered: { node: string; priority: number }[] = [];
  let renewTimer: NodeJS.Timeout | undefined;
  const stopRenewing = () => {
    if (renewTimer) clearInterval(renewTimer);
    renewTimer = undefined;
  };

  /** Polls the Sentinels until a majority names a node other than the old master. */
  const sentinelsSwitched = async (timeoutMs: number, abortSignal?: AbortSignal): Promise<string> =>
    waitFor(
      `a majority of Sentinels to name a new master instead of ${plan.oldMaster}`,
      async () => {
        const said = await Promise.all(
          sentinelNodes(t).map(async (s) => {
            try {
              return { name: s.name, master: await sentinelMasterName(await conns.get(s.name, endpoint(s.name)), t.sentinel.masterName) };
            } catch (err) {
              return { name: s.name, error: (err as Error).message };
            }
          }),
        );
        const named = majorityMaster(said, said.length);
        return {
          verdict: named && named !== plan.oldMaster ? 'done' : 'waiting',
          value: named ?? '',
          state: said.map((s) => `${s.name}: ${s.master ?? s.error}`).join(', '),
        };
      },
      { timeoutMs, intervalMs: POLL_MS, signal: abortSignal },
    );

  /** REPLICAOF on the old master: done while paused, so no write lands on it in between. */
  const demote = async (newMaster: string) => {
    const r = await node(plan.oldMaster);
    await r.call('REPLICAOF', newMaster, String(REDIS_PORT));
    // Persist the new role in the node's writable config copy, as Sentinel does when it demotes.
    await r.call('CONFIG', 'REWRITE').catch((err: Error) => notes.push(`CONFIG REWRITE on ${plan.oldMaster} failed: ${err.message}`));
  };

  try {
    // 1. Steer Sentinel's choice (before the pause: this may take up to one INFO period).
    const steerStarted = performance.now();
    if (plan.steer.length) {
      for (const name of plan.steer) {
        const r = await node(name);
        const [, value] = (await r.config('GET', 'replica-priority')) as [string, string];
        const priority = Number(value);
        heal.push(`restore replica-priority ${priority} on ${name}`, async () => {
          const again = await node(name);
          await again.config('SET', 'replica-priority', String(priority));
          // Sentinel's CONFIG REWRITE during the switch may have written the 0 into the copy.
          await again.call('CONFIG', 'REWRITE').catch(() => undefined);
        });
        await r.config('SET', 'replica-priority', '0');
        steered.push({ node: name, priority });
      }
      step('steer', `replica-priority 0 on ${plan.steer.join(', ')}; waiting until ${plan.sentinel} sees it (Sentinel reads replicas' INFO every 10 s)`);
      // SENTINEL FAILOVER picks from the Sentinel's cached INFO of each replica.
      await waitFor(
        `${plan.sentinel} to see replica-priority 0 on ${plan.steer.join(', ')}`,
        async () => {
          const r = await conns.get(plan.sentinel, endpoint(plan.sentinel));
          const replicas = ((await r.call('SENTINEL', 'REPLICAS', t.sentinel.masterName)) as unknown[]).map(pairsToRecord);
          const pending = replicas.filter(
            (x) => x.ip !== undefined && !plan.acceptable.includes(x.ip) && x['slave-priority'] !== '0' && !/s_down|o_down|disconnected/.test(x.flags ?? ''),
          );
          return { verdict: pending.length ? 'waiting' : 'done', value: true, state: pending.map((x) => `${x.ip} priority ${x['slave-priority']}`).join(', ') || 'ok' };
        },
        { timeoutMs: Math.min(remaining(), 20_000), intervalMs: 200, signal },
      );
    }
    const steerMs = performance.now() - steerStarted;
    checkAbort();

    // 2. Pause writes on the master, on a renewed lease. Every connection the switch polls
    // is opened first, so none is set up while writes are held.
    const master = await node(plan.oldMaster);
    await conns.get(plan.sentinel, endpoint(plan.sentinel));
    for (const n of redisNodes(t)) await node(n.name).catch(() => undefined);
    const acceptableBefore = new Map<string, { full: number; partial: number }>();
    for (const name of plan.acceptable) acceptableBefore.set(name, syncCounters(parseInfo(await (await node(name)).info('stats'))));
    heal.push(`unpause writes on ${plan.oldMaster}`, async () => {
      if (state.unpaused || !state.paused) return;
      if (state.failoverSent) {
        // Sentinel goes on by itself once asked: let it finish, then demote the old master
        // before unpausing it, so no write lands on a master about to be replaced.
        const named = await sentinelsSwitched(HEAL_SWITCH_MS).catch(() => undefined);
        if (named) await demote(named);
      }
      await (await node(plan.oldMaster)).call('CLIENT', 'UNPAUSE');
      state.unpaused = true;
      stopRenewing();
    });
    step('pause', `CLIENT PAUSE ${PAUSE_LEASE_MS} WRITE on ${plan.oldMaster} (renewed every ${RENEW_MS} ms until the switch)`);
    const pausedAt = performance.now();
    await master.call('CLIENT', 'PAUSE', String(PAUSE_LEASE_MS), 'WRITE');
    state.paused = true;
    renewTimer = setInterval(() => {
      // Re-issuing extends the pause end; a failed renewal lets the lease expire by itself.
      if (!state.unpaused) master.call('CLIENT', 'PAUSE', String(PAUSE_LEASE_MS), 'WRITE').catch(() => undefined);
    }, RENEW_MS);

    // 3. Wait until every replica Sentinel may promote holds every write.
    step('catch-up', `waiting until ${plan.acceptable.join(', ')} reach ${plan.oldMaster}'s offset`);
    await waitFor(
      `${plan.acceptable.join(', ')} to reach ${plan.oldMaster}'s replication offset`,
      async () => {
        const masterOffset = Number(parseInfo(await master.info('replication')).master_repl_offset);
        const behind: string[] = [];
        for (const name of plan.acceptable) {
          const offset = Number(parseInfo(await (await node(name)).info('replication')).slave_repl_offset);
          if (offset !== masterOffset) behind.push(`${name} at ${offset}`);
        }
        return { verdict: behind.length ? 'waiting' : 'done', value: true, state: `master at ${masterOffset}; ${behind.join(', ') || 'all caught up'}` };
      },
      { timeoutMs: Math.min(remaining(), 5000), intervalMs: 5, signal },
    );
    const catchUpMs = performance.now() - pausedAt;
    checkAbort();

    // 4. One Sentinel fails over; the new epoch makes every other one follow.
    step('failover', `SENTINEL FAILOVER ${t.sentinel.masterName} on ${plan.sentinel}`);
    const failoverAt = performance.now();
    const sentinel = await conns.get(plan.sentinel, endpoint(plan.sentinel));
    await sentinel.call('SENTINEL', 'FAILOVER', t.sentinel.masterName).catch((err: Error) => {
      throw new FailedError(`SENTINEL FAILOVER on ${plan.sentinel} was refused: ${err.message}`, 'check the replicas and Sentinels with `redis-ha status`');
    });
    state.failoverSent = true;

    // 5. As soon as Sentinel has promoted a replica (ROLE master), demote the old master while
    // it is still paused: HAProxy's check on it fails from then on, in parallel with Sentinel
    // reconfiguring the other replicas (about 1 s), instead of after the Sentinels switch.
    step('promote', 'waiting until Sentinel has promoted a replica');
    const promoted = await waitFor(
      `Sentinel to promote one of ${plan.acceptable.join(', ')}`,
      async () => {
        const roles = await Promise.all(
          redisNodes(t)
            .filter((n) => n.name !== plan.oldMaster)
            .map(async (n) => {
              try {
                return { name: n.name, role: String(((await (await node(n.name)).call('ROLE')) as unknown[])[0]) };
              } catch (err) {
                return { name: n.name, role: (err as Error).message };
              }
            }),
        );
        const hit = roles.find((r) => r.role === 'master');
        return { verdict: hit ? 'done' : 'waiting', value: hit?.name ?? '', state: roles.map((r) => `${r.name} ${r.role}`).join(', ') };
      },
      { timeoutMs: Math.min(remaining(), t.sentinel.failoverTimeoutMs), intervalMs: POLL_MS, signal },
    );
    const promotedAt = performance.now();
    if (!plan.acceptable.includes(promoted)) {
      notes.push(`Sentinel promoted ${promoted}, which was not among the caught-up replicas (${plan.acceptable.join(', ')})`);
    }
    step('demote', `REPLICAOF ${promoted} ${REDIS_PORT} on ${plan.oldMaster} (writes stay paused)`);
    await demote(promoted);

    step('sentinels', 'waiting until a majority of Sentinels names the new master');
    const newMaster = await sentinelsSwitched(Math.min(remaining(), t.sentinel.failoverTimeoutMs), signal);
    const switchedAt = performance.now();
    if (newMaster !== promoted) {
      notes.push(`the Sentinels name ${newMaster}, not ${promoted} which said ROLE master first; ${plan.oldMaster} follows ${newMaster}`);
      await demote(newMaster);
    }
    let haproxyAgreeMs: number | null = null;
    if (t.haproxy.enabled) {
      step('haproxy', `waiting until the HAProxy write port reaches ${newMaster}`);
      await waitFor(
        `the HAProxy write port to reach ${newMaster}`,
        async () => {
          try {
            const reached = await withConnection({ host: addressOf(d, 'haproxy'), port: t.haproxy.writePort }, d.auth, async (r) => {
              const [, name] = (await r.config('GET', 'replica-announce-ip')) as string[];
              const role = ((await r.call('ROLE')) as unknown[])[0];
              return `${name} (${String(role)})`;
            }, 500);
            return { verdict: reached === `${newMaster} (master)` ? 'done' : 'waiting', value: true, state: `reaches ${reached}` };
          } catch (err) {
            return { verdict: 'waiting', value: true, state: (err as Error).message };
          }
        },
        { timeoutMs: Math.min(remaining(), 10_000), intervalMs: POLL_MS, signal },
      );
      haproxyAgreeMs = performance.now() - switchedAt;
    }

    // 6. Unpause: the old master is a replica now, so what was held there gets READONLY.
    step('unpause', `CLIENT UNPAUSE on ${plan.oldMaster}`);
    await (await node(plan.oldMaster)).call('CLIENT', 'UNPAUSE');
    state.unpaused = true;
    stopRenewing();
    const pausedMs = performance.now() - pausedAt;

    // 7. Restore the steered priorities (the heal stack holds them; the unpause is done).
    if (steered.length) step('restore', `replica-priority back on ${steered.map((s) => `${s.node} (${s.priority})`).join(', ')}`);
    const restoreFailures = await heal.runAll();
    if (restoreFailures.length) throw new FailedError(`the switch is done but restoring failed: ${restoreFailures.join('; ')}`, 'set replica-priority by hand (CONFIG SET)');

    // 8. The old master rejoins: partially, if the new master kept the old replication id.
    step('resync', `waiting until ${plan.oldMaster} is linked to ${newMaster}`);
    const oldMasterLinked = await waitFor(
      `${plan.oldMaster} to link to ${newMaster}`,
      async () => {
        const info = parseInfo(await (await node(plan.oldMaster)).info('replication'));
        const up = info.master_host === newMaster && info.master_link_status === 'up';
        return { verdict: up ? 'done' : 'waiting', value: true, state: `master ${info.master_host ?? '-'} link ${info.master_link_status ?? '-'}` };
      },
      { timeoutMs: 10_000, intervalMs: 50, signal },
    ).catch((err: Error) => {
      notes.push(err.message);
      return false;
    });
    const after = syncCounters(parseInfo(await (await node(newMaster)).info('stats')));
    const before = acceptableBefore.get(newMaster) ?? { full: 0, partial: 0 };
    const full = after.full - before.full;
    const partial = after.partial - before.partial;
    const kind = full > 0 ? 'full' : partial > 0 ? 'partial' : 'none';
    if (kind !== 'partial') notes.push(`the old master rejoined with ${kind === 'full' ? 'a FULL resync' : 'no resync counted'} (${full} full, ${partial} partial on ${newMaster})`);
    return {
      deployment: t.name,
      oldMaster: plan.oldMaster,
      newMaster,
      target: plan.target ?? null,
      sentinel: plan.sentinel,
      steered,
      pausedAt,
      timings: {
        steerMs: Math.round(steerMs),
        pausedMs: Math.round(pausedMs),
        catchUpMs: Math.round(catchUpMs),
        promotedMs: Math.round(promotedAt - failoverAt),
        sentinelSwitchMs: Math.round(switchedAt - failoverAt),
        haproxyAgreeMs: haproxyAgreeMs === null ? null : Math.round(haproxyAgreeMs),
        totalMs: Math.round(performance.now() - started),
      },
      resync: { kind, partial, full, oldMasterLinked },
      notes,
    };
  } catch (err) {
    step('heal', 'undoing: unpause, restore replica-priority');
    const failures = await heal.runAll((label) => step('heal', label));
    stopRenewing();
    const after = await readLiveView(d).catch(() => undefined);
    const named = after ? majorityMaster(after.sentinels, sentinelNodes(t).length) : undefined;
    const stateLine = [
      `the Sentinels name ${named ?? 'no master by majority'}`,
      state.paused ? (state.unpaused ? `writes on ${plan.oldMaster} unpaused` : `writes on ${plan.oldMaster} may stay paused until the lease ends (${PAUSE_LEASE_MS / 1000} s)`) : 'writes were never paused',
      steered.length ? `replica-priority restored on ${steered.map((s) => s.node).join(', ')}` : '',
      ...failures.map((f) => `undo failed: ${f}`),
    ]
      .filter(Boolean)
      .join('; ');
    if (signal.aborted || err instanceof SwitchoverInterruptedError) throw new SwitchoverInterruptedError(stateLine);
    const message = err instanceof Error ? err.message : String(err);
    throw new FailedError(`switchover from ${plan.oldMaster} did not complete: ${message}. Now: ${stateLine}`, 'check the deployment with `redis-ha status`', { cause: err });
  } finally {
    stopRenewing();
    conns.closeAll();
  }
}
