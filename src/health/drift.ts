// Drift: does every live process run the settings redis-ha renders? What each Redis node,
// Sentinel and HAProxy must say (pure, from the topology), compared with what they say.
// Redis: the settings with a topology field plus the fixed tuning of redis.conf (CONFIG GET
// forms). extraConfig lines are not compared: their CONFIG GET form varies per directive.
import type { Topology } from '../model/schema.js';
import type { DriftProbe } from '../probes/drift.js';
import { haproxyConfigHash } from '../synth/configs.js';

export interface DriftEntry {
  /** The service (redis-2, sentinel-1, haproxy). */
  service: string;
  setting: string;
  live: string;
  rendered: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** A Redis memory size ("256mb", 0) in bytes, as CONFIG GET reports it. */
export function memoryBytes(size: string | number): string {
  const m = String(size).toLowerCase().match(/^(\d+)([a-z]*)$/);
  if (!m || UNITS[m[2]!] === undefined) throw new Error(`not a memory size: ${size}`);
  return String(Number(m[1]) * UNITS[m[2]!]!);
}

/** The redis.conf settings redis-ha renders, as CONFIG GET returns them (keep in step with templates/redis.conf.hbs). */
export function renderedRedisSettings(t: Topology): Record<string, string> {
  const r = t.redis;
  return {
    'maxmemory': memoryBytes(r.maxmemory),
    'maxmemory-policy': r.maxmemoryPolicy,
    'appendonly': r.persistence === 'aof' ? 'yes' : 'no',
    'save': r.persistence === 'rdb' ? '3600 1 300 100 60 10000' : '',
    ...(r.persistence === 'aof' ? { appendfsync: 'everysec' } : {}),
    'min-replicas-to-write': String(r.minReplicasToWrite),
    ...(r.minReplicasToWrite ? { 'min-replicas-max-lag': String(r.minReplicasMaxLag) } : {}),
    'repl-diskless-sync': 'yes',
    'repl-diskless-sync-delay': '0',
    'repl-backlog-size': memoryBytes('16mb'),
    ...(t.cluster.enabled ? { 'cluster-node-timeout': String(t.cluster.nodeTimeoutMs) } : {}),
  };
}

/** The settings a Sentinel reports in SENTINEL MASTER, as rendered (and as SENTINEL SET takes them). */
export function renderedSentinelSettings(t: Topology): Record<string, string> {
  return {
    'quorum': String(t.sentinel.quorum),
    'down-after-milliseconds': String(t.sentinel.downAfterMs),
    'failover-timeout': String(t.sentinel.failoverTimeoutMs),
    'parallel-syncs': String(t.sentinel.parallelSyncs),
  };
}

/** Every live setting that differs from the rendered one. Nodes that did not answer are left to the other checks. */
export function findDrift(t: Topology, p: DriftProbe): DriftEntry[] {
  const out: DriftEntry[] = [];
  const compare = (service: string, rendered: Record<string, string>, live: Record<string, string>) => {
    for (const [setting, value] of Object.entries(rendered)) {
      if (live[setting] !== undefined && live[setting] !== value) out.push({ service, setting, live: live[setting]!, rendered: value });
    }
  };
  const redis = renderedRedisSettings(t);
  for (const n of p.nodes) if (n.settings) compare(n.service, redis, n.settings);
  const sentinel = renderedSentinelSettings(t);
  for (const s of p.sentinels) if (s.settings) compare(s.service, sentinel, s.settings);
  if (p.haproxy) {
    const rendered = haproxyConfigHash(t);
    const live = p.haproxy.configHash ?? `none (${p.haproxy.error ?? 'no answer'})`;
    if (p.haproxy.configHash !== undefined || p.haproxy.error?.startsWith('HTTP')) {
      if (live !== rendered) out.push({ service: 'haproxy', setting: 'config hash', live, rendered });
    }
  }
  return out;
}

export const formatDrift = (d: DriftEntry) => `${d.service} ${d.setting} ${d.live === '' ? '""' : d.live} (rendered ${d.rendered === '' ? '""' : d.rendered})`;
