// The write workload on a Redis Cluster: unique keys at a fixed rate (open loop) through an
// ioredis Cluster client made with the options the printed snippet uses (natMap included), so
// the keys spread over every shard's slots; each write is tagged with its key's shard.
import { Cluster, type ClusterOptions } from 'ioredis';
import { sleep } from '../wait.js';
import type { Op } from './recording.js';
import { classifyError, WAIT_TIMEOUT_MS, waitOutcome, type Durability } from './workload.js';

/**
 * A command that gets no reply within this is given up (indeterminate): without it, a write to
 * a paused master would wait forever, and an open-loop workload would pile up.
 */
export const CLUSTER_COMMAND_TIMEOUT_MS = 1000;

/**
 * How long a SET + WAIT pair is sent again after a redirection or CLUSTERDOWN. A plain command
 * ioredis retries itself (maxRedirections 16, 200 ms apart); a pipeline holding a command
 * without a key (WAIT) it does not, so the workload does, within the same budget.
 */
const PAIR_RETRY_MS = 3200;
const PAIR_RETRY_DELAY_MS = 200;

/** Errors that say the write was not applied and the cluster is moving: retry after a slot map refresh. */
export const isRedirection = (err: Error): boolean => /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.test(err.message);

export interface ClusterWorkloadOptions {
  rate: number;
  durability: Durability;
  /** Keys are `<prefix>:<seq>`. */
  prefix: string;
  /** Stops by itself after this. */
  maxMs: number;
  now: () => number;
  /** The shard of a key (its slot's range in the plan). */
  shardOf: (key: string) => number;
  /** Written with this expiry (PX), so keys left behind by a crashed run go away by themselves. */
  ttlMs?: number;
  /** stop() removes every key written (a measuring client on a live deployment leaves nothing). */
  removeOnStop?: boolean;
}

/**
 * Known limit (seen on the engine): with durability `wait`, a shard left without a replica (its
 * master just failed over) makes each WAIT block its node's one connection for WAIT_TIMEOUT_MS,
 * so that shard's writes queue behind one another and time out (indeterminate, most read back
 * as applied) until a replica is back: its write gap then runs to the heal, not to the failover.
 *
 * Writes at `rate` per second until stopped. With durability `wait`, each SET and a `WAIT 1`
 * are sent as one pipeline (one slot, so one node and one connection, in order): the write is
 * acknowledged only when WAIT says a replica of that node has it.
 */
export class ClusterWorkload {
  readonly ops: Op[] = [];
  private cluster?: Cluster;
  private timer?: NodeJS.Timeout;
  private stopTimer?: NodeJS.Timeout;
  private seq = 0;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly startupNodes: { host: string; port: number }[],
    private readonly clusterOptions: ClusterOptions,
    private readonly options: ClusterWorkloadOptions,
  ) {}

  get counts(): { ok: number; failed: number; indeterminate: number } {
    const c = { ok: 0, failed: 0, indeterminate: 0 };
    for (const o of this.ops) c[o.outcome]++;
    return c;
  }

  async start(): Promise<void> {
    const o = this.clusterOptions;
    this.cluster = new Cluster(this.startupNodes, {
      ...o,
      lazyConnect: true,
      redisOptions: { ...o.redisOptions, commandTimeout: CLUSTER_COMMAND_TIMEOUT_MS, connectTimeout: CLUSTER_COMMAND_TIMEOUT_MS },
    });
    this.cluster.on('error', () => {
      /* recorded per operation */
    });
    await this.cluster.connect();
    let due = 0;
    let last = this.options.now();
    this.timer = setInterval(() => {
      const now = this.options.now();
      due += ((now - last) * this.options.rate) / 1000;
      last = now;
      for (; due >= 1; due--) this.write();
    }, 10);
    this.stopTimer = setTimeout(() => void this.stop(), this.options.maxMs);
  }

  private write(): void {
    const cluster = this.cluster!;
    const value = String(++this.seq);
    const key = `${this.options.prefix}:${value}`;
    const start = this.options.now();
    const op: Op = { via: 'cluster', key, value, start, end: start, outcome: 'indeterminate', shard: this.options.shardOf(key) };
    this.ops.push(op);
    const ttl = this.options.ttlMs !== undefined ? (['PX', this.options.ttlMs] as const) : undefined;
    const run = async () => {
      try {
        if (this.options.durability === 'async') {
          await (ttl ? cluster.set(key, value, ...ttl) : cluster.set(key, value));
          op.outcome = 'ok';
          return;
        }
        for (;;) {
          const pipeline = cluster.pipeline();
          if (ttl) pipeline.set(key, value, ...ttl);
          else pipeline.set(key, value);
          const replies = (await pipeline.call('WAIT', '1', String(WAIT_TIMEOUT_MS)).exec()) ?? [];
          const [setErr] = replies[0] ?? [new Error('no reply to SET')];
          const [waitErr, acked] = replies[1] ?? [new Error('no reply to WAIT')];
          if (setErr && isRedirection(setErr) && this.options.now() - start < PAIR_RETRY_MS && this.timer) {
            // Not applied: the slot moved or is down. Ask for the new slot map and send the pair again.
            cluster.refreshSlotsCache();
            await sleep(PAIR_RETRY_DELAY_MS);
            continue;
          }
          if (setErr) throw setErr;
          // The SET was applied, whether a replica has it is unknown.
          if (waitErr) {
            op.outcome = 'indeterminate';
            op.error = `WAIT: ${waitErr.message}`;
            return;
          }
          // One pipeline, one connection: both replies come from the node that applied the SET.
          const verdict = waitOutcome(0, 0, Number(acked));
          op.outcome = verdict.outcome;
          if (verdict.error) op.error = verdict.error;
          return;
        }
      } catch (err) {
        op.outcome = classifyError(err as Error);
        op.error = (err as Error).message;
      } finally {
        op.end = this.options.now();
      }
    };
    const p = run().finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Stops issuing writes, waits for the ones in flight, closes the client. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
    const cluster = this.cluster;
    this.cluster = undefined;
    if (cluster && this.options.removeOnStop) {
      const keys = this.ops.filter((o) => o.outcome !== 'failed').map((o) => o.key);
      for (let i = 0; i < keys.length; i += 500) await Promise.allSettled(keys.slice(i, i + 500).map((k) => cluster.unlink(k)));
    }
    cluster?.disconnect();
  }
}
