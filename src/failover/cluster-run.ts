// One failover scenario on a Redis Cluster end to end: check health, start the observer and the
// cluster-client workload, inject the fault into one shard, hold it until the cluster did what
// the scenario expects, heal, wait for health, read back every written key, compute the figures.
import { randomBytes } from 'node:crypto';
import { addressOf, hostsOf, type Deployment } from '../deployment.js';
import { waitHealthy } from '../health/wait-healthy.js';
import { keySlot, liveShardRanges, shardOfSlotIn } from '../model/cluster.js';
import { redisNodes } from '../model/nodes.js';
import { formCluster } from '../operations/cluster-create.js';
import type { HealStack } from '../operations/heal.js';
import { probeCluster } from '../probes/cluster.js';
import { clusterClientOptions, clusterStartupNodes } from '../probes/cluster-client.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { sleep, waitFor } from '../wait.js';
import { clusterFailoverMs, clusterRecoveredMs, countShardWrites, lostFlaggedMs, shardWriteGaps, type ShardWrites } from './cluster-metrics.js';
import { ClusterObserver, type ClusterSample } from './cluster-observe.js';
import { clusterScenario, type ClusterExpectation, type ClusterScenarioName, type LiveShard } from './cluster-scenarios.js';
import { ClusterWorkload } from './cluster-workload.js';
import { countWrites, type WriteCounts } from './metrics.js';
import type { Op } from './recording.js';
import { InterruptedError, type Progress } from './run.js';
import { deleteKeys, readKeyspace, readValues, type NodeKeyspace } from './verify.js';
import type { Durability } from './workload.js';

export interface ClusterTimings {
  /** cluster-node-timeout: how long a master may be silent before the others flag it failed. */
  nodeTimeoutMs: number;
  /** From the fault until every other node says cluster_state:ok and names a replica of the shard as the master of its slots (failover scenarios). */
  failoverMs: number | null;
  /** lose-shard: from the fault until a surviving node flags every node of the shard `fail`. */
  shardFailedMs: number | null;
  /** From healing until every node says cluster_state:ok with every slot served and no node flagged failed. */
  recoveredMs: number | null;
  /** Write gap (ms from the fault) on the keys of the faulted shard's slots (restart-all: every shard's). */
  failedShardWriteGapMs: number | null;
  /** Write gap on the keys of the other shards' slots: 0 when they did not notice. */
  otherShardsWriteGapMs: number | null;
}

/** What a cluster scenario recorded, for the HTML report (stripped from --json). Times on one clock (performance.now()). */
export interface ClusterRecording {
  t0: number;
  end: number;
  faultAt: number;
  healAt?: number;
  /** The shards the fault went into: their writes are drawn apart from the others'. */
  faultedShards: number[];
  nodes: string[];
  ops: Op[];
  samples: ClusterSample[];
}

export interface ClusterScenarioResult {
  scenario: ClusterScenarioName;
  passed: boolean;
  failures: string[];
  expected: string;
  notes: string[];
  /** The shard the fault went into (restart-all: null, every shard). */
  shard: number | null;
  /** The shard's master before the fault, and after healing. */
  oldMaster: string | null;
  newMaster: string | null;
  /** The services the fault took out. */
  faulted: string[];
  timings: ClusterTimings;
  writes: WriteCounts;
  /** The writes to the other shards' slots (the ones the fault should not touch). */
  otherShards: ShardWrites;
  /** Each shard's slots and master before the fault and after healing ("0-5460=redis-1"). */
  slotMap: { before: string[]; after: string[] };
  rejoin: { oldMasterRole: string | null };
  /** Per shard, master and replicas hold the same keys of the run (digest). */
  keyspace: { consistent: boolean; nodes: NodeKeyspace[] };
  durability: Durability;
  recording?: ClusterRecording;
}

export interface ClusterRunOptions {
  deployment: Deployment;
  runtime: Runtime;
  rate: number;
  durability: Durability;
  /** The shard (1-based) the fault goes into. */
  shard: number;
  signal: AbortSignal;
  heal: HealStack;
  onProgress?: (p: Progress) => void;
}

const BASELINE_MS = 1000;
const AFTER_FAILOVER_MS = 1500;
/** lose-shard: how long the other shards' writes are watched once the shard's slots failed. */
const SHARD_DOWN_WATCH_MS = 2000;

const slotLine = (s: { slots: string; master: string }) => `${s.slots}=${s.master}`;

export async function runClusterScenario(name: ClusterScenarioName, o: ClusterRunOptions): Promise<ClusterScenarioResult> {
  const d = o.deployment;
  const t = d.topology;
  const def = clusterScenario(name);
  const nodeTimeoutMs = t.cluster.nodeTimeoutMs;
  // The shard the fault goes into: the run's turn, unless a host fault would take another master with it.
  let shard = o.shard;
  const result: ClusterScenarioResult = {
    scenario: name,
    passed: false,
    failures: [],
    expected: def.expected,
    notes: [],
    shard: def.expectation === 'restart' ? null : shard,
    oldMaster: null,
    newMaster: null,
    faulted: [],
    timings: { nodeTimeoutMs, failoverMs: null, shardFailedMs: null, recoveredMs: null, failedShardWriteGapMs: null, otherShardsWriteGapMs: null },
    writes: { acked: 0, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 0 },
    otherShards: { acked: 0, failed: 0, indeterminate: 0 },
    slotMap: { before: [], after: [] },
    rejoin: { oldMasterRole: null },
    keyspace: { consistent: false, nodes: [] },
    durability: o.durability,
  };
  const now = () => performance.now();
  const nodes = redisNodes(t);
  const endpoint = (node: string) => ({ host: addressOf(d, node), port: nodes.find((n) => n.name === node)!.hostPort });
  const prefix = `tf:${name}:${randomBytes(3).toString('hex')}`;
  let phase: Progress['phase'] = 'prepare';
  let workload: ClusterWorkload | undefined;
  let observer: ClusterObserver | undefined;
  const progress = () => {
    const c = workload?.counts ?? { ok: 0, failed: 0, indeterminate: 0 };
    const owner = [...(observer?.latest().values() ?? [])].find((s) => s.owners?.[shard - 1])?.owners?.[shard - 1];
    o.onProgress?.({ scenario: name, phase, ...c, master: owner });
  };
  const setPhase = (p: Progress['phase']) => {
    phase = p;
    progress();
  };
  const ticker = setInterval(progress, 250);
  const aborted = (err: unknown) => {
    if (o.signal.aborted) throw new InterruptedError();
    return err as Error;
  };
  try {
    setPhase('prepare');
    let before;
    try {
      before = await waitHealthy(o.runtime, d, { caughtUp: true, timeoutMs: 60_000, failFast: false, signal: o.signal });
    } catch (err) {
      result.failures.push(`not healthy before the fault: ${aborted(err).message}`);
      return result;
    }
    const shardsBefore = before.shards ?? [];
    result.slotMap.before = shardsBefore.map(slotLine);
    const live = shardsBefore[shard - 1];
    if (!live) {
      result.failures.push(`the cluster serves ${shardsBefore.length} shard(s); there is no shard ${shard}`);
      return result;
    }
    if (def.hostFault) {
      // A host that runs two masters takes the majority of a 3-master cluster with it, and then no
      // replica can be elected: the fault goes into a shard whose master is alone on its host.
      const nodeOf = new Map((await o.runtime.containers(t.name)).map((c) => [c.service, c.node]));
      const alone = (s: { master: string }) => shardsBefore.filter((x) => nodeOf.get(x.master) === nodeOf.get(s.master)).length === 1;
      if (!alone(live)) {
        const other = shardsBefore.findIndex(alone);
        const crowded = `${nodeOf.get(live.master)} runs ${shardsBefore.filter((x) => nodeOf.get(x.master) === nodeOf.get(live.master)).map((x) => x.master).join(' and ')}`;
        if (other < 0) {
          result.failures.push(`every host runs more than one master (${crowded}): losing one loses a majority of the masters, so no replica could be elected; move masters apart first (\`redis-ha switchover --shard N\`)`);
          return result;
        }
        result.notes.push(`${crowded}, masters of shard ${shard} and another: the host fault goes into shard ${other + 1}, whose master is alone on its host`);
        shard = other + 1;
        result.shard = shard;
      }
    }
    const target0 = shardsBefore[shard - 1]!;
    // The shards as they serve now (a reshard moves slots away from the creation plan's ranges).
    const plan = liveShardRanges(shardsBefore);
    const target: LiveShard = { shard, master: target0.master, replicas: target0.replicas.map((r) => r.service) };
    result.oldMaster = def.expectation === 'restart' ? null : target.master;
    // Node ids do not change: read once, so the observer names the nodes even while one is down.
    const ids = new Map((await probeCluster(d)).flatMap((n) => (n.myid ? [[n.myid, n.service] as const] : [])));
    const serviceOf = (id: string) => ids.get(id) ?? `unknown node ${id.slice(0, 8)}`;

    observer = new ClusterObserver({
      nodes: nodes.map((n) => ({ name: n.name, ...endpoint(n.name) })),
      auth: d.auth,
      shardFirstSlots: plan.map((s) => s.ranges[0]![0]),
      serviceOf,
      now,
    });
    observer.start();
    const shardOf = (key: string) => shardOfSlotIn(plan, keySlot(key));
    workload = new ClusterWorkload(clusterStartupNodes(t, hostsOf(d)), clusterClientOptions(t, d.auth, hostsOf(d)), {
      rate: o.rate,
      durability: o.durability,
      prefix,
      maxMs: 10 * 60_000,
      now,
      shardOf,
    });
    const t0 = now();
    await workload.start();
    setPhase('baseline');
    await sleep(BASELINE_MS, { signal: o.signal });

    setPhase('fault');
    const containers = new Map<string, ContainerInfo>();
    const container = async (service: string): Promise<ContainerInfo> => {
      for (const c of await o.runtime.containers(t.name)) containers.set(c.service, c);
      const c = containers.get(service);
      if (!c) throw new Error(`no container for ${service} in project ${t.name}`);
      return c;
    };
    const faultAt = now();
    result.faulted = await def.inject({ topology: t, runtime: o.runtime, heal: o.heal, container, target, note: (l) => result.notes.push(l) });
    result.notes.push(`${def.expectation === 'restart' ? 'stopped every node' : `shard ${shard} (${target0.slots}): took out ${result.faulted.join(', ')}`}`);

    setPhase('hold');
    const observers = nodes.map((n) => n.name).filter((n) => !result.faulted.includes(n));
    const holdLimit = 2 * nodeTimeoutMs + 30_000;
    const within = async (what: string, check: () => number | null) =>
      waitFor(what, async () => ({ verdict: check() === null ? 'waiting' : 'done', value: check(), state: 'not yet' }), { timeoutMs: holdLimit, intervalMs: 100, signal: o.signal });
    try {
      if (def.expectation === 'failover') {
        const candidates = target.replicas;
        const ms = await within(`a replica of shard ${shard} (${candidates.join(', ')}) to take over its slots on every other node, cluster_state:ok`, () =>
          clusterFailoverMs(observer!.samples, { faultAt, shardIndex: shard - 1, observers, candidates }),
        );
        result.notes.push(`the other nodes agreed on a new master for shard ${shard} after ${ms} ms (cluster-node-timeout ${nodeTimeoutMs} ms)`);
        await sleep(AFTER_FAILOVER_MS, { signal: o.signal });
      } else if (def.expectation === 'shard-down') {
        const ms = await within(`the other nodes to flag ${result.faulted.join(', ')} failed`, () => lostFlaggedMs(observer!.samples, { faultAt, lost: result.faulted }));
        result.notes.push(`the other nodes flagged ${result.faulted.join(', ')} failed after ${ms} ms`);
        await sleep(SHARD_DOWN_WATCH_MS, { signal: o.signal });
      } else if (def.expectation === 'no-failover') {
        await sleep(2 * nodeTimeoutMs + 2000, { signal: o.signal });
      } else {
        await sleep(1000, { signal: o.signal });
      }
    } catch (err) {
      result.failures.push(`${def.expectation === 'failover' ? 'no failover' : 'not as expected'}: ${aborted(err).message}`);
    }

    setPhase('heal');
    const healAt = now();
    const healFailures = await o.heal.runAll((label) => result.notes.push(`healed: ${label}`));
    result.failures.push(...healFailures.map((f) => `healing failed: ${f}`));

    setPhase('recover');
    let after;
    try {
      // A node back on the network under another address is met there again (as deploy does).
      const formed = await formCluster(o.runtime, d, { timeoutMs: 90_000, signal: o.signal });
      if (formed.steps.length) result.notes.push(`cluster kept whole: ${formed.steps.join('; ')}`);
      // The workload keeps writing while the healed nodes come back.
      await waitHealthy(o.runtime, d, { caughtUp: false, timeoutMs: 90_000, failFast: false, signal: o.signal });
      await workload.stop();
      after = await waitHealthy(o.runtime, d, { caughtUp: true, timeoutMs: 120_000, failFast: false, signal: o.signal });
    } catch (err) {
      result.failures.push(`not healthy after healing: ${aborted(err).message}`);
    }
    await workload.stop();
    await observer.stop();

    setPhase('verify');
    const ops = workload.ops;
    const faultedShards = def.expectation === 'restart' ? plan.map((s) => s.shard) : [shard];
    const gaps = shardWriteGaps(ops, faultedShards, faultAt);
    const samples = observer.samples;
    result.timings = {
      nodeTimeoutMs,
      failoverMs: def.expectation === 'failover' ? clusterFailoverMs(samples, { faultAt, shardIndex: shard - 1, observers, candidates: target.replicas }) : null,
      shardFailedMs: def.expectation === 'shard-down' ? lostFlaggedMs(samples, { faultAt, lost: result.faulted }) : null,
      recoveredMs: clusterRecoveredMs(samples, { from: healAt, nodes: nodes.map((n) => n.name) }),
      failedShardWriteGapMs: gaps.failedShard,
      otherShardsWriteGapMs: gaps.otherShards,
    };
    result.otherShards = countShardWrites(ops, (op) => !faultedShards.includes(op.shard ?? -1));
    result.recording = { t0, end: now(), faultAt, healAt, faultedShards, nodes: nodes.map((n) => n.name), ops, samples };
    if (after) {
      const shardsAfter = after.shards ?? [];
      result.slotMap.after = shardsAfter.map(slotLine);
      const now = shardsAfter[shard - 1];
      result.newMaster = def.expectation === 'restart' ? null : (now?.master ?? null);
      if (result.oldMaster) result.rejoin.oldMasterRole = now?.master === result.oldMaster ? 'master' : now?.replicas.some((r) => r.service === result.oldMaster) ? 'slave' : null;
      await verifyKeys(result, d, shardsAfter, ops, prefix, endpoint);
    }
    judgeCluster(result, def.expectation, def.ackedWriteLoss, after !== undefined, o.rate);
    setPhase('done');
    return result;
  } catch (err) {
    throw aborted(err);
  } finally {
    clearInterval(ticker);
    const healFailures = await o.heal.runAll((label) => result.notes.push(`healed: ${label}`));
    result.failures.push(...healFailures.map((f) => `healing failed: ${f}`));
    if (healFailures.length) result.passed = false;
    await workload?.stop().catch(() => undefined);
    await observer?.stop().catch(() => undefined);
  }
}

/**
 * Reads back every key of the run on its shard's master (acknowledged: must be there; timed out:
 * resolved to applied / not applied), compares each shard's nodes, then removes the keys.
 */
async function verifyKeys(
  result: ClusterScenarioResult,
  d: Deployment,
  shards: { master: string; replicas: { service: string }[] }[],
  ops: Op[],
  prefix: string,
  endpoint: (node: string) => { host: string; port: number },
): Promise<void> {
  const spaces = await Promise.all(
    shards.map(async (s) => Promise.all([s.master, ...s.replicas.map((r) => r.service)].map((n) => readKeyspace(n, endpoint(n), d.auth, `${prefix}:*`, { cluster: true })))),
  );
  result.keyspace.nodes = spaces.flat().map((s) => s.space);
  result.keyspace.consistent = spaces.every((shard) => new Set(shard.map((s) => s.space.digest)).size === 1 && shard.every((s) => !s.space.error));
  // Keys by the shard their slot is in; each read on that shard's master.
  const masterKeys = new Map<number, Set<string>>(spaces.map((shard, i) => [i + 1, shard[0]!.keys]));
  const missing = new Set(ops.filter((op) => op.outcome === 'ok' && !masterKeys.get(op.shard!)?.has(op.key)).map((op) => op.key));
  const readBack = new Map<string, string | null>();
  for (const [i, s] of shards.entries()) {
    const keys = ops.filter((op) => op.outcome === 'indeterminate' && op.shard === i + 1).map((op) => op.key);
    if (!keys.length) continue;
    try {
      for (const [k, v] of await readValues(endpoint(s.master), d.auth, keys, { cluster: true })) readBack.set(k, v);
    } catch (err) {
      result.notes.push(`indeterminate writes of shard ${i + 1} not resolved: ${(err as Error).message}`);
    }
  }
  result.writes = countWrites(ops, missing, result.keyspace.consistent ? readBack : undefined);
  await Promise.all(shards.map((s, i) => deleteKeys(endpoint(s.master), d.auth, masterKeys.get(i + 1) ?? [], { cluster: true }).catch(() => undefined)));
}

/** The pass conditions, as failures on the result, from the scenario's expectation. */
export function judgeCluster(r: ClusterScenarioResult, expectation: ClusterExpectation, lossBar: 'none-with-wait' | 'none', healthyAtEnd: boolean, rate: number): void {
  const f = r.failures;
  if (!healthyAtEnd && !f.some((x) => x.startsWith('not healthy'))) f.push('the cluster did not end healthy');
  if (healthyAtEnd && !r.keyspace.consistent) {
    f.push(`a shard's nodes differ: ${r.keyspace.nodes.map((n) => `${n.node} ${n.keys} keys ${n.digest}${n.error ? ` (${n.error})` : ''}`).join(', ')}`);
  }
  if (expectation === 'failover') {
    if (r.timings.failoverMs === null && !f.some((x) => x.startsWith('no failover'))) f.push('no failover seen by the other nodes');
    if (healthyAtEnd && r.newMaster === r.oldMaster) f.push(`no new master: ${r.oldMaster} still serves shard ${r.shard}`);
    if (healthyAtEnd && r.rejoin.oldMasterRole !== 'slave') f.push(`old master ${r.oldMaster} is ${r.rejoin.oldMasterRole ?? 'not in its shard'}, not a replica of shard ${r.shard}`);
  }
  if (expectation === 'no-failover' && healthyAtEnd && r.newMaster !== r.oldMaster) f.push(`shard ${r.shard}'s master changed from ${r.oldMaster} to ${r.newMaster} though only a replica was lost`);
  if (expectation === 'shard-down') {
    if (r.timings.shardFailedMs === null && !f.some((x) => x.startsWith('not as expected'))) f.push(`the other nodes never flagged every node of shard ${r.shard} failed`);
    const bad = r.otherShards.failed + r.otherShards.indeterminate;
    if (bad) f.push(`${bad} write(s) to the other shards' slots failed while shard ${r.shard} was down (cluster-require-full-coverage no: they must keep serving)`);
  }
  if (healthyAtEnd && (expectation === 'restart' || expectation === 'shard-down') && r.slotMap.after.join(', ') !== r.slotMap.before.join(', ')) {
    const ranges = (m: string[]) => m.map((x) => x.split('=')[0]).join(' ');
    const change = `${r.slotMap.before.join(', ')} before, ${r.slotMap.after.join(', ')} after`;
    // The same slot ranges must come back. Which node of a shard masters it may change: a node
    // that restarts later than its replica by more than the node timeout (a loaded machine) is
    // failed over, as Redis Cluster should; only a replica of that master can take its slots.
    if (ranges(r.slotMap.after) !== ranges(r.slotMap.before)) f.push(`the slot map changed: ${change}`);
    else r.notes.push(`${expectation === 'restart' ? 'a shard' : `shard ${r.shard}`} came back with another of its nodes as master (a failover while its master was down): ${change}`);
  }
  if (r.writes.lostAcked > 0) {
    if (lossBar === 'none' || (lossBar === 'none-with-wait' && r.durability === 'wait')) f.push(`${r.writes.lostAcked} acknowledged write(s) lost${lossBar === 'none-with-wait' ? ' with --durability wait' : ''}`);
    else r.notes.push(`${r.writes.lostAcked} acknowledged write(s) lost (durability ${r.durability}, ${rate} writes/s)`);
  }
  r.passed = f.length === 0;
}
