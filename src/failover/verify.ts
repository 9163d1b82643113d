// After a scenario healed: what each node holds (keys of the scenario, and a digest of
// keys and values), which acknowledged writes the master lacks, and replication sync counters.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type Credentials, parseInfo, withConnection, type Endpoint } from '../probes/connect.js';

/**
 * A node of a Redis Cluster serves only its own slots, one slot per multi-key command: `cluster`
 * reads a replica's own data (READONLY) and sends one command per key, pipelined.
 */
export interface NodeReadOptions {
  cluster?: boolean;
}

async function values(r: Redis, keys: string[], o: NodeReadOptions): Promise<(string | null)[]> {
  if (!o.cluster) return r.mget(...keys);
  const pipeline = r.pipeline();
  for (const k of keys) pipeline.get(k);
  return ((await pipeline.exec()) ?? []).map(([err, v]) => {
    if (err) throw err;
    return (v as string | null) ?? null;
  });
}

export interface NodeKeyspace {
  node: string;
  keys: number;
  digest: string;
  dbsize: number;
  error?: string;
}

/** Keys matching `pattern` with their values, and a digest over them (sorted). */
export async function readKeyspace(
  node: string,
  endpoint: Endpoint,
  auth: Credentials,
  pattern: string,
  o: NodeReadOptions = {},
): Promise<{ space: NodeKeyspace; keys: Set<string> }> {
  try {
    return await withConnection(
      endpoint,
      auth,
      async (r) => {
        if (o.cluster) await r.call('READONLY');
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
          cursor = next;
          keys.push(...batch);
        } while (cursor !== '0');
        keys.sort();
        const hash = createHash('sha1');
        for (let i = 0; i < keys.length; i += 1000) {
          const chunk = keys.slice(i, i + 1000);
          const held = await values(r, chunk, o);
          chunk.forEach((k, j) => hash.update(`${k}=${held[j] ?? ''}\n`));
        }
        const dbsize = await r.dbsize();
        return { space: { node, keys: keys.length, digest: hash.digest('hex').slice(0, 12), dbsize }, keys: new Set(keys) };
      },
      10_000,
    );
  } catch (err) {
    return { space: { node, keys: 0, digest: '', dbsize: 0, error: (err as Error).message }, keys: new Set() };
  }
}

/** The value of each key on one node (null: absent), for reading indeterminate writes back. */
export async function readValues(endpoint: Endpoint, auth: Credentials, keys: string[], o: NodeReadOptions = {}): Promise<Map<string, string | null>> {
  return withConnection(
    endpoint,
    auth,
    async (r) => {
      const out = new Map<string, string | null>();
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const held = await values(r, chunk, o);
        chunk.forEach((k, j) => out.set(k, held[j] ?? null));
      }
      return out;
    },
    10_000,
  );
}

/** Removes the scenario's keys (on the master; replicas follow). */
export async function deleteKeys(endpoint: Endpoint, auth: Credentials, keys: Iterable<string>, o: NodeReadOptions = {}): Promise<void> {
  const all = [...keys];
  await withConnection(
    endpoint,
    auth,
    async (r) => {
      for (let i = 0; i < all.length; i += 1000) {
        const chunk = all.slice(i, i + 1000);
        if (!o.cluster) await r.unlink(...chunk);
        else await chunk.reduce((p, k) => p.unlink(k), r.pipeline()).exec();
      }
    },
    10_000,
  );
}

export interface SyncCounters {
  full: number;
  partial: number;
  /** Seconds the node has been up: a restart resets the counters. */
  uptime: number;
}

export async function readSyncCounters(endpoint: Endpoint, auth: Credentials): Promise<SyncCounters | undefined> {
  try {
    const info = parseInfo(await withConnection(endpoint, auth, (r) => r.info()));
    return { full: Number(info.sync_full ?? 0), partial: Number(info.sync_partial_ok ?? 0), uptime: Number(info.uptime_in_seconds ?? 0) };
  } catch {
    return undefined;
  }
}

/**
 * The strongest resync the masters served between two readings of every node: `full` if
 * any node served a full sync, else `partial`, else `none`. A node restarted in between
 * (uptime went down) counts from zero.
 */
export function resyncKind(
  before: Map<string, SyncCounters | undefined>,
  after: Map<string, SyncCounters | undefined>,
): 'full' | 'partial' | 'none' {
  let full = 0;
  let partial = 0;
  for (const [node, a] of after) {
    if (!a) continue;
    const b = before.get(node);
    const restarted = !b || a.uptime < b.uptime;
    full += restarted ? a.full : Math.max(0, a.full - b.full);
    partial += restarted ? a.partial : Math.max(0, a.partial - b.partial);
  }
  return full > 0 ? 'full' : partial > 0 ? 'partial' : 'none';
}
