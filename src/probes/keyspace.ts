// What a node holds, as numbers that can be compared across nodes: keys per database
// (INFO keyspace) and a digest of every key with its type and value.
//
// Not DEBUG DIGEST (Redis 7 refuses DEBUG unless enable-debug-command, which redis-ha does not
// allow), and not failover/verify.ts's readKeyspace (MGET: strings only, so a changed hash or
// list would not show). Values are read in an order-free form (sets and hashes sorted), because
// two nodes holding the same set may iterate it differently.
import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { parseInfo, withConnection, type Credentials, type Endpoint } from './connect.js';

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

export async function readKeyspaceCounts(endpoint: Endpoint, auth: Credentials): Promise<Record<string, number>> {
  return parseKeyspace(await withConnection(endpoint, auth, (r) => r.info('keyspace'), 5000));
}

export interface KeyspaceDigest {
  /** Keys of the six core types (a module's type is not read: it would be missing here). */
  keys: number;
  keyspace: Record<string, number>;
  /** sha256 over every db, key, type and value (sorted), first 16 hex digits. */
  digest: string;
}

const BATCH = 1000;

/** How each type is read whole (SCAN ... TYPE finds the keys of one type: no TYPE per key). */
const READERS: [type: string, read: (p: ChainableCommander, key: string) => unknown][] = [
  ['string', (p, k) => p.getBuffer(k)],
  ['hash', (p, k) => p.hgetallBuffer(k)],
  ['list', (p, k) => p.lrangeBuffer(k, 0, -1)],
  ['set', (p, k) => p.smembersBuffer(k)],
  ['zset', (p, k) => p.zrangeBuffer(k, '0', '-1', 'WITHSCORES')],
  ['stream', (p, k) => p.xrangeBuffer(k, '-', '+')],
];

async function scanKeys(r: Redis, type: string): Promise<string[]> {
  const all: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'COUNT', 2000, 'TYPE', type);
    cursor = next;
    all.push(...batch);
  } while (cursor !== '0');
  // SCAN may return a key twice; sorted, every node hashes in the same order.
  return [...new Set(all)].sort();
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

/**
 * Every key of every database of one node, with a digest. Meant for a quiet node (after a
 * restore). `clusterReplica`: READONLY first, or a cluster replica answers every read with MOVED.
 */
export async function digestKeyspace(endpoint: Endpoint, auth: Credentials, timeoutMs = 30_000, options: { clusterReplica?: boolean } = {}): Promise<KeyspaceDigest> {
  return withConnection(
    endpoint,
    auth,
    async (r) => {
      if (options.clusterReplica) await r.call('READONLY');
      const keyspace = parseKeyspace(await r.info('keyspace'));
      const hash = createHash('sha256');
      let keys = 0;
      for (const db of Object.keys(keyspace).sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))) {
        await r.select(Number(db.slice(2)));
        hash.update(`#${db}\n`);
        for (const [type, read] of READERS) {
          const names = await scanKeys(r, type);
          hash.update(`#${type} ${names.length}\n`);
          for (let i = 0; i < names.length; i += BATCH) {
            const chunk = names.slice(i, i + BATCH);
            const p = r.pipeline();
            for (const k of chunk) read(p, k);
            const values = (await p.exec()) ?? [];
            chunk.forEach((k, j) => {
              const [err, value] = values[j] ?? [];
              hash.update(`${k.length}:${k}|${err ? `error ${(err as Error).message}` : canonical(type, value)}\n`);
            });
          }
          keys += names.length;
        }
      }
      return { keys, keyspace, digest: hash.digest('hex').slice(0, 16) };
    },
    timeoutMs,
  );
}
