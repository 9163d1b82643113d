// What a switchover will do, decided from one reading of the live deployment (pure, no I/O):
// the current master (as a majority of Sentinels names it), the replica to promote, the
// replicas to steer away with replica-priority 0, and the Sentinel to ask. Every refusal
// happens here, before anything is touched.
import { FailedError, UsageError } from '../errors.js';
import { redisNodes, sentinelNodes, REDIS_PORT } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';

/** What one Redis node said (INFO), or that it did not answer. */
export interface NodeView {
  name: string;
  reachable: boolean;
  error?: string;
  role?: 'master' | 'slave';
  /** Replica: its master as "host:port". */
  masterAddress?: string;
  linkUp?: boolean;
  /** Master: master_repl_offset; replica: slave_repl_offset. */
  offset?: number;
  /** Replica: replica-priority (0: Sentinel never promotes it). */
  priority?: number;
  /** redis_version, e.g. "7.0.15". */
  version?: string;
}

export interface LiveView {
  nodes: NodeView[];
  /** Per Sentinel (topology order): the master it names, undefined when it did not answer. */
  sentinels: { name: string; master?: string; error?: string }[];
}

export interface SwitchoverPlan {
  oldMaster: string;
  /** The replica named with --to; undefined: whichever acceptable replica Sentinel picks. */
  target?: string;
  /** Replicas that may be promoted: each must be caught up before SENTINEL FAILOVER. */
  acceptable: string[];
  /** Replicas set to replica-priority 0 for the switch (restored afterwards). */
  steer: string[];
  /** The Sentinel that gets SENTINEL FAILOVER. */
  sentinel: string;
  /** The replica expected to be promoted (the target, else the most up-to-date candidate). */
  expected: string;
}

/** `CLIENT PAUSE ... WRITE` and `CLIENT UNPAUSE` exist from Redis 6.2 on. */
export function supportsPauseWrite(version: string | undefined): boolean {
  const [major, minor] = (version ?? '0.0').split('.').map(Number);
  return (major ?? 0) > 6 || ((major ?? 0) === 6 && (minor ?? 0) >= 2);
}

/** The node a majority of the configured Sentinels names, or undefined. */
export function majorityMaster(sentinels: LiveView['sentinels'], configured: number): string | undefined {
  const counts = new Map<string, number>();
  for (const s of sentinels) if (s.master) counts.set(s.master, (counts.get(s.master) ?? 0) + 1);
  for (const [name, n] of counts) if (n > configured / 2) return name;
  return undefined;
}

/** The refusals that need no live state: checked before anything is contacted. */
export function checkSwitchoverRequest(t: Topology, to: string | undefined): void {
  const names = redisNodes(t).map((n) => n.name);
  if (!t.sentinel.enabled) {
    throw new UsageError(
      `deployment ${t.name} (preset ${t.preset}) has no Sentinels: a switchover needs them to agree on the new master`,
      'deploy the sentinel or full preset; without Sentinels, promote by hand with REPLICAOF NO ONE',
    );
  }
  if (to !== undefined && !names.includes(to)) {
    throw new UsageError(`--to ${to}: no such Redis node in deployment ${t.name}`, `choose one of: ${names.join(', ')}`);
  }
}

export function planSwitchover(t: Topology, view: LiveView, to: string | undefined): SwitchoverPlan {
  checkSwitchoverRequest(t, to);
  const configured = sentinelNodes(t).length;
  const oldMaster = majorityMaster(view.sentinels, configured);
  if (!oldMaster) {
    const said = view.sentinels.map((s) => `${s.name}: ${s.master ?? s.error ?? 'no answer'}`).join(', ');
    throw new FailedError(`no majority of the ${configured} Sentinels names one master (${said})`, 'check the deployment with `redis-ha status`; nothing was changed');
  }
  const byName = new Map(view.nodes.map((n) => [n.name, n]));
  const master = byName.get(oldMaster);
  if (!master?.reachable || master.role !== 'master') {
    throw new FailedError(
      `the Sentinels name ${oldMaster} as master, but it ${master?.reachable ? `says role ${master.role}` : `does not answer (${master?.error ?? 'unknown node'})`}`,
      'a failover may be under way; check with `redis-ha status` and try again; nothing was changed',
    );
  }
  if (!supportsPauseWrite(master.version)) {
    throw new FailedError(
      `${oldMaster} runs Redis ${master.version ?? '?'}: a switchover pauses writes with CLIENT PAUSE WRITE, which needs Redis 6.2 or later`,
      'deploy a newer Redis image; nothing was changed',
    );
  }
  const linked = (n: NodeView) => n.reachable && n.role === 'slave' && n.linkUp === true && n.masterAddress === `${oldMaster}:${REDIS_PORT}`;
  if (to === oldMaster) throw new UsageError(`--to ${to} is the current master`, 'name a replica, or leave --to out to let redis-ha choose');
  let acceptable: string[];
  if (to !== undefined) {
    const node = byName.get(to)!;
    if (!node || !linked(node)) {
      const state = !node?.reachable ? `does not answer (${node?.error ?? 'no reply'})` : node.role === 'master' ? 'is a master too' : `replicates from ${node.masterAddress} with link ${node.linkUp ? 'up' : 'down'}`;
      throw new UsageError(`--to ${to} is not a linked replica of the master ${oldMaster}: it ${state}`, 'choose a linked replica (see `redis-ha status`)');
    }
    if (node.priority === 0) throw new UsageError(`--to ${to} has replica-priority 0: Sentinel never promotes it`, 'choose another replica, or change its replica-priority first');
    acceptable = [to];
  } else {
    acceptable = view.nodes.filter((n) => linked(n) && (n.priority ?? 100) > 0).map((n) => n.name);
    if (!acceptable.length) {
      throw new FailedError(`no replica of ${oldMaster} can be promoted (none is linked with replica-priority above 0)`, 'check the replicas with `redis-ha status`; nothing was changed');
    }
  }
  // Every other reachable replica that Sentinel could pick is steered away, so the promoted
  // node is one that was caught up while writes were paused.
  const steer = view.nodes
    .filter((n) => n.name !== oldMaster && !acceptable.includes(n.name) && n.reachable && n.role === 'slave' && (n.priority ?? 100) > 0)
    .map((n) => n.name);
  // Sentinel's own order for those it may pick: priority, then offset; the expectation only.
  const expected = [...acceptable].sort((a, b) => {
    const x = byName.get(a)!;
    const y = byName.get(b)!;
    return (y.offset ?? 0) - (x.offset ?? 0) || (x.priority ?? 100) - (y.priority ?? 100) || a.localeCompare(b);
  })[0]!;
  // The first Sentinel in topology order that names the master: clients (ioredis) ask the
  // Sentinels in that order, so the one that switches first is the one they ask first.
  const sentinel = view.sentinels.find((s) => s.master === oldMaster)!.name;
  return { oldMaster, target: to, acceptable, steer, sentinel, expected };
}
