// One failover scenario end to end: check health, start observers and the workload,
// inject the fault, hold it, heal, wait for health, verify the data, compute the figures.
import { randomBytes } from 'node:crypto';
import { RedisHaError, EXIT } from '../errors.js';
import { addressOf, hostsOf, type Deployment } from '../deployment.js';
import { sleep, waitFor, WaitTimeoutError } from '../wait.js';
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import { withConnection } from '../probes/connect.js';
import { sentinelClientOptions } from '../probes/sentinel-client.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { HealStack } from '../operations/heal.js';
import { countWrites, dualMaster, sentinelMajorityView, timings, type DualMaster, type Timings, type WriteCounts } from './metrics.js';
import { Observer } from './observe.js';
import type { Recording } from './recording.js';
import { scenario, type ScenarioName } from './scenarios.js';
import type { NodeFaultMode, NodeFaultOptions, PartitionMode } from './fault-context.js';
import { deleteKeys, readKeyspace, readSyncCounters, readValues, resyncKind, type NodeKeyspace, type SyncCounters } from './verify.js';
import { haproxyClientOptions, Workload, type Durability, type WorkloadPath } from './workload.js';
import { waitHealthy } from '../health/wait-healthy.js';
import { durationMs } from '../model/duration.js';
import { readScenarioAlerts, type FiredAlert } from './alerts.js';

export type Phase = 'prepare' | 'baseline' | 'fault' | 'hold' | 'heal' | 'recover' | 'verify' | 'done';

export interface Progress {
  /** A scenario of the table (scenarios.ts, or cluster-scenarios.ts for a cluster). */
  scenario: string;
  phase: Phase;
  ok: number;
  failed: number;
  indeterminate: number;
  master?: string;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  passed: boolean;
  failures: string[];
  /** What the scenario expects, and notes on what happened (e.g. "no failover, as expected"). */
  expected: string;
  notes: string[];
  oldMaster: string | null;
  newMaster: string | null;
  timings: Timings;
  writes: WriteCounts;
  dualMaster: DualMaster;
  rejoin: { oldMasterRole: string | null; resync: 'full' | 'partial' | 'none' };
  keyspace: { consistent: boolean; nodes: NodeKeyspace[] };
  durability: Durability;
  /** With monitoring: the alerts the scenario expects (its table entry) and those Prometheus fired after the fault. */
  alerts?: { expected: string[]; fired: FiredAlert[] };
  /** kill-node and partition-node only: how the fault went in (containers | engine, network | link). */
  faultMode?: NodeFaultMode | PartitionMode;
  /** Raw data for the HTML report; not printed with --json. */
  recording?: Recording;
}

export interface RunOptions {
  deployment: Deployment;
  runtime: Runtime;
  rate: number;
  durability: Durability;
  signal: AbortSignal;
  heal: HealStack;
  /** How kill-node / partition-node inject (default: containers / network). */
  nodeFaults?: NodeFaultOptions;
  onProgress?: (p: Progress) => void;
}

export class InterruptedError extends RedisHaError {
  constructor() {
    super('interrupted; every injected fault was healed', EXIT.interrupted, 'check the deployment with `redis-ha status`');
  }
}

const BASELINE_MS = 1000;
const AFTER_FAILOVER_MS = 1500;
const HEALTH_TIMEOUT_MS = 90_000;

const emptyResult = (scenario: ScenarioName, durability: Durability, expected: string): ScenarioResult => ({
  scenario,
  passed: false,
  failures: [],
  expected,
  notes: [],
  oldMaster: null,
  newMaster: null,
  timings: { sdownMs: null, odownMs: null, switchMasterMs: null, sentinelClientWriteGapMs: null, haproxyWriteGapMs: null },
  writes: { acked: 0, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 0 },
  dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 0 },
  rejoin: { oldMasterRole: null, resync: 'none' },
  keyspace: { consistent: false, nodes: [] },
  durability,
});

export async function runScenario(name: ScenarioName, o: RunOptions): Promise<ScenarioResult> {
  const d = o.deployment;
  const t = d.topology;
  const def = scenario(name);
  const result = emptyResult(name, o.durability, def.expected);
  if (name === 'kill-node') result.faultMode = o.nodeFaults?.kill ?? 'containers';
  if (name === 'partition-node') result.faultMode = o.nodeFaults?.partition ?? 'network';
  const now = () => performance.now();
  /** A moment of now() as wall-clock time (Prometheus keeps those). */
  const wall = (at: number) => Date.now() - (now() - at);
  const prefix = `${name}:${randomBytes(3).toString('hex')}`;
  const nodes = redisNodes(t);
  const endpoint = (node: string) => ({ host: addressOf(d, node), port: nodes.find((n) => n.name === node)!.hostPort });
  let phase: Phase = 'prepare';
  // Set by a fault that measures the old master's resync itself (FaultContext.resyncMeasured).
  let measuredResync: 'full' | 'partial' | 'none' | undefined;
  let workload: Workload | undefined;
  let observer: Observer | undefined;
  const progress = () => {
    const c = workload?.counts ?? { ok: 0, failed: 0, indeterminate: 0 };
    const master = observer ? sentinelMajorityView(observer.sentinelViews, now()) ?? [...observer.currentRoles()].find(([, r]) => r === 'master')?.[0] : undefined;
    o.onProgress?.({ scenario: name, phase, ...c, master });
  };
  const setPhase = (p: Phase) => {
    phase = p;
    progress();
  };
  const ticker = setInterval(progress, 250);
  try {
    setPhase('prepare');
    let before;
    try {
      before = await waitHealthy(o.runtime, d, { caughtUp: true, timeoutMs: 60_000, failFast: false, signal: o.signal });
    } catch (err) {
      if (o.signal.aborted) throw new InterruptedError();
      result.failures.push(`not healthy before the fault: ${(err as Error).message}`);
      return result;
    }
    const oldMaster = before.master!;
    const replica = nodes.map((n) => n.name).find((n) => n !== oldMaster)!;
    result.oldMaster = oldMaster;
    const syncBefore = new Map<string, SyncCounters | undefined>();
    for (const n of nodes) syncBefore.set(n.name, await readSyncCounters(endpoint(n.name), d.auth));

    const t0 = now();
    observer = new Observer({
      nodes: nodes.map((n) => ({ name: n.name, host: addressOf(d, n.name), port: n.hostPort })),
      sentinels: sentinelNodes(t).map((s) => ({ name: s.name, host: addressOf(d, s.name), port: s.hostPort })),
      haproxyWrite: t.haproxy.enabled ? { host: addressOf(d, 'haproxy'), port: t.haproxy.writePort } : undefined,
      auth: d.auth,
      masterName: t.sentinel.masterName,
      now,
    });
    await observer.start();
    const paths: WorkloadPath[] = t.sentinel.enabled
      ? [{ via: 'sentinel', options: sentinelClientOptions(t, d.auth, hostsOf(d)) }]
      : [{ via: 'direct', options: haproxyClientOptions(addressOf(d, oldMaster), endpoint(oldMaster).port, d.auth) }];
    if (t.haproxy.enabled) {
      paths.push({ via: 'haproxy', options: haproxyClientOptions(addressOf(d, 'haproxy'), t.haproxy.writePort, d.auth) });
      // On swarm HAProxy floats: which of its nodes this run writes through.
      if (d.hostOf) result.notes.push(`writing through HAProxy at ${addressOf(d, 'haproxy')}:${t.haproxy.writePort}`);
    }
    workload = new Workload(paths, { rate: o.rate, durability: o.durability, prefix, maxMs: 10 * 60_000, now });
    await workload.start();
    setPhase('baseline');
    await sleep(BASELINE_MS, { signal: o.signal });

    setPhase('fault');
    let faultAt = now();
    const containers = new Map<string, ContainerInfo>();
    const container = async (service: string): Promise<ContainerInfo> => {
      const all = await o.runtime.containers(t.name);
      for (const c of all) containers.set(c.service, c);
      const c = containers.get(service);
      if (!c) throw new Error(`no container for ${service} in project ${t.name}`);
      return c;
    };
    const disturbedAt = await def.inject({ topology: t, runtime: o.runtime, heal: o.heal, container, oldMaster, replica, note: (l) => result.notes.push(l), resyncMeasured: (kind) => (measuredResync = kind), auth: d.auth, stats: d.stats, host: d.host, hostOf: d.hostOf, nodeFaults: o.nodeFaults, signal: o.signal });
    if (typeof disturbedAt === 'number') faultAt = disturbedAt;

    setPhase('hold');
    const downAfter = t.sentinel.downAfterMs;
    if (def.expectation === 'failover') {
      const limit = downAfter + t.sentinel.failoverTimeoutMs + 15_000;
      try {
        const newMaster = await waitFor(
          'the Sentinels to name a new master',
          async () => {
            const view = sentinelMajorityView(observer!.sentinelViews, now());
            return { verdict: view && view !== oldMaster ? 'done' : 'waiting', value: view, state: `Sentinels name ${view ?? 'nothing'}` };
          },
          { timeoutMs: limit, intervalMs: 100, signal: o.signal },
        );
        result.notes.push(`Sentinels named ${newMaster} after ${Math.round(now() - faultAt)} ms`);
        await sleep(AFTER_FAILOVER_MS, { signal: o.signal });
      } catch (err) {
        if (o.signal.aborted) throw new InterruptedError();
        result.failures.push(`no failover: ${(err as Error).message}`);
      }
    } else if (def.expectation === 'no-failover') {
      await sleep(Math.max(3 * downAfter, downAfter + 4000), { signal: o.signal });
      const remaining = sentinelNodes(t).at(-1)!;
      const ck = await withConnection({ host: addressOf(d, remaining.name), port: remaining.hostPort }, d.auth, (r) => r.call('SENTINEL', 'CKQUORUM', t.sentinel.masterName))
        .then((m) => ({ ok: true, message: String(m) }))
        .catch((err: Error) => ({ ok: false, message: err.message }));
      if (ck.ok) result.failures.push(`CKQUORUM on ${remaining.name} succeeded with a majority of Sentinels down: ${ck.message}`);
      else result.notes.push(`CKQUORUM on ${remaining.name} failed, as expected: ${ck.message}`);
    } else {
      await sleep(1500, { signal: o.signal });
    }

    setPhase('heal');
    const healAt = now();
    const healFailures = await o.heal.runAll((label) => result.notes.push(`healed: ${label}`));
    result.failures.push(...healFailures.map((f) => `healing failed: ${f}`));

    setPhase('recover');
    let after;
    try {
      // The workload keeps running while the healed node comes back: that is when a
      // returning old master could be handed writes.
      // Not failing fast: an unhealthy container may come back (restart policy, healing).
      await waitHealthy(o.runtime, d, { caughtUp: false, timeoutMs: HEALTH_TIMEOUT_MS, failFast: false, signal: o.signal });
      await workload.stop();
      // Longer limit: after a full resync the replica must receive and load the RDB before its
      // link is up and it has caught up.
      after = await waitHealthy(o.runtime, d, { caughtUp: true, timeoutMs: 120_000, failFast: false, signal: o.signal });
    } catch (err) {
      if (o.signal.aborted) throw new InterruptedError();
      result.failures.push(`not healthy after healing: ${err instanceof WaitTimeoutError ? err.message : String(err)}`);
    }
    await workload.stop();
    await sleep(300, { signal: o.signal });
    await observer.stop();
    const rec: Recording = {
      t0,
      faultAt,
      healAt,
      end: now(),
      nodes: nodes.map((n) => n.name),
      ops: workload.ops,
      roles: observer.roles,
      sentinelViews: observer.sentinelViews,
      events: observer.events,
      haproxyRoutes: observer.haproxyRoutes,
    };
    result.recording = rec;

    setPhase('verify');
    const newMaster = after?.master ?? null;
    result.newMaster = newMaster;
    result.rejoin.oldMasterRole = after?.nodes.find((n) => n.service === oldMaster)?.role ?? null;
    const syncAfter = new Map<string, SyncCounters | undefined>();
    for (const n of nodes) syncAfter.set(n.name, await readSyncCounters(endpoint(n.name), d.auth));
    result.rejoin.resync = measuredResync ?? resyncKind(syncBefore, syncAfter);

    const spaces = await Promise.all(nodes.map((n) => readKeyspace(n.name, endpoint(n.name), d.auth, `tf:${prefix}:*`)));
    result.keyspace.nodes = spaces.map((s) => s.space);
    const digests = new Set(spaces.map((s) => s.space.digest));
    result.keyspace.consistent = digests.size === 1 && spaces.every((s) => !s.space.error);
    const masterKeys = spaces.find((s) => s.space.node === newMaster)?.keys;
    const missing = new Set(workload.ops.filter((op) => op.outcome === 'ok' && masterKeys && !masterKeys.has(op.key)).map((op) => op.key));
    if (!masterKeys) result.failures.push('could not read the keyspace of the current master');
    // An indeterminate write is resolved only when nothing can change its key any more:
    // writes stopped, healthy, replicas caught up, every node holding the same keys.
    let readBack: Map<string, string | null> | undefined;
    const indeterminate = workload.ops.filter((op) => op.outcome === 'indeterminate').map((op) => op.key);
    if (newMaster && after && result.keyspace.consistent && indeterminate.length) {
      readBack = await readValues(endpoint(newMaster), d.auth, indeterminate).catch((err: Error) => {
        result.notes.push(`indeterminate writes not resolved: ${err.message}`);
        return undefined;
      });
    }
    result.writes = countWrites(workload.ops, missing, readBack);
    result.timings = timings(rec, t.sentinel.masterName, t.haproxy.enabled);
    result.dualMaster = dualMaster(rec, oldMaster);

    result.failures.push(...(def.verify?.({ ops: workload.ops, writes: result.writes }) ?? []));
    if (t.monitoring.enabled) await checkAlerts(result, def.alerts ?? [], d, { start: wall(t0), fault: wall(faultAt), heal: wall(healAt) }, o.signal);
    judge(result, t.redis.minReplicasToWrite, t.redis.minReplicasMaxLag, o.rate, def.expectation, after !== undefined);

    if (newMaster && masterKeys) await deleteKeys(endpoint(newMaster), d.auth, masterKeys).catch(() => undefined);
    setPhase('done');
    return result;
  } catch (err) {
    // Ctrl-C during any phase (a sleep rejects with the signal's reason) is one interruption.
    if (o.signal.aborted) throw new InterruptedError();
    throw err;
  } finally {
    clearInterval(ticker);
    // Whatever happened: undo every fault, stop every client.
    const healFailures = await o.heal.runAll((label) => result.notes.push(`healed: ${label}`));
    result.failures.push(...healFailures.map((f) => `healing failed: ${f}`));
    if (healFailures.length) result.passed = false;
    await workload?.stop().catch(() => undefined);
    await observer?.stop().catch(() => undefined);
  }
}

/**
 * Reads what the deployment's Prometheus fired from the fault on, waiting (a few rule
 * evaluations) for an expected alert that has not fired yet; a missing one is a failure.
 */
async function checkAlerts(result: ScenarioResult, expected: readonly string[], d: Deployment, at: { start: number; fault: number; heal: number }, signal: AbortSignal): Promise<void> {
  const t = d.topology;
  const stepMs = durationMs(t.monitoring.prometheus.scrapeInterval);
  const prometheus = { host: addressOf(d, 'prometheus'), port: t.monitoring.prometheus.port, login: d.stats };
  const deadline = Date.now() + 4 * stepMs + 3000;
  let fired: FiredAlert[] = [];
  for (;;) {
    try {
      fired = await readScenarioAlerts(prometheus, { ...at, end: Date.now(), stepMs });
    } catch (err) {
      // Prometheus itself may be coming back (on swarm, a node fault can take its node): asked
      // again until the deadline. A scenario that expects no alert only notes it.
      if (Date.now() <= deadline) {
        await sleep(1000, { signal });
        continue;
      }
      const why = `could not read the alerts from Prometheus (http://${prometheus.host}:${prometheus.port}): ${(err as Error).message}`;
      if (expected.length) result.failures.push(why);
      else result.notes.push(why);
      return;
    }
    if (expected.every((a) => fired.some((f) => f.alert === a)) || Date.now() > deadline) break;
    await sleep(1000, { signal });
  }
  // One more scrape and evaluation: an alert of the healed fault may be about to resolve.
  if (fired.some((f) => f.resolvedAfterHealMs === null)) {
    await sleep(2 * stepMs, { signal });
    fired = await readScenarioAlerts(prometheus, { ...at, end: Date.now(), stepMs }).catch(() => fired);
  }
  result.alerts = { expected: [...expected], fired };
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (fired.length) {
    result.notes.push(
      `alerts fired: ${fired.map((f) => `${f.alert} ${secs(f.firedAfterMs)} after the fault${f.resolvedAfterHealMs === null ? ', still firing' : `, resolved ${secs(f.resolvedAfterHealMs)} after the heal`}`).join('; ')}`,
    );
  }
  for (const a of expected.filter((x) => !fired.some((f) => f.alert === x))) {
    const line = `expected alert ${a} did not fire (Prometheus, evaluated every ${t.monitoring.prometheus.scrapeInterval}, ${secs(Date.now() - at.fault)} after the fault)`;
    const shortest = shortestSeenFaultMs(a, stepMs);
    if (at.heal - at.fault >= shortest) result.failures.push(line);
    else result.notes.push(`${line}: not a failure, the fault lasted ${secs(at.heal - at.fault)} and only one of ${secs(shortest)} or more is sure to be scraped${shortest > stepMs ? ' for as long as the rule\'s `for`' : ''}`);
  }
}

/**
 * Alerts on a state that lasts only while the fault does, by how many scrape intervals their
 * rule's `for` holds (templates/prometheus/alerts.yml.hbs). Prometheus sees such a state only
 * if a scrape falls inside it: with the default profile's 15 s scrapes a kill-master healed
 * 8 s after the fault can pass unseen, which is no fault of the alert.
 */
const WHILE_FAULTED: Record<string, number> = { RedisNodeDown: 0, RedisMultipleMasters: 1, RedisSentinelQuorumLost: 1, RedisSentinelDown: 1, RedisScrapeDown: 2 };

/** How long a fault must last for Prometheus to surely fire `alert` (one scrape inside it, then the rule's `for`); 0 for alerts on a lasting change (RedisMasterChanged). */
export function shortestSeenFaultMs(alert: string, stepMs: number): number {
  const forSteps = WHILE_FAULTED[alert];
  return forSteps === undefined ? 0 : (1 + forSteps) * stepMs;
}

/**
 * The pass conditions every scenario shares, as failures on the result; what differs by scenario
 * comes from its entry in the table (expectation, ackedWriteLoss).
 */
export function judge(
  r: ScenarioResult,
  minReplicasToWrite: number,
  minReplicasMaxLagS: number,
  rate: number,
  expectation: 'failover' | 'no-failover' | 'replica-resync',
  healthyAtEnd: boolean,
): void {
  const f = r.failures;
  if (!healthyAtEnd && !f.some((x) => x.startsWith('not healthy'))) f.push('the topology did not end healthy');
  if (healthyAtEnd && !r.keyspace.consistent) {
    f.push(`nodes differ: ${r.keyspace.nodes.map((n) => `${n.node} ${n.keys} keys ${n.digest}${n.error ? ` (${n.error})` : ''}`).join(', ')}`);
  }
  if (r.dualMaster.haproxyRoutedToOldMaster > 0) {
    f.push(`HAProxy routed ${r.dualMaster.haproxyRoutedToOldMaster} connection(s)/write(s) to a node the Sentinels did not name`);
  }
  if (expectation === 'failover' && healthyAtEnd) {
    if (r.newMaster === r.oldMaster) f.push(`no new master: ${r.oldMaster} is still master`);
    if (r.rejoin.oldMasterRole !== 'slave') f.push(`old master ${r.oldMaster} is ${r.rejoin.oldMasterRole ?? 'unknown'}, not a replica`);
  }
  if (expectation === 'no-failover') {
    if (r.timings.switchMasterMs !== null) f.push(`a failover happened (+switch-master after ${r.timings.switchMasterMs} ms) without a Sentinel majority`);
    if (healthyAtEnd && r.newMaster !== r.oldMaster) f.push(`master changed from ${r.oldMaster} to ${r.newMaster}`);
    if (healthyAtEnd && r.rejoin.oldMasterRole !== 'master') f.push(`old master ${r.oldMaster} is ${r.rejoin.oldMasterRole}, expected master`);
    if (!f.length) r.notes.push('no failover happened: expected, a minority of Sentinels cannot authorize one');
  }
  if (expectation === 'replica-resync' && r.rejoin.resync === 'none') f.push('the restarted replica did not resync (no sync counted on any node)');
  const lossBar = scenario(r.scenario).ackedWriteLoss;
  if (lossBar === 'none-with-wait' && r.durability === 'wait' && r.writes.lostAcked > 0) {
    f.push(`${r.writes.lostAcked} acknowledged write(s) lost with --durability wait`);
  }
  if (lossBar === 'min-replicas-max-lag' && minReplicasToWrite > 0) {
    // The partitioned master accepts writes at most min-replicas-max-lag seconds.
    const bound = rate * minReplicasMaxLagS * 2;
    if (r.writes.lostAcked > bound) f.push(`${r.writes.lostAcked} acknowledged writes lost, more than min-replicas-max-lag ${minReplicasMaxLagS}s allows (~${bound})`);
  }
  if (r.writes.lostAcked > 0) r.notes.push(`${r.writes.lostAcked} acknowledged write(s) lost (durability ${r.durability})`);
  r.passed = f.length === 0;
}
