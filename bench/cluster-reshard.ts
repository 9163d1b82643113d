// Issue 19's slot migration figure: a third of 100 000 keys moved under 200 writes/s. The keys
// are written through a cluster client with the printed options (pipelined, 1000 at a time),
// then `redis-ha reshard` moves one third of the slots (half of shard 1's and half of shard 2's,
// so no shard is left empty) to shard 3's master while its measuring client writes 200/s.
import { resolve } from 'node:path';
import { Cluster } from 'ioredis';
import type { ReshardReport } from '../src/commands/reshard.js';
import type { StatusSnapshot } from '../src/health/status.js';
import { readDeployment } from '../src/files/deployment.js';
import { clusterClientOptions, clusterStartupNodes } from '../src/probes/cluster-client.js';
import { cli } from './cli.js';

export const RESHARD_KEYS = 100_000;
export const RESHARD_RATE = 200;
/** One third of 16384 slots: the upper half of shard 1's, the lower half of shard 2's (3 shards). */
export const RESHARD_SLOTS = '2731-8191';

export interface ClusterReshardRun {
  keysLoaded: number;
  slots: number | null;
  keysMoved: number | null;
  movedMs: number | null;
  failed: number | null;
  indeterminate: number | null;
  writeGapMs: number | null;
  longestAckGapMs: number | null;
  slowWrites: number | null;
  error?: string;
}

/** The figures of one `reshard --json` (or why it has none). Pure. */
export function reshardFigures(keysLoaded: number, stdout: string, exitCode: number, stderr = ''): ClusterReshardRun {
  try {
    const r = JSON.parse(stdout) as ReshardReport & { error?: string };
    if (exitCode === 0 && r.slots !== undefined) {
      return {
        keysLoaded,
        slots: r.slots,
        keysMoved: r.keys,
        movedMs: r.movedMs,
        failed: r.writes.failed,
        indeterminate: r.writes.indeterminate,
        writeGapMs: r.writeGapMs,
        longestAckGapMs: r.longestAckGapMs ?? null,
        slowWrites: r.slowWrites ?? null,
      };
    }
  } catch {
    /* below */
  }
  return { keysLoaded, slots: null, keysMoved: null, movedMs: null, failed: null, indeterminate: null, writeGapMs: null, longestAckGapMs: null, slowWrites: null, error: `reshard exited ${exitCode}: ${(stderr.trim() || stdout).slice(-600)}` };
}

/** Writes `count` keys to the deployment `name` (its files under ./.redis-ha). */
async function loadKeys(name: string, count: number): Promise<void> {
  const files = await readDeployment(resolve('.redis-ha', name));
  const client = new Cluster(clusterStartupNodes(files.topology), clusterClientOptions(files.topology, files.admin));
  try {
    for (let i = 0; i < count; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, count - i) }, (_, j) => client.set(`bench:reshard:${i + j}`, 'x'.repeat(32))));
  } finally {
    client.disconnect();
  }
}

/** Loads the keys, then moves a third of the slots to shard 3's master as it serves now. */
export async function reshardThird(name: string): Promise<ClusterReshardRun> {
  await loadKeys(name, RESHARD_KEYS);
  const status = await cli(['status', '--name', name, '--json'], 60_000);
  const to = (JSON.parse(status.stdout) as StatusSnapshot).shards?.[2]?.master;
  if (!to) return reshardFigures(RESHARD_KEYS, '', status.exitCode, `no third shard in status: ${status.stdout.slice(-400)}`);
  const r = await cli(['reshard', '--name', name, '--slots', RESHARD_SLOTS, '--to', to, '--rate', String(RESHARD_RATE), '--json'], 900_000);
  return reshardFigures(RESHARD_KEYS, r.stdout, r.exitCode, r.stderr);
}
