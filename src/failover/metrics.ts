// Figures from a recording (pure): timings from the fault, write gaps, lost acknowledged
// writes, and the dual-master window. Definitions are documented on each function because
// they are what the report claims.
import type { Op, Recording, RoleSample, SentinelEvent, SentinelViewSample, Via } from './recording.js';

/** A write that took longer than this counts as disrupted for the write gap, even if it succeeded. */
export const SLOW_OP_MS = 500;
/** Disrupted writes further apart than this belong to separate outages. */
export const STABLE_MS = 1000;
/** A Sentinel answer counts as "the Sentinels name X at t" within this distance of t (poll jitter). */
export const VIEW_TOLERANCE_MS = 300;

export interface Timings {
  sdownMs: number | null;
  odownMs: number | null;
  switchMasterMs: number | null;
  sentinelClientWriteGapMs: number | null;
  haproxyWriteGapMs: number | null;
}

const round = (ms: number) => Math.round(ms);

/**
 * ms from the fault to the first Sentinel event of `type` about the master (any Sentinel).
 * Events about replicas or Sentinels (`+sdown slave ...`) are not counted.
 */
export function firstMasterEvent(events: SentinelEvent[], type: string, faultAt: number, masterName: string): number | null {
  const hit = events
    .filter((e) => e.type === type && e.t >= faultAt && (type === '+switch-master' ? e.detail.startsWith(`${masterName} `) : e.detail.startsWith(`master ${masterName} `)))
    .sort((a, b) => a.t - b.t)[0];
  return hit ? round(hit.t - faultAt) : null;
}

/**
 * The write gap of one client path: ms from the fault to the end of the first good write
 * (ok and not slower than SLOW_OP_MS) that starts after the outage. The outage is the run of
 * disrupted writes (failed, indeterminate or slow) that begins with the first one after the
 * fault and goes on while each next disrupted write starts within STABLE_MS of the previous
 * one; a later, separate hiccup (a slow write on a loaded machine) is not part of it.
 * 0 when the path saw no disruption; null without writes, or when no good write followed.
 */
export function writeGapMs(ops: Op[], via: Via, faultAt: number): number | null {
  const mine = ops.filter((o) => o.via === via && o.start >= faultAt).sort((a, b) => a.start - b.start);
  if (!mine.length) return null;
  const disrupted = (o: Op) => o.outcome !== 'ok' || o.end - o.start > SLOW_OP_MS;
  const firstBad = mine.findIndex(disrupted);
  if (firstBad < 0) return 0;
  let lastBad = mine[firstBad]!;
  for (const o of mine.slice(firstBad + 1)) {
    if (!disrupted(o)) continue;
    if (o.start - lastBad.start > STABLE_MS) break;
    lastBad = o;
  }
  const recovered = mine.find((o) => o.start > lastBad.start && !disrupted(o));
  return recovered ? round(recovered.end - faultAt) : null;
}

export interface WriteCounts {
  acked: number;
  failed: number;
  /** Indeterminate writes that could not be resolved by reading them back. */
  indeterminate: number;
  /** Indeterminate writes whose key the final master holds with the value written. */
  resolvedApplied: number;
  /** Indeterminate writes whose key the final master does not hold: not in the final dataset
   *  (never applied, or applied on a node whose writes the resync discarded). */
  resolvedNotApplied: number;
  /** Acknowledged writes missing from the final master (read back after healing). */
  lostAcked: number;
}

/**
 * Counts the writes by outcome. `readBack` is what the final master holds for the keys of the
 * indeterminate writes (value, or null when absent), read only once nothing can change them
 * any more: the workload stopped, the topology healthy, every replica caught up and every node
 * holding the same keyspace. Without it (or for a key it lacks, or holding another value) an
 * indeterminate write stays indeterminate.
 */
export function countWrites(ops: Op[], missingAcked: Set<string>, readBack?: ReadonlyMap<string, string | null>): WriteCounts {
  const c: WriteCounts = { acked: 0, failed: 0, indeterminate: 0, resolvedApplied: 0, resolvedNotApplied: 0, lostAcked: 0 };
  for (const o of ops) {
    if (o.outcome === 'ok') {
      c.acked++;
      if (missingAcked.has(o.key)) c.lostAcked++;
    } else if (o.outcome === 'failed') {
      c.failed++;
    } else {
      const held = readBack?.get(o.key);
      if (held === null) c.resolvedNotApplied++;
      else if (held !== undefined && held === o.value) c.resolvedApplied++;
      else c.indeterminate++;
    }
  }
  return c;
}

/** Whether a Sentinel named `node` as master within VIEW_TOLERANCE_MS of `t`. */
export function namedBySentinels(views: SentinelViewSample[], node: string, t: number): boolean {
  return views.some((v) => v.master === node && Math.abs(v.t - t) <= VIEW_TOLERANCE_MS);
}

/** Whether any Sentinel answered within VIEW_TOLERANCE_MS of `t` (else nothing can be said). */
function sentinelsAnswered(views: SentinelViewSample[], t: number): boolean {
  return views.some((v) => v.master !== undefined && Math.abs(v.t - t) <= VIEW_TOLERANCE_MS);
}

/** How long after a replica's promotion its +switch-master may come (the leader confirms the promotion by INFO, every second during a failover). */
const PUBLISH_GRACE_MS = 3000;

/** The master the latest +switch-master announced by `t` (within the tolerance) named, if any. */
export function announcedMaster(events: SentinelEvent[], t: number): string | undefined {
  let latest: SentinelEvent | undefined;
  for (const e of events) {
    if (e.type === '+switch-master' && e.t <= t + VIEW_TOLERANCE_MS && (!latest || e.t > latest.t)) latest = e;
  }
  // "<master-name> <old-ip> <old-port> <new-ip> <new-port>"
  return latest?.detail.split(' ')[3];
}

export interface DualMaster {
  /** Total ms during which a node answered ROLE "master" while no Sentinel named it. */
  windowMs: number;
  /** Acknowledged writes answered by the old master while the Sentinels did not name it. */
  writesAckedByOldMaster: number;
  /** New HAProxy write-port connections, and HAProxy-path acked writes, that reached a
   *  node the Sentinels did not name as master at that moment. */
  haproxyRoutedToOldMaster: number;
}

/**
 * The dual-master window, on a 50 ms grid: time during which a node said "master" (ROLE)
 * while the Sentinels (most of those answering) named ANOTHER node that was up. A node
 * promoted a moment before the Sentinels publish it, while the old master is dead, is not
 * a dual master; an old master that wakes up (pause) or reconnects (partition) still
 * believing it is master, is.
 */
export function dualMaster(rec: Recording, oldMaster: string): DualMaster {
  const step = 50;
  let windowMs = 0;
  const sorted = [...rec.roles].sort((a, b) => a.t - b.t);
  const last = new Map<string, RoleSample>();
  let i = 0;
  for (let t = rec.faultAt; t <= rec.end; t += step) {
    while (i < sorted.length && sorted[i]!.t <= t) {
      last.set(sorted[i]!.node, sorted[i]!);
      i++;
    }
    const named = sentinelMajorityView(rec.sentinelViews, t);
    if (!named) continue;
    const fresh = (s: RoleSample | undefined) => s !== undefined && t - s.t <= 1000;
    const namedSample = last.get(named);
    if (!fresh(namedSample) || namedSample!.role === 'down') continue;
    const rogue = [...last.values()].some(
      (s) => s.node !== named && s.role === 'master' && fresh(s) && !namedBySentinels(rec.sentinelViews, s.node, t),
    );
    if (rogue) windowMs += step;
  }
  // A node a Sentinel announced (+switch-master) by then is named, though no poll of the
  // Sentinels caught it yet: on a loaded machine a poll can lag the switch by more than the
  // tolerance, and HAProxy's check (which asks the Sentinels) follows the announcement.
  // And a replica promoted a moment before the leader publishes it (+switch-master follows the
  // promotion by up to an INFO period) is the master HAProxy's role check finds first: a route
  // to it then, while the old master is down, is the failover, not a misroute. The old master
  // is never excused.
  const promotedBeforeAnnounced = (node: string, t: number) =>
    node !== oldMaster && rec.events.some((e) => e.type === '+switch-master' && e.t >= t && e.t <= t + PUBLISH_GRACE_MS && e.detail.split(' ')[3] === node);
  const notNamed = (node: string | undefined, t: number) =>
    node !== undefined &&
    sentinelsAnswered(rec.sentinelViews, t) &&
    !namedBySentinels(rec.sentinelViews, node, t) &&
    announcedMaster(rec.events, t) !== node &&
    !promotedBeforeAnnounced(node, t);
  const writesAckedByOldMaster = rec.ops.filter((o) => o.outcome === 'ok' && o.node === oldMaster && notNamed(o.node, o.end)).length;
  const routed =
    rec.haproxyRoutes.filter((r) => notNamed(r.node, r.t)).length +
    rec.ops.filter((o) => o.via === 'haproxy' && o.outcome === 'ok' && notNamed(o.node, o.end)).length;
  return { windowMs, writesAckedByOldMaster, haproxyRoutedToOldMaster: routed };
}

/** The master most answering Sentinels named last (ties: the latest answer). */
export function sentinelMajorityView(views: SentinelViewSample[], t: number): string | undefined {
  const latest = new Map<string, SentinelViewSample>();
  for (const v of views) if (v.t <= t && (latest.get(v.sentinel)?.t ?? -Infinity) < v.t) latest.set(v.sentinel, v);
  const counts = new Map<string, number>();
  for (const v of latest.values()) if (v.master) counts.set(v.master, (counts.get(v.master) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

export function timings(rec: Recording, masterName: string, withHaproxy: boolean): Timings {
  return {
    sdownMs: firstMasterEvent(rec.events, '+sdown', rec.faultAt, masterName),
    odownMs: firstMasterEvent(rec.events, '+odown', rec.faultAt, masterName),
    switchMasterMs: firstMasterEvent(rec.events, '+switch-master', rec.faultAt, masterName),
    sentinelClientWriteGapMs: writeGapMs(rec.ops, 'sentinel', rec.faultAt),
    haproxyWriteGapMs: withHaproxy ? writeGapMs(rec.ops, 'haproxy', rec.faultAt) : null,
  };
}

/** Median of the non-null values, or null. */
export function median(values: (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : Math.round((v[mid - 1]! + v[mid]!) / 2);
}
