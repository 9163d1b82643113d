// What a node holds, as numbers that can be compared across nodes: keys per database
// (INFO keyspace) and a digest of every key with its type and value.
//
// Not DEBUG DIGEST (Redis 7 refuses DEBUG unless enable-debug-command, which redis-ha does not
// allow), and not failover/verify.ts's readKeyspace (MGET: strings only, so a changed hash or
// list would not show). Values are read in an order-free form (sets and hashes sorted), because
// two nodes holding the same set may iterate it differently.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseInfo, withConnection, type Endpoint } from './connect.js';

/** `db0:keys=12,expires=0,avg_ttl=0` lines -> { db0: 12 }. */
export function parseKeyspace(infoText: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [db, value] of Object.entries(parseInfo(infoText))) {
    const keys = /^db\d+$/.test(db) ? value.match(/(?:^|,)keys=(\d+)/)?.[1] : undefined;
    if (keys !== undefined) out[db] = Number(keys);
  }
  return out;
}

export const totalKeys = (keyspace: Record<string, number>) => Object.values(keyspace).reduce((a, b) => a + b, 0);

export async function readKeyspaceCounts(endpoint: Endpoint, password: string): Promise<Record<string, number>> {
  return parseKeyspace(await withConnection(endpoint, password, (r) => r.info('keyspace'), 5000));
}

export interface KeyspaceDigest {
  keys: number;
  keyspace: Record<string, number>;
  /** sha256 over every db, key, type and value (sorted), first 16 hex digits. */
  digest: string;
}

const BATCH = 500;

/** Reads one batch of keys' types and values in two pipelined round trips. */
async function digestBatch(r: Redis, keys: string[], hash: ReturnType<typeof createHash>): Promise<void> {
  const types = ((await r.pipeline(keys.map((k) => ['type', k])).exec()) ?? []).map(([, t]) => String(t));
  const reads = keys.map((k, i): [string, ...string[]] => {
    switch (types[i]) {
      case 'string':
        return ['getBuffer', k];
      case 'hash':
        return ['hgetallBuffer', k];
      case 'list':
        return ['lrangeBuffer', k, '0', '-1'];
      case 'set':
        return ['smembersBuffer', k];
      case 'zset':
        return ['zrangeBuffer', k, '0', '-1', 'WITHSCORES'];
      case 'stream':
        return ['xrangeBuffer', k, '-', '+'];
      default:
        // none (expired or deleted meanwhile), or a module type: the type alone is hashed.
        return ['exists', k];
    }
  });
  const pipeline = r.pipeline();
  for (const [cmd, ...args] of reads) (pipeline as unknown as Record<string, (...a: string[]) => unknown>)[cmd]!(...args);
  const values = (await pipeline.exec()) ?? [];
  keys.forEach((k, i) => {
    const [err, value] = values[i] ?? [];
    hash.update(`${k.length}:${k}|${types[i]}|`);
    hash.update(err ? `error ${(err as Error).message}` : canonical(types[i]!, value));
    hash.update('\n');
  });
}

/** A value in a form that does not depend on how a node iterates it. */
function canonical(type: string, value: unknown): string {
  const str = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : JSON.stringify(v));
  if (type === 'hash' && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(([f, v]) => `${Buffer.from(f).toString('base64')}=${str(v)}`)
      .sort()
      .join(',');
  }
  if (type === 'set' && Array.isArray(value)) return value.map(str).sort().join(',');
  if (Array.isArray(value)) return JSON.stringify(value.map((v) => (Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.map(str) : str(x))) : str(v))));
  return str(value);
}

/** Every key of every database of one node, with a digest. Meant for a quiet node (after a restore). */
export async function digestKeyspace(endpoint: Endpoint, password: string, timeoutMs = 30_000): Promise<KeyspaceDigest> {
  return withConnection(
    endpoint,
    password,
    async (r) => {
      const keyspace = parseKeyspace(await r.info('keyspace'));
      const hash = createHash('sha256');
      let keys = 0;
      for (const db of Object.keys(keyspace).sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))) {
        await r.select(Number(db.slice(2)));
        const all: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await r.scan(cursor, 'COUNT', 2000);
          cursor = next;
          all.push(...batch);
        } while (cursor !== '0');
        // SCAN may return a key twice; sort for an order every node agrees on.
        const unique = [...new Set(all)].sort();
        hash.update(`#${db}\n`);
        for (let i = 0; i < unique.length; i += BATCH) await digestBatch(r, unique.slice(i, i + BATCH), hash);
        keys += unique.length;
      }
      return { keys, keyspace, digest: hash.digest('hex').slice(0, 16) };
    },
    timeoutMs,
  );
}
