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

/** repl-ping-replica-period on the old master during the switch: no ping in that time. */
const NO_PING_S = 3600;

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

interface SyncCounters {
  full: number;
  partial: number;
}

const syncCounters = (info: Record<string, string>): SyncCounters => ({ full: Number(info.sync_full ?? 0), partial: Number(info.sync_partial_ok ?? 0) });

const checkAbort = (signal: AbortSignal) => {
  if (signal.aborted) throw new SwitchoverInterruptedError('nothing was left paused or steered');
};

/** One switchover under way, planned: what its phases share. */
class Switch {
  readonly t: Topology;
  readonly notes: string[] = [];
  /** The replicas set to replica-priority 0, with the priority each had. */
  readonly steered: { node: string; priority: number }[] = [];
  /** The old master's repl-ping-replica-period, once held for the switch (restored with the rest). */
  pingPeriod: string | undefined;
  /** SENTINEL FAILOVER was sent: from then on Sentinel goes on by itself. */
  failoverSent = false;
  private readonly conns: Connections;

  constructor(
    readonly d: LiveDeployment,
    readonly plan: SwitchoverPlan,
    readonly signal: AbortSignal,
    private readonly deadline: number,
    private readonly onStep?: SwitchoverOptions['onStep'],
  ) {
    this.t = d.topology;
    this.conns = new Connections(d.auth);
  }

  step(s: SwitchoverStep, detail: string): void {
    this.onStep?.(s, detail);
  }

  /** What is left of the time limit (at least 1 ms). */
  remaining(): number {
    return Math.max(1, this.deadline - performance.now());
  }

  /** The connection to a node or Sentinel, opened once and kept for the switch. */
  async node(name: string): Promise<Redis> {
    const n = [...redisNodes(this.t), ...sentinelNodes(this.t)].find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return this.conns.get(name, { host: addressOf(this.d, n.name), port: n.hostPort });
  }

  close(): void {
    this.conns.closeAll();
  }
}

/**
 * Writes held on the old master: CLIENT PAUSE WRITE for PAUSE_LEASE_MS, renewed every RENEW_MS
 * while redis-ha runs, so a redis-ha that dies never leaves the master paused.
 */
export class PauseLease {
  paused = false;
  unpaused = false;
  private renewTimer: NodeJS.Timeout | undefined;

  /** `connect`: a connection to the master for the unpause (the one that paused may have dropped). */
  constructor(private readonly connect: () => Promise<Redis>) {}

  /** Pauses through `master`, and renews through it until the unpause. */
  async pause(master: Redis): Promise<void> {
    await master.call('CLIENT', 'PAUSE', String(PAUSE_LEASE_MS), 'WRITE');
    this.paused = true;
    this.renewTimer = setInterval(() => {
      // Re-issuing extends the pause end; a failed renewal lets the lease expire by itself.
      if (!this.unpaused) master.call('CLIENT', 'PAUSE', String(PAUSE_LEASE_MS), 'WRITE').catch(() => undefined);
    }, RENEW_MS);
  }

  async unpause(): Promise<void> {
    await (await this.connect()).call('CLIENT', 'UNPAUSE');
    this.unpaused = true;
    this.stopRenewing();
  }

  /** The undo, for a heal stack: if writes are still paused, `before`, then the unpause. */
  undo(before: () => Promise<void>): () => Promise<void> {
    return async () => {
      if (this.unpaused || !this.paused) return;
      await before();
      await this.unpause();
    };
  }

  stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** What became of the writes on `master`, for an operator. */
  describe(master: string): string {
    if (!this.paused) return 'writes were never paused';
    return this.unpaused ? `writes on ${master} unpaused` : `writes on ${master} may stay paused until the lease ends (${PAUSE_LEASE_MS / 1000} s)`;
  }
}

/** Polls the Sentinels until a majority names a node other than the old master. */
function sentinelsSwitched(sw: Switch, timeoutMs: number, abortSignal?: AbortSignal): Promise<string> {
  const { t, plan } = sw;
  return waitFor(
    `a majority of Sentinels to name a new master instead of ${plan.oldMaster}`,
    async () => {
      const said = await Promise.all(
        sentinelNodes(t).map(async (s) => {
          try {
            return { name: s.name, master: await sentinelMasterName(await sw.node(s.name), t.sentinel.masterName) };
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
}

/** REPLICAOF on the old master: done while paused, so no write lands on it in between. */
async function demote(sw: Switch, newMaster: string): Promise<void> {
  const r = await sw.node(sw.plan.oldMaster);
  await r.call('REPLICAOF', newMaster, String(REDIS_PORT));
  // Persist the new role in the node's writable config copy, as Sentinel does when it demotes.
  await r.call('CONFIG', 'REWRITE').catch((err: Error) => sw.notes.push(`CONFIG REWRITE on ${sw.plan.oldMaster} failed: ${err.message}`));
}

/**
 * 1. Steers Sentinel's choice: replica-priority 0 on the replicas it must not promote (each
 * restore on the heal stack), then waits until the Sentinel to be asked sees it. Before the
 * pause: this may take up to one INFO period.
 */
async function steer(sw: Switch, heal: HealStack): Promise<void> {
  const { t, plan } = sw;
  for (const name of plan.steer) {
    const r = await sw.node(name);
    const [, value] = (await r.config('GET', 'replica-priority')) as [string, string];
    const priority = Number(value);
    heal.push(`restore replica-priority ${priority} on ${name}`, async () => {
      const again = await sw.node(name);
      await again.config('SET', 'replica-priority', String(priority));
    });
    await r.config('SET', 'replica-priority', '0');
    sw.steered.push({ node: name, priority });
  }
  if (plan.steer.length) sw.step('steer', `replica-priority 0 on ${plan.steer.join(', ')}; waiting until ${plan.sentinel} sees it (Sentinel reads replicas' INFO every 10 s)`);
  // SENTINEL FAILOVER picks from the Sentinel's cached INFO of each replica: it must see the
  // steered ones at 0, and at least one it may promote that is not (right after another
  // switchover its cache can still hold the priority 0 that one steered: NOGOODSLAVE).
  const good = (x: Record<string, string>) => x['slave-priority'] !== '0' && !/s_down|o_down|disconnected/.test(x.flags ?? '');
  await waitFor(
    `${plan.sentinel} to see replica-priority 0 on ${plan.steer.join(', ') || 'no replica'} and a replica it may promote`,
    async () => {
      const r = await sw.node(plan.sentinel);
      const replicas = ((await r.call('SENTINEL', 'REPLICAS', t.sentinel.masterName)) as unknown[]).map(pairsToRecord);
      const pending = replicas.filter((x) => x.ip !== undefined && !plan.acceptable.includes(x.ip) && good(x));
      const promotable = replicas.filter((x) => x.ip !== undefined && plan.acceptable.includes(x.ip) && good(x));
      const state = [
        ...pending.map((x) => `${x.ip} priority ${x['slave-priority']}`),
        ...(promotable.length ? [] : [`no replica it may promote yet (${replicas.map((x) => `${x.ip} priority ${x['slave-priority']} ${x.flags}`).join(', ')})`]),
      ];
      return { verdict: pending.length || !promotable.length ? 'waiting' : 'done', value: true, state: state.join(', ') || 'ok' };
    },
    { timeoutMs: Math.min(sw.remaining(), 20_000), intervalMs: 200, signal: sw.signal },
  );
}

/**
 * 2. Pauses writes on the old master, on the lease, its undo on the heal stack. Every connection
 * the switch polls is opened first, so none is set up while writes are held. Returns the
 * connection that paused, when, and the acceptable replicas' sync counters before.
 */
async function pauseWrites(sw: Switch, heal: HealStack, lease: PauseLease): Promise<{ master: Redis; pausedAt: number; syncBefore: Map<string, SyncCounters> }> {
  const { t, plan } = sw;
  const master = await sw.node(plan.oldMaster);
  await sw.node(plan.sentinel);
  for (const n of redisNodes(t)) await sw.node(n.name).catch(() => undefined);
  const syncBefore = new Map<string, SyncCounters>();
  for (const name of plan.acceptable) syncBefore.set(name, syncCounters(parseInfo(await (await sw.node(name)).info('stats'))));
  // A paused master still pings its replicas (repl-ping-replica-period; Redis holds the pings
  // only for its own FAILOVER command and a cluster's manual failover). One that lands between
  // the promotion and the old master's demotion carries the old master, and a replica Sentinel
  // has not repointed yet, past the new master's history: a full resync instead of a partial
  // one. So no ping from the old master until the switch is done (restored with the rest).
  const [, pingPeriod] = (await master.config('GET', 'repl-ping-replica-period')) as [string, string];
  heal.push(`restore repl-ping-replica-period ${pingPeriod} on ${plan.oldMaster}`, async () => {
    await (await sw.node(plan.oldMaster)).config('SET', 'repl-ping-replica-period', pingPeriod);
  });
  await master.config('SET', 'repl-ping-replica-period', String(NO_PING_S));
  sw.pingPeriod = pingPeriod;
  heal.push(
    `unpause writes on ${plan.oldMaster}`,
    lease.undo(async () => {
      if (!sw.failoverSent) return;
      // Sentinel goes on by itself once asked: let it finish, then demote the old master
      // before unpausing it, so no write lands on a master about to be replaced.
      const named = await sentinelsSwitched(sw, HEAL_SWITCH_MS).catch(() => undefined);
      if (named) await demote(sw, named);
    }),
  );
  sw.step('pause', `CLIENT PAUSE ${PAUSE_LEASE_MS} WRITE on ${plan.oldMaster} (renewed every ${RENEW_MS} ms until the switch)`);
  const pausedAt = performance.now();
  await lease.pause(master);
  return { master, pausedAt, syncBefore };
}

/** 3. Waits until every replica Sentinel may promote holds every write. */
async function waitCaughtUp(sw: Switch, master: Redis): Promise<void> {
  const { plan } = sw;
  sw.step('catch-up', `waiting until ${plan.acceptable.join(', ')} reach ${plan.oldMaster}'s offset`);
  await waitFor(
    `${plan.acceptable.join(', ')} to reach ${plan.oldMaster}'s replication offset`,
    async () => {
      const masterOffset = Number(parseInfo(await master.info('replication')).master_repl_offset);
      const behind: string[] = [];
      for (const name of plan.acceptable) {
        const offset = Number(parseInfo(await (await sw.node(name)).info('replication')).slave_repl_offset);
        if (offset !== masterOffset) behind.push(`${name} at ${offset}`);
      }
      return { verdict: behind.length ? 'waiting' : 'done', value: true, state: `master at ${masterOffset}; ${behind.join(', ') || 'all caught up'}` };
    },
    { timeoutMs: Math.min(sw.remaining(), 5000), intervalMs: 5, signal: sw.signal },
  );
}

/** 4. One Sentinel fails over; the new epoch makes every other one follow. Returns when it was asked. */
async function failOver(sw: Switch): Promise<number> {
  const { t, plan } = sw;
  sw.step('failover', `SENTINEL FAILOVER ${t.sentinel.masterName} on ${plan.sentinel}`);
  const failoverAt = performance.now();
  const sentinel = await sw.node(plan.sentinel);
  await sentinel.call('SENTINEL', 'FAILOVER', t.sentinel.masterName).catch((err: Error) => {
    throw new FailedError(`SENTINEL FAILOVER on ${plan.sentinel} was refused: ${err.message}`, 'check the replicas and Sentinels with `redis-ha status`');
  });
  sw.failoverSent = true;
  return failoverAt;
}

/**
 * 5. As soon as Sentinel has promoted a replica (ROLE master), demotes the old master while it
 * is still paused: HAProxy's check on it fails from then on, in parallel with Sentinel
 * reconfiguring the other replicas (about 1 s), instead of after the Sentinels switch.
 */
async function demoteOnPromotion(sw: Switch): Promise<{ promoted: string; promotedAt: number }> {
  const { t, plan } = sw;
  sw.step('promote', 'waiting until Sentinel has promoted a replica');
  const promoted = await waitFor(
    `Sentinel to promote one of ${plan.acceptable.join(', ')}`,
    async () => {
      const roles = await Promise.all(
        redisNodes(t)
          .filter((n) => n.name !== plan.oldMaster)
          .map(async (n) => {
            try {
              return { name: n.name, role: String(((await (await sw.node(n.name)).call('ROLE')) as unknown[])[0]) };
            } catch (err) {
              return { name: n.name, role: (err as Error).message };
            }
          }),
      );
      const hit = roles.find((r) => r.role === 'master');
      return { verdict: hit ? 'done' : 'waiting', value: hit?.name ?? '', state: roles.map((r) => `${r.name} ${r.role}`).join(', ') };
    },
    { timeoutMs: Math.min(sw.remaining(), t.sentinel.failoverTimeoutMs), intervalMs: POLL_MS, signal: sw.signal },
  );
  const promotedAt = performance.now();
  if (!plan.acceptable.includes(promoted)) {
    sw.notes.push(`Sentinel promoted ${promoted}, which was not among the caught-up replicas (${plan.acceptable.join(', ')})`);
  }
  sw.step('demote', `REPLICAOF ${promoted} ${REDIS_PORT} on ${plan.oldMaster} (writes stay paused)`);
  await demote(sw, promoted);
  return { promoted, promotedAt };
}

/** Waits until a majority of Sentinels names the new master; the old master follows it. */
async function sentinelsAgree(sw: Switch, promoted: string): Promise<{ newMaster: string; switchedAt: number }> {
  sw.step('sentinels', 'waiting until a majority of Sentinels names the new master');
  const newMaster = await sentinelsSwitched(sw, Math.min(sw.remaining(), sw.t.sentinel.failoverTimeoutMs), sw.signal);
  const switchedAt = performance.now();
  if (newMaster !== promoted) {
    sw.notes.push(`the Sentinels name ${newMaster}, not ${promoted} which said ROLE master first; ${sw.plan.oldMaster} follows ${newMaster}`);
    await demote(sw, newMaster);
  }
  return { newMaster, switchedAt };
}

/** Waits until the HAProxy write port reaches the new master; ms after the Sentinels' switch (null without HAProxy). */
async function haproxyAgrees(sw: Switch, newMaster: string, switchedAt: number): Promise<number | null> {
  const { t, d } = sw;
  if (!t.haproxy.enabled) return null;
  sw.step('haproxy', `waiting until the HAProxy write port reaches ${newMaster}`);
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
    { timeoutMs: Math.min(sw.remaining(), 10_000), intervalMs: POLL_MS, signal: sw.signal },
  );
  return performance.now() - switchedAt;
}

/** 8. The old master rejoins: partially, if the new master kept the old replication id. */
async function rejoin(sw: Switch, newMaster: string, syncBefore: Map<string, SyncCounters>): Promise<SwitchoverResult['resync']> {
  const { plan } = sw;
  sw.step('resync', `waiting until ${plan.oldMaster} is linked to ${newMaster}`);
  const oldMasterLinked = await waitFor(
    `${plan.oldMaster} to link to ${newMaster}`,
    async () => {
      const info = parseInfo(await (await sw.node(plan.oldMaster)).info('replication'));
      const up = info.master_host === newMaster && info.master_link_status === 'up';
      return { verdict: up ? 'done' : 'waiting', value: true, state: `master ${info.master_host ?? '-'} link ${info.master_link_status ?? '-'}` };
    },
    { timeoutMs: 10_000, intervalMs: 50, signal: sw.signal },
  ).catch((err: Error) => {
    sw.notes.push(err.message);
    return false;
  });
  const after = syncCounters(parseInfo(await (await sw.node(newMaster)).info('stats')));
  const before = syncBefore.get(newMaster) ?? { full: 0, partial: 0 };
  const full = after.full - before.full;
  const partial = after.partial - before.partial;
  const kind = full > 0 ? 'full' : partial > 0 ? 'partial' : 'none';
  if (kind !== 'partial') sw.notes.push(`the old master rejoined with ${kind === 'full' ? 'a FULL resync' : 'no resync counted'} (${full} full, ${partial} partial on ${newMaster})`);
  return { kind, partial, full, oldMasterLinked };
}

/** After a failure, once undone: who the Sentinels name, what became of the writes and the priorities. */
async function stateAfterUndo(sw: Switch, lease: PauseLease, undoFailures: string[]): Promise<string> {
  const after = await readLiveView(sw.d).catch(() => undefined);
  const named = after ? majorityMaster(after.sentinels, sentinelNodes(sw.t).length) : undefined;
  return [
    `the Sentinels name ${named ?? 'no master by majority'}`,
    lease.describe(sw.plan.oldMaster),
    sw.steered.length ? `replica-priority restored on ${sw.steered.map((s) => s.node).join(', ')}` : '',
    sw.pingPeriod ? `repl-ping-replica-period ${sw.pingPeriod} restored on ${sw.plan.oldMaster}` : '',
    ...undoFailures.map((f) => `undo failed: ${f}`),
  ]
    .filter(Boolean)
    .join('; ');
}

export async function runSwitchover(o: SwitchoverOptions): Promise<SwitchoverResult> {
  const d = o.deployment;
  const t = d.topology;
  const started = performance.now();
  const signal = o.signal ?? new AbortController().signal;

  checkSwitchoverRequest(t, o.to);
  o.onStep?.('read', 'reading the master from the Sentinels and every node');
  const plan = planSwitchover(t, await readLiveView(d), o.to);
  checkAbort(signal);

  const sw = new Switch(d, plan, signal, started + (o.timeoutMs ?? 60_000), o.onStep);
  const heal = new HealStack();
  const lease = new PauseLease(() => sw.node(plan.oldMaster));
  try {
    const steerStarted = performance.now();
    await steer(sw, heal);
    const steerMs = performance.now() - steerStarted;
    checkAbort(signal);

    const { master, pausedAt, syncBefore } = await pauseWrites(sw, heal, lease);
    await waitCaughtUp(sw, master);
    const catchUpMs = performance.now() - pausedAt;
    checkAbort(signal);

    const failoverAt = await failOver(sw);
    const { promoted, promotedAt } = await demoteOnPromotion(sw);
    const { newMaster, switchedAt } = await sentinelsAgree(sw, promoted);
    const haproxyAgreeMs = await haproxyAgrees(sw, newMaster, switchedAt);

    // 6. Unpause: the old master is a replica now, so what was held there gets READONLY.
    sw.step('unpause', `CLIENT UNPAUSE on ${plan.oldMaster}`);
    await lease.unpause();
    const pausedMs = performance.now() - pausedAt;

    // 7. Restore the steered priorities (the heal stack holds them; the unpause is done).
    sw.step('restore', `repl-ping-replica-period back on ${plan.oldMaster}${sw.steered.length ? `, replica-priority on ${sw.steered.map((s) => `${s.node} (${s.priority})`).join(', ')}` : ''}`);
    const restoreFailures = await heal.runAll();
    if (restoreFailures.length) throw new FailedError(`the switch is done but restoring failed: ${restoreFailures.join('; ')}`, 'set replica-priority and repl-ping-replica-period by hand (CONFIG SET)');

    const resync = await rejoin(sw, newMaster, syncBefore);
    return {
      deployment: t.name,
      oldMaster: plan.oldMaster,
      newMaster,
      target: plan.target ?? null,
      sentinel: plan.sentinel,
      steered: sw.steered,
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
      resync,
      notes: sw.notes,
    };
  } catch (err) {
    sw.step('heal', 'undoing: unpause, restore replica-priority and repl-ping-replica-period');
    const failures = await heal.runAll((label) => sw.step('heal', label));
    lease.stopRenewing();
    const stateLine = await stateAfterUndo(sw, lease, failures);
    if (signal.aborted || err instanceof SwitchoverInterruptedError) throw new SwitchoverInterruptedError(stateLine);
    const message = err instanceof Error ? err.message : String(err);
    throw new FailedError(`switchover from ${plan.oldMaster} did not complete: ${message}. Now: ${stateLine}`, 'check the deployment with `redis-ha status`', { cause: err });
  } finally {
    lease.stopRenewing();
    sw.close();
  }
}
