// Moves hash slots of a live Redis Cluster from the masters that serve them to another master,
// with their keys, while clients keep writing: Redis's own procedure (what `redis-cli --cluster
// reshard` does), slot by slot: the target marks the slot IMPORTING, the source MIGRATING (from
// then on a key not on the source is answered with an ASK redirect to the target, which cluster
// clients follow), the keys go in batches with MIGRATE, then every master is told the slot's new
// owner (CLUSTER SETSLOT NODE, which bumps the target's config epoch). A slot interrupted
// half-way stays MIGRATING / IMPORTING and keeps serving (ASK); running the same move again
// finishes it. The node's own passwords travel inside MIGRATE's AUTH2, never on a command line.
import { addressOf, type Deployment } from '../deployment.js';
import { EXIT, FailedError, RedisHaError, UsageError } from '../errors.js';
import { checkCluster } from '../health/cluster.js';
import { CLUSTER_SLOTS, formatSlotRanges } from '../model/cluster.js';
import { REDIS_PORT } from '../model/nodes.js';
import { withConnection } from '../probes/connect.js';
import { probeCluster, type ClusterNodeState } from '../probes/cluster.js';
import { waitFor } from '../wait.js';

export interface ReshardOptions {
  deployment: Deployment;
  /** Inclusive slot range to move. */
  slots: [number, number];
  /** The master (service name) that serves them afterwards. */
  to: string;
  /** Keys per MIGRATE (redis-cli's default pipeline is 10; larger batches move faster). */
  batch?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** After each slot. */
  onProgress?: (p: { slotsDone: number; slots: number; keys: number }) => void;
}

export interface ReshardResult {
  deployment: string;
  to: string;
  /** Per source: the slots it gave and the keys that went with them. */
  moves: { from: string; slots: string; slotCount: number; keys: number }[];
  slots: number;
  keys: number;
  /** From the first SETSLOT to the last. */
  movedMs: number;
  /** Until every node names the target for every moved slot. */
  agreedMs: number;
}

export class ReshardInterruptedError extends RedisHaError {
  constructor(state: string) {
    super(`reshard interrupted; ${state}`, EXIT.interrupted, 'run the same reshard again to finish it; `redis-ha status` shows the slot map');
  }
}

const MIGRATE_TIMEOUT_MS = 10_000;

/** "a-b" or "a" into an inclusive range, checked. Pure. */
export function parseSlotRange(text: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || a > b || b >= CLUSTER_SLOTS) throw new UsageError(`--slots ${text}: expected a slot or a range FIRST-LAST within 0-${CLUSTER_SLOTS - 1}, first <= last`, 'for example --slots 0-1000; `redis-ha status` shows which shard serves which slots');
  return [a, b];
}

/** Who serves each slot of `range` in `view` (a node's CLUSTER NODES, by service). Pure. */
export function slotOwners(owners: { service: string; slots: [number, number][] }[], range: [number, number]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let slot = range[0]; slot <= range[1]; slot++) {
    const owner = owners.find((o) => o.slots.some(([a, b]) => a <= slot && slot <= b));
    if (!owner) continue;
    out.set(owner.service, [...(out.get(owner.service) ?? []), slot]);
  }
  return out;
}

/** "0-10 12" from a sorted list of slots. Pure. */
export function formatSlots(slots: number[]): string {
  const ranges: [number, number][] = [];
  for (const slot of slots) {
    const last = ranges.at(-1);
    if (last && slot === last[1] + 1) last[1] = slot;
    else ranges.push([slot, slot]);
  }
  return formatSlotRanges(ranges);
}

export async function runReshard(o: ReshardOptions): Promise<ReshardResult> {
  const d = o.deployment;
  const t = d.topology;
  const states = await probeCluster(d);
  const { verdict } = checkCluster(t, states, { caughtUp: false });
  if (!verdict.ok) {
    throw new FailedError(`the cluster of ${t.name} is not healthy, so no slot was moved (nothing was changed): ${verdict.detail}`, `see \`redis-ha status --name ${t.name}\`, fix what it names, then run the reshard again`);
  }
  const idOf = new Map(states.flatMap((n) => (n.myid ? [[n.service, n.myid] as const] : [])));
  const serviceOf = new Map([...idOf].map(([s, id]) => [id, s]));
  const view = (states[0] as ClusterNodeState).peers ?? [];
  const masters = view.filter((p) => p.flags.includes('master') && !p.flags.includes('fail')).map((p) => ({ service: serviceOf.get(p.id) ?? p.id, id: p.id, slots: p.slots }));
  const target = masters.find((m) => m.service === o.to);
  if (!target) {
    throw new UsageError(`--to ${o.to}: not a master of ${t.name}'s cluster (masters: ${masters.map((m) => m.service).join(', ')})`, 'name a master; `redis-ha status` lists each shard\'s master');
  }
  const owners = slotOwners(masters, o.slots);
  owners.delete(o.to);
  const sources = [...owners.entries()].map(([from, slots]) => ({ from, slots }));
  const result: ReshardResult = { deployment: t.name, to: o.to, moves: [], slots: 0, keys: 0, movedMs: 0, agreedMs: 0 };
  const total = sources.reduce((a, s) => a + s.slots.length, 0);
  // The source keeps no slot: its shard would have nothing left to serve (removing a shard is a deploy with fewer shards).
  for (const s of sources) {
    const keeps = masters.find((m) => m.service === s.from)!.slots.reduce((a, [x, y]) => a + (y - x + 1), 0) - s.slots.length;
    if (keeps <= 0) throw new UsageError(`moving ${formatSlots(s.slots)} would leave ${s.from} serving no slot, a shard with nothing; nothing was changed`, `leave it at least one slot; to remove a shard, deploy ${t.name} with --shards ${t.cluster.shards - 1} (its slots move to the others)`);
  }
  if (!total) return result;

  const moved = await moveSlots(d, states, sources.map((s) => ({ ...s, to: o.to })), o);
  return { ...result, ...moved, moves: moved.moves.map(({ to: _to, ...m }) => m) };
}

/** Slots to move from one master to another, both by service name. */
export interface SlotTransfer {
  from: string;
  to: string;
  slots: number[];
}

export interface MoveSlotsResult {
  moves: { from: string; to: string; slots: string; slotCount: number; keys: number }[];
  slots: number;
  keys: number;
  movedMs: number;
  agreedMs: number;
}

/**
 * Moves each transfer's slots with their keys (Redis's procedure, see the top of this file),
 * then waits until every node names the new owners and says cluster_state:ok. `states`: every
 * node as probed just before (ids, the addresses the nodes know each other by).
 */
export async function moveSlots(
  d: Deployment,
  states: ClusterNodeState[],
  transfers: SlotTransfer[],
  o: Pick<ReshardOptions, 'batch' | 'timeoutMs' | 'signal' | 'onProgress'>,
): Promise<MoveSlotsResult> {
  const batch = o.batch ?? 100;
  const endpoint = (service: string) => ({ host: addressOf(d, service), port: states.find((n) => n.service === service)!.hostPort });
  const idOf = new Map(states.flatMap((n) => (n.myid ? [[n.service, n.myid] as const] : [])));
  const masters = states.filter((n) => n.reachable && (n.peers ?? []).find((p) => p.flags.includes('myself'))?.flags.includes('master')).map((n) => n.service);
  const result: MoveSlotsResult = { moves: [], slots: 0, keys: 0, movedMs: 0, agreedMs: 0 };
  const total = transfers.reduce((a, s) => a + s.slots.length, 0);
  if (!total) return result;
  const started = performance.now();
  const auth = d.auth.password ? ['AUTH2', d.auth.username ?? 'default', d.auth.password] : [];
  for (const { from, to, slots } of transfers) {
    const sourceId = idOf.get(from)!;
    const targetId = idOf.get(to)!;
    // MIGRATE dials the target at the address the source knows it by on the cluster bus, not by
    // name: Redis resolves a name in its main thread, and a lookup that goes out to an
    // unreachable resolver would stall every client of the source for seconds.
    const targetIp = states.find((n) => n.service === from)?.peers?.find((p) => p.id === targetId)?.ip || to;
    let keys = 0;
    await withConnection(endpoint(from), d.auth, (source) =>
      withConnection(endpoint(to), d.auth, async (dest) => {
        for (const slot of slots) {
          if (o.signal?.aborted) throw new ReshardInterruptedError(`${result.slots + slots.indexOf(slot)} of ${total} slot(s) moved, the others left where they were`);
          await dest.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
          await source.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
          for (;;) {
            const inSlot = (await source.call('CLUSTER', 'GETKEYSINSLOT', String(slot), String(batch))) as string[];
            if (!inSlot.length) break;
            await source.call('MIGRATE', targetIp, String(REDIS_PORT), '', '0', String(MIGRATE_TIMEOUT_MS), 'REPLACE', ...auth, 'KEYS', ...inSlot);
            keys += inSlot.length;
          }
          // The target first (it then serves the slot), then the source, then the other masters.
          await dest.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
          await source.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId).catch((err: Error) => {
            // The source's last slot (a shard drained): hearing from the target that it owns the
            // slot, the source may already have turned into the target's replica
            // (cluster-allow-replica-migration), and a replica takes no SETSLOT. Nothing is left to tell it.
            if (!(slot === slots.at(-1) && /only with masters/i.test(err.message))) throw err;
          });
          o.onProgress?.({ slotsDone: result.slots + slots.indexOf(slot) + 1, slots: total, keys: result.keys + keys });
        }
      }, MIGRATE_TIMEOUT_MS + 5000),
      MIGRATE_TIMEOUT_MS + 5000,
    );
    for (const m of masters.filter((x) => x !== from && x !== to)) {
      // Gossip would tell them too; told directly, a client they redirect is sent to the right node at once.
      await withConnection(endpoint(m), d.auth, async (r) => {
        for (const slot of slots) await r.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId).catch(() => undefined);
      }, 5000);
    }
    result.moves.push({ from, to, slots: formatSlots(slots), slotCount: slots.length, keys });
    result.slots += slots.length;
    result.keys += keys;
  }
  result.movedMs = Math.round(performance.now() - started);
  const owner = new Map(transfers.flatMap((x) => x.slots.map((slot) => [slot, idOf.get(x.to)!] as const)));
  await waitFor(
    `every node of ${d.topology.name} to name the new owners of the moved slots, cluster_state:ok`,
    async () => {
      const now = await probeCluster(d, states.map((n) => ({ name: n.service, hostPort: n.hostPort })));
      const ok = now.every(
        (n) =>
          n.reachable &&
          n.info?.state === 'ok' &&
          [...owner].every(([slot, id]) => n.peers?.some((p) => p.id === id && p.slots.some(([a, b]) => a <= slot && slot <= b))),
      );
      return { verdict: ok ? 'done' : 'waiting', value: undefined, state: ok ? 'agreed' : 'not yet' };
    },
    { timeoutMs: Math.max(5000, o.timeoutMs - (performance.now() - started)), intervalMs: 100, signal: o.signal },
  );
  result.agreedMs = Math.round(performance.now() - started);
  return result;
}
