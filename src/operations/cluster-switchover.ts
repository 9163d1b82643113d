// A planned master change in one shard of a Redis Cluster (or every shard in turn): CLUSTER
// FAILOVER on a replica of the shard, Redis's own coordinated manual failover (the master stops
// its clients, the replica catches up to its offset, takes the slots with a new epoch, and the
// old master becomes its replica), then wait until every node names the replica as the master of
// the shard's slots and the old master is linked to it. Nothing to undo: a manual failover that
// does not complete is abandoned by Redis itself, leaving the shard as it was.
import { addressOf, type Deployment } from '../deployment.js';
import { EXIT, FailedError, RedisHaError, UsageError } from '../errors.js';
import { checkCluster, type ShardStatus } from '../health/cluster.js';
import { redisNodes } from '../model/nodes.js';
import { clusterCommand, probeCluster, type ClusterNodeState } from '../probes/cluster.js';
import { waitFor } from '../wait.js';

/** A manual failover's own limit is 5 s (CLUSTER_MF_TIMEOUT); one attempt is waited for this long. */
const MF_ATTEMPT_MS = 8000;
const MF_ATTEMPTS = 3;

export interface ClusterSwitchoverOptions {
  deployment: Deployment;
  /** 1-based; undefined: every shard in turn. */
  shard?: number;
  /** The replica to promote (its shard is the one switched). */
  to?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onStep?: (step: 'read' | 'failover' | 'promote' | 'agree' | 'rejoin', detail: string) => void;
  /** Called right before CLUSTER FAILOVER is sent for a shard (a measuring client marks the moment). */
  onFailover?: (shard: number, at: number) => void;
}

export interface ShardSwitchover {
  shard: number;
  slots: string;
  oldMaster: string;
  newMaster: string;
  /** performance.now() when CLUSTER FAILOVER was sent. */
  sentAt: number;
  /** From CLUSTER FAILOVER until the replica said it is master. */
  promotedMs: number;
  /** Until every node names it as the master of the shard's slots, cluster_state:ok everywhere. */
  agreedMs: number;
  /** Until the old master is its replica with the link up (the cluster check passes again). */
  rejoinedMs: number;
}

export interface ClusterSwitchoverResult {
  deployment: string;
  shards: ShardSwitchover[];
  notes: string[];
}

const POLL_MS = 50;

export class ClusterSwitchoverInterruptedError extends RedisHaError {
  constructor(state: string) {
    super(`switchover interrupted; ${state}`, EXIT.interrupted, 'check the deployment with `redis-ha status`');
  }
}

/** The shards to switch and the replica of each, checked before anything changes (UsageError: exit 2). */
export function planClusterSwitchover(t: { name: string; cluster: { shards: number } }, shards: ShardStatus[], o: { shard?: number; to?: string }): { shard: number; status: ShardStatus; replica: string }[] {
  if (o.shard !== undefined && (!Number.isInteger(o.shard) || o.shard < 1 || o.shard > shards.length)) {
    throw new UsageError(`--shard ${o.shard}: ${t.name} has shards 1 to ${shards.length}`, `the shards and their slots are in \`redis-ha status --name ${t.name}\``);
  }
  let picked = o.shard !== undefined ? [o.shard] : shards.map((_, i) => i + 1);
  if (o.to !== undefined) {
    const of = shards.findIndex((s) => s.replicas.some((r) => r.service === o.to)) + 1;
    if (!of) throw new UsageError(`--to ${o.to}: not a replica of any shard of ${t.name} (${shards.map((s, i) => `shard ${i + 1}: ${s.replicas.map((r) => r.service).join(', ') || 'no replica'}`).join('; ')})`, 'name a replica, or give --shard alone');
    if (o.shard !== undefined && o.shard !== of) throw new UsageError(`--to ${o.to} replicates shard ${of}, not shard ${o.shard}`, `drop --shard, or use --shard ${of}`);
    picked = [of];
  }
  const lacking = picked.filter((n) => !shards[n - 1]!.replicas.length);
  if (lacking.length) {
    throw new UsageError(
      `shard ${lacking.join(', ')} of ${t.name} has no replica: there is no node to hand ${lacking.length === 1 ? 'its' : 'their'} slots to (nothing was changed)`,
      'deploy with --replicas-per-shard 1 or more',
    );
  }
  return picked.map((n) => {
    const status = shards[n - 1]!;
    // The replica asked for, else the most caught-up one with its link up.
    const replica =
      o.to ??
      [...status.replicas].filter((r) => r.linkUp).sort((a, b) => (a.lagBytes ?? Infinity) - (b.lagBytes ?? Infinity))[0]?.service ??
      status.replicas[0]!.service;
    return { shard: n, status, replica };
  });
}

const firstSlot = (s: ShardStatus) => Number(s.slots.split(/[- ]/)[0]);

/** Whether every reachable node says cluster_state:ok and that `id` serves `slot`. */
function everyNodeNames(nodes: ClusterNodeState[], id: string, slot: number): boolean {
  const up = nodes.filter((n) => n.reachable);
  return (
    up.length === nodes.length &&
    up.every((n) => n.info?.state === 'ok' && n.peers?.some((p) => p.id === id && p.flags.includes('master') && p.slots.some(([a, b]) => a <= slot && slot <= b)))
  );
}

export async function runClusterSwitchover(o: ClusterSwitchoverOptions): Promise<ClusterSwitchoverResult> {
  const d = o.deployment;
  const t = d.topology;
  const deadline = performance.now() + o.timeoutMs;
  const remaining = () => Math.max(1, deadline - performance.now());
  const endpoint = (service: string) => ({ host: addressOf(d, service), port: redisNodes(t).find((n) => n.name === service)!.hostPort });
  const step = o.onStep ?? (() => undefined);
  const notes: string[] = [];

  step('read', `the cluster of ${t.name}`);
  const read = async () => {
    const nodes = await probeCluster(d);
    return { nodes, ...checkCluster(t, nodes, { caughtUp: false }) };
  };
  const first = await read();
  if (!first.verdict.ok) {
    throw new FailedError(`the cluster of ${t.name} is not healthy, so no switchover was started (nothing was changed): ${first.verdict.detail}`, `see \`redis-ha status --name ${t.name}\`, fix what it names, then run the switchover again`);
  }
  const plan = planClusterSwitchover(t, first.shards, o);
  const done: ShardSwitchover[] = [];
  for (const p of plan) {
    if (o.signal?.aborted) throw new ClusterSwitchoverInterruptedError(done.length ? `shard(s) ${done.map((s) => s.shard).join(', ')} switched, the others left as they were` : 'nothing was changed');
    // Re-read: an earlier shard's switch changed nothing here, but the master may have moved by itself.
    const now = (await read()).shards[p.shard - 1] ?? p.status;
    const oldMaster = now.master;
    const replica = p.replica;
    const ids = new Map((await probeCluster(d)).flatMap((n) => (n.myid ? [[n.service, n.myid] as const] : [])));
    const replicaId = ids.get(replica);
    if (!replicaId) throw new FailedError(`${replica} did not answer with its cluster node id (nothing was changed for shard ${p.shard})`, `see \`redis-ha status --name ${t.name}\``);
    step('failover', `shard ${p.shard} (${now.slots}): CLUSTER FAILOVER on ${replica} (master ${oldMaster})`);
    const sentAt = performance.now();
    o.onFailover?.(p.shard, sentAt);
    const send = async () => {
      try {
        await clusterCommand(endpoint(replica), d.auth, ['CLUSTER', 'FAILOVER']);
      } catch (err) {
        throw new FailedError(`${replica}: CLUSTER FAILOVER was refused: ${(err as Error).message} (shard ${p.shard} left as it was)`, `see \`redis-ha status --name ${t.name}\``);
      }
    };
    await send();
    const since = () => Math.round(performance.now() - sentAt);
    const wait = async (what: string, check: () => Promise<boolean>, timeoutMs = remaining()) => {
      try {
        await waitFor(what, async () => ({ verdict: (await check()) ? 'done' : 'waiting', value: undefined, state: 'not yet' }), { timeoutMs, intervalMs: POLL_MS, signal: o.signal });
      } catch (err) {
        if (o.signal?.aborted) throw new ClusterSwitchoverInterruptedError(`CLUSTER FAILOVER was sent to ${replica}: Redis completes or abandons it by itself`);
        throw new FailedError(`shard ${p.shard}: ${(err as Error).message}`, `a manual failover that does not complete within a few seconds is abandoned by Redis; see \`redis-ha status --name ${t.name}\``);
      }
    };
    const isMaster = async () =>
      clusterCommand(endpoint(replica), d.auth, ['ROLE'])
        .then((r) => (r as unknown[])[0] === 'master')
        .catch(() => false);
    // Redis abandons a manual failover that has not completed after 5 s (CLUSTER_MF_TIMEOUT: the
    // replica did not reach the paused master's offset, seen once in CI right after a full
    // restart) and leaves the shard as it was: sent again, up to MF_ATTEMPTS times in all.
    for (let attempt = 1; ; attempt++) {
      try {
        await wait(`${replica} to say it is master`, isMaster, Math.min(MF_ATTEMPT_MS, remaining()));
        break;
      } catch (err) {
        if (err instanceof ClusterSwitchoverInterruptedError || attempt >= MF_ATTEMPTS || remaining() <= 1) throw err;
        // Promoted right after the wait gave up: nothing to send again (a master refuses CLUSTER FAILOVER).
        if (await isMaster()) break;
        notes.push(`shard ${p.shard}: CLUSTER FAILOVER on ${replica} did not complete within ${MF_ATTEMPT_MS / 1000} s (Redis abandons it after 5 s); sent again (attempt ${attempt + 1})`);
        step('failover', `shard ${p.shard}: CLUSTER FAILOVER on ${replica} again (attempt ${attempt + 1})`);
        await send();
      }
    }
    const promotedMs = since();
    step('promote', `${replica} is master after ${promotedMs} ms`);
    await wait(`every node to name ${replica} as the master of ${now.slots}, cluster_state:ok`, async () => everyNodeNames(await probeCluster(d), replicaId, firstSlot(now)));
    const agreedMs = since();
    step('agree', `every node names ${replica} after ${agreedMs} ms`);
    await wait(`${oldMaster} to rejoin as a replica of ${replica}, the cluster whole`, async () => {
      const r = await read();
      return r.verdict.ok && r.shards[p.shard - 1]?.replicas.some((x) => x.service === oldMaster && x.linkUp) === true;
    });
    const rejoinedMs = since();
    step('rejoin', `${oldMaster} replicates ${replica} after ${rejoinedMs} ms`);
    done.push({ shard: p.shard, slots: now.slots, oldMaster, newMaster: replica, sentAt, promotedMs, agreedMs, rejoinedMs });
  }
  return { deployment: t.name, shards: done, notes };
}
