// The write workload of a failover scenario: unique keys at a fixed rate (open loop, so an
// outage shows as failures instead of silently slowing down) through the Sentinel-aware
// client users are told to use, and in `full` through the HAProxy write port.
import { Redis, type RedisOptions } from 'ioredis';
import { keepConnected } from '../probes/sentinel-client.js';
import { type Credentials, DISCONNECT_TIMEOUT_MS, tlsOption } from '../probes/connect.js';
import type { Op, Outcome, Via } from './recording.js';

export type Durability = 'async' | 'wait';

/** WAIT's own timeout; below the client's commandTimeout so a WAIT answers before it times out. */
export const WAIT_TIMEOUT_MS = 500;

export interface WorkloadPath {
  via: Via;
  /** ioredis options for this path (sentinelClientOptions, or the HAProxy write port). */
  options: RedisOptions;
}

/**
 * Errors that prove the write was not applied: refused by the server (READONLY, NOREPLICAS,
 * ...), or never sent (offline queue disabled / closed client). Everything else (timeouts,
 * a connection lost with the command in flight, retries exhausted) may have been applied.
 * `reconnected`: the client reconnected while the write was pending. ioredis then resends a
 * command that was in flight, so a refusal proves only that the last attempt was refused: an
 * earlier one may have been applied (and replicated before the master died).
 */
export function classifyError(err: Error, reconnected = false): Outcome {
  // A reply from the server: the write was refused, unless an earlier send may have landed.
  if (err.name === 'ReplyError') return reconnected ? 'indeterminate' : 'failed';
  // Rejected by the client before anything was sent.
  if (/enableOfflineQueue/.test(err.message)) return 'failed';
  // Timed out, or the connection closed with the command in flight ("Connection is closed.",
  // retries exhausted): the server may have applied it.
  return 'indeterminate';
}

/**
 * A `--durability wait` write from its two replies: `SET` and `WAIT 1` are sent together on one
 * connection, and each reply notes the connection it came on. WAIT counts the replicas that
 * acknowledged what *its own connection* wrote: if the client reconnected between the two
 * replies (ioredis resends a command in flight), the WAIT was answered by a new connection, maybe
 * to another node, and says nothing about the SET. Such a write is not acknowledged: its SET
 * reached some node, whether it survives is unknown (indeterminate).
 */
export function waitOutcome(setConnection: number, waitConnection: number, acked: number): { outcome: Outcome; error?: string } {
  if (setConnection !== waitConnection) {
    return { outcome: 'indeterminate', error: 'SET and WAIT answered on different connections (the client reconnected between them): not acknowledged' };
  }
  if (acked < 1) return { outcome: 'failed', error: 'WAIT: no replica acknowledged' };
  return { outcome: 'ok' };
}

/**
 * Options for the HAProxy write port: a plain client that reconnects fast, as the client module
 * deploy writes does (report/client-modules.ts): while HAProxy has no master to route to it
 * closes each new connection, and the client tries again within 100 ms.
 */
export function haproxyClientOptions(host: string, port: number, auth: Credentials): RedisOptions {
  return {
    host,
    port,
    username: auth.username,
    password: auth.password,
    ...tlsOption(auth),
    connectTimeout: 500,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(50 * times, 100),
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
}

/**
 * Writes `tf:<prefix>:<via>:<seq>` at `rate` per second on every path until stopped or
 * `maxMs` passed (bounded: it always stops by itself). With durability `wait`, a write is
 * acknowledged only when `WAIT 1` says a replica has it; a WAIT answering 0 makes the
 * write `failed` (not acknowledged), though the master may keep it.
 */
export class Workload {
  readonly ops: Op[] = [];
  private readonly clients: { via: Via; redis: Redis; release: () => void; connId: number; nodeOf: Map<number, string> }[] = [];
  private timer?: NodeJS.Timeout;
  private stopTimer?: NodeJS.Timeout;
  private seq = 0;
  private inflight = new Set<Promise<void>>();

  constructor(
    private readonly paths: WorkloadPath[],
    private readonly options: { rate: number; durability: Durability; prefix: string; maxMs: number; now: () => number },
  ) {}

  get counts(): { ok: number; failed: number; indeterminate: number } {
    const c = { ok: 0, failed: 0, indeterminate: 0 };
    for (const o of this.ops) c[o.outcome]++;
    return c;
  }

  async start(): Promise<void> {
    for (const p of this.paths) {
      const redis = new Redis({ ...p.options, lazyConnect: true });
      const release = keepConnected(redis);
      const client = { via: p.via, redis, release, connId: 0, nodeOf: new Map<number, string>() };
      redis.on('error', () => {
        /* recorded per operation */
      });
      // Which node each connection reaches (HAProxy pins a TCP connection to one server).
      redis.on('ready', () => {
        const id = ++client.connId;
        redis
          .config('GET', 'replica-announce-ip')
          .then((r) => client.nodeOf.set(id, String((r as string[])[1] ?? '?')))
          .catch(() => undefined);
      });
      await redis.connect().catch(() => undefined);
      this.clients.push(client);
    }
    const periodMs = 10;
    let due = 0;
    let last = this.options.now();
    this.timer = setInterval(() => {
      const now = this.options.now();
      due += ((now - last) * this.options.rate) / 1000;
      last = now;
      for (; due >= 1; due--) for (const c of this.clients) this.write(c);
    }, periodMs);
    this.stopTimer = setTimeout(() => void this.stop(), this.options.maxMs);
  }

  private write(c: (typeof this.clients)[number]): void {
    const value = String(++this.seq);
    const key = `tf:${this.options.prefix}:${c.via}:${value}`;
    const start = this.options.now();
    const op: Op = { via: c.via, key, value, start, end: start, outcome: 'indeterminate' };
    this.ops.push(op);
    // The connection current when the write was issued ('ready' bumps connId before ioredis
    // resends what was in flight, so a reply on a later connection means it may have been sent twice).
    const sentOn = c.connId;
    const run = async () => {
      try {
        // Both commands written in the same tick, so on the same connection, in order (queued
        // together while offline); each reply notes the connection current when it arrived.
        const set = c.redis.set(key, value).then(() => c.connId);
        if (this.options.durability === 'wait') {
          const wait = c.redis.call('WAIT', '1', String(WAIT_TIMEOUT_MS)).then((acked) => ({ acked: Number(acked), connection: c.connId }));
          // Both settle before judging (one rejected early must not leave the other unobserved).
          const [setReply, waitReply] = await Promise.allSettled([set, wait]);
          if (setReply.status === 'rejected') throw setReply.reason;
          if (waitReply.status === 'rejected') throw waitReply.reason;
          let { connection, acked } = waitReply.value;
          if (connection !== setReply.value && c.connId === setReply.value) {
            // The client reconnected between the two replies and the SET was answered (resent)
            // on the connection current now: WAIT again there. It counts the replicas holding
            // what this connection wrote, the SET included, as an application would ask.
            acked = Number(await c.redis.call('WAIT', '1', String(WAIT_TIMEOUT_MS)));
            connection = c.connId;
          }
          const verdict = waitOutcome(setReply.value, connection, acked);
          op.outcome = verdict.outcome;
          if (verdict.error) op.error = verdict.error;
          return;
        }
        await set;
        op.outcome = 'ok';
      } catch (err) {
        op.outcome = classifyError(err as Error, c.connId !== sentOn);
        op.error = (err as Error).message;
      } finally {
        op.end = this.options.now();
        // Replies arrive on the connection current at that moment.
        const node = c.nodeOf.get(c.connId);
        if (node) op.node = node;
      }
    };
    const p = run().finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Stops issuing writes, waits for the ones in flight, closes the clients. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
    for (const c of this.clients) {
      c.release();
      c.redis.disconnect();
    }
    this.clients.length = 0;
  }
}
