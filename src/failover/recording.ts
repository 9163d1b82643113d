// What one failover scenario records while it runs: plain data, times in ms on one clock
// (performance.now()), so the metrics and the HTML report are pure functions of it.

/** ok: acknowledged. failed: refused, never applied. indeterminate: timed out or the
 *  connection dropped after sending: it may or may not have been applied. */
export type Outcome = 'ok' | 'failed' | 'indeterminate';

/** Which client path wrote: the Sentinel-aware ioredis client, the HAProxy write port,
 *  (no Sentinels) the master's published port directly, or a cluster's ioredis Cluster client. */
export type Via = 'sentinel' | 'haproxy' | 'direct' | 'cluster';

export interface Op {
  via: Via;
  key: string;
  /** The value written (read back after healing to resolve an indeterminate write). */
  value: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** The node the connection that answered was attached to (its announced name), when known. */
  node?: string;
  /** Cluster: the shard (1-based) whose slots hold the key. */
  shard?: number;
  error?: string;
}

export type RoleName = 'master' | 'slave' | 'down';

/** One ROLE answer (or its absence) from one node. */
export interface RoleSample {
  t: number;
  node: string;
  role: RoleName;
}

/** One `SENTINEL get-master-addr-by-name` answer; master undefined when it did not answer. */
export interface SentinelViewSample {
  t: number;
  sentinel: string;
  master?: string;
}

export interface SentinelEvent {
  t: number;
  sentinel: string;
  /** +sdown, +odown, +switch-master, +convert-to-slave, +tilt, ... */
  type: string;
  detail: string;
}

/** Which node a NEW connection to the HAProxy write port reached (undefined: refused/failed). */
export interface HaproxyRouteSample {
  t: number;
  node?: string;
  error?: string;
}

export interface Recording {
  /** Start of the recording; every `t` is on the same clock. */
  t0: number;
  faultAt: number;
  healAt?: number;
  end: number;
  nodes: string[];
  ops: Op[];
  roles: RoleSample[];
  sentinelViews: SentinelViewSample[];
  events: SentinelEvent[];
  haproxyRoutes: HaproxyRouteSample[];
}
