// The live settings drift is judged on: CONFIG GET on each node, SENTINEL MASTER on each
// Sentinel, and the hash of the config the running HAProxy loaded (it serves it on the stats
// port). What they say, no verdict: health/drift.ts compares.
import type { Deployment } from '../deployment.js';
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import { pairsToRecord, withConnection, type Credentials } from './connect.js';
import { fetchText } from './http.js';

export interface DriftProbe {
  /** settings: undefined when the node did not answer. */
  nodes: { service: string; settings?: Record<string, string> }[];
  sentinels: { service: string; settings?: Record<string, string> }[];
  /** configHash: what HAProxy serves; error: an HTTP status ("HTTP 404": it serves none) or why it was not reached. */
  haproxy?: { configHash?: string; error?: string };
}

export const HAPROXY_CONFIG_HASH_PATH = '/redis-ha/config-hash';

/** `names`: the redis.conf settings to read on every node. */
export async function probeDrift(d: Deployment, names: string[]): Promise<DriftProbe> {
  const t = d.topology;
  const nodes = Promise.all(
    redisNodes(t).map(async (n) => {
      try {
        const settings = await withConnection({ host: d.host, port: n.hostPort }, d.auth, async (r) => {
          // One name per CONFIG GET: Redis before 7 takes a single pattern.
          const replies = await Promise.all(names.map((name) => r.config('GET', name) as Promise<string[]>));
          return Object.fromEntries(replies.flatMap((reply) => (reply.length >= 2 ? [[reply[0]!, reply[1]!]] : [])));
        });
        return { service: n.name, settings };
      } catch {
        return { service: n.name };
      }
    }),
  );
  const sentinels = Promise.all(
    sentinelNodes(t).map(async (s) => {
      try {
        const master = await withConnection({ host: d.host, port: s.hostPort }, d.auth, async (r) =>
          pairsToRecord(await r.call('SENTINEL', 'MASTER', t.sentinel.masterName)),
        );
        return { service: s.name, settings: master };
      } catch {
        return { service: s.name };
      }
    }),
  );
  const haproxy = t.haproxy.enabled ? probeHaproxyConfigHash(d.host, t.haproxy.statsPort, d.stats) : undefined;
  return { nodes: await nodes, sentinels: await sentinels, haproxy: await haproxy };
}

export async function probeHaproxyConfigHash(host: string, statsPort: number, login?: Credentials): Promise<{ configHash?: string; error?: string }> {
  try {
    return { configHash: (await fetchText(`http://${host}:${statsPort}${HAPROXY_CONFIG_HASH_PATH}`, 2000, login)).trim() };
  } catch (err) {
    const status = (err as Error).message.match(/answered (HTTP \d+)/)?.[1];
    return { error: status ?? (err as Error).message };
  }
}
