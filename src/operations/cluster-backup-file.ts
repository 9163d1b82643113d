// A cluster backup is a directory: one RDB per shard (`shard-<n>.rdb`) and `manifest.json`,
// which names each shard's slot ranges, its nodes (ids), the node the RDB was saved on, its key
// count, size and sha256. This file writes the directory safely, verifies it, and matches its
// shards to a deployment's (pure).
//
// Writing: the files are complete and fsynced in a private staging directory (stagingDir), then
// the final directory is created (mkdir: never one that appeared meanwhile) and the files are
// linked into it, the manifest last. An interrupted backup leaves at worst a directory without
// its manifest, which restore refuses.
import { link, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { CLUSTER_SLOTS, formatSlotRanges } from '../model/cluster.js';
import { checkRdbFile, writePrivate } from './backup-file.js';

export const CLUSTER_MANIFEST_FORMAT = 'redis-ha-cluster-backup';
export const CLUSTER_MANIFEST_VERSION = 1;
/** The manifest's name inside a cluster backup directory. */
export const CLUSTER_MANIFEST = 'manifest.json';
export const shardFileName = (shard: number) => `shard-${shard}.rdb`;

export interface ShardBackup {
  /** 1-based, in slot order. */
  shard: number;
  /** The slot ranges the shard served, inclusive ([[0, 5460]]). */
  slots: [number, number][];
  /** The shard's master then, with its cluster node id and master_repl_offset before the save. */
  master: { node: string; id: string; replOffset: number };
  /** The shard's replicas then (node ids). */
  replicas: { node: string; id: string }[];
  /** The node the RDB was saved on (a replica unless the shard had none linked). */
  source: { node: string; id: string; role: 'master' | 'replica'; replOffset: number };
  /** When this shard's save was done (shards are saved together, not at one instant). */
  savedAt: string;
  /** INFO keyspace of the source right after its save. */
  keyspace: Record<string, number>;
  /** Keys in the file (redis-check-rdb's count): what the shard's nodes hold after a restore. */
  keys: number;
  rdb: { file: string; bytes: number; sha256: string };
}

export interface ClusterBackupManifest {
  format: typeof CLUSTER_MANIFEST_FORMAT;
  version: number;
  /** ISO time the last shard's snapshot was done. */
  createdAt: string;
  deployment: string;
  preset: string;
  persistence: string;
  redisVersion: string;
  /** Keys of every shard together. */
  keys: number;
  shards: ShardBackup[];
}

/** The manifest of a cluster backup given as its directory or as its manifest. */
export const clusterManifestPath = (path: string) => (path.endsWith('.json') ? path : join(path, CLUSTER_MANIFEST));

/** Links the staged shard RDBs and the manifest into the new directory `finalDir` (manifest last). */
export async function publishClusterBackup(stagingDir: string, manifest: ClusterBackupManifest, finalDir: string): Promise<void> {
  await writePrivate(join(stagingDir, CLUSTER_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    await mkdir(finalDir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${finalDir} appeared while the backup ran; nothing was written`, 'choose another --out');
    throw err;
  }
  try {
    for (const name of [...manifest.shards.map((s) => s.rdb.file), CLUSTER_MANIFEST]) await link(join(stagingDir, name), join(finalDir, name));
  } catch (err) {
    await rm(finalDir, { recursive: true, force: true });
    throw err;
  }
}

/** What is wrong with a manifest's shards as a cluster layout (every slot exactly once). */
export function slotCoverageProblems(shards: Pick<ShardBackup, 'shard' | 'slots'>[]): string[] {
  const owner = new Array<number | undefined>(CLUSTER_SLOTS);
  const problems: string[] = [];
  for (const s of shards) {
    for (const [a, b] of s.slots) {
      if (!(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b && b < CLUSTER_SLOTS)) {
        problems.push(`shard ${s.shard} has the slot range ${a}-${b}`);
        continue;
      }
      for (let slot = a; slot <= b; slot++) {
        if (owner[slot] !== undefined) {
          problems.push(`slot ${slot} is in shard ${owner[slot]} and shard ${s.shard}`);
          return problems;
        }
        owner[slot] = s.shard;
      }
    }
  }
  const missing = owner.findIndex((o) => o === undefined);
  if (missing >= 0) problems.push(`slot ${missing} is in no shard`);
  return problems;
}

/**
 * Reads a cluster backup (its directory, or its manifest.json) and checks every shard's RDB
 * against the manifest (present, size, sha256). Any problem: exit 2, naming it.
 */
export async function verifyClusterBackup(path: string): Promise<{ dir: string; manifest: ClusterBackupManifest }> {
  const manifestFile = clusterManifestPath(path);
  const dir = join(manifestFile, '..');
  const refuse = (what: string, hint: string) => new UsageError(`cluster backup ${dir} refused: ${what}; nothing was touched`, hint);
  const isFile = await stat(path).then(
    (s) => s.isFile(),
    () => undefined,
  );
  if (isFile === undefined) throw refuse('no such directory', 'give the directory written by `redis-ha backup` of a cluster');
  if (isFile && !path.endsWith('.json')) {
    throw refuse(`${path} is a file: a backup of a replicated deployment, not of a cluster`, 'a cluster restores from the directory `redis-ha backup` writes for a cluster (shard-<n>.rdb and manifest.json)');
  }
  let manifest: ClusterBackupManifest;
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as ClusterBackupManifest;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw refuse(
      missing ? `its manifest ${manifestFile} is missing (an interrupted backup?)` : `its manifest ${manifestFile} is not valid JSON`,
      'a cluster backup is the directory written by `redis-ha backup`, with every file in it',
    );
  }
  if (manifest?.format !== CLUSTER_MANIFEST_FORMAT || !Array.isArray(manifest.shards) || !manifest.shards.length) {
    throw refuse(`${manifestFile} is not a redis-ha cluster backup manifest`, 'use the directory written by `redis-ha backup` of a cluster');
  }
  if (manifest.version > CLUSTER_MANIFEST_VERSION) {
    throw refuse(`manifest version ${manifest.version} is newer than this redis-ha understands (${CLUSTER_MANIFEST_VERSION})`, 'upgrade redis-ha');
  }
  const layout = slotCoverageProblems(manifest.shards);
  if (layout.length) throw refuse(`its shards do not cover the slots once each (${layout.join('; ')})`, 'the manifest was changed; copy the backup again from where it was kept');
  for (const s of manifest.shards) {
    if (typeof s.rdb?.file !== 'string' || s.rdb.file.includes('/') || typeof s.rdb.bytes !== 'number' || typeof s.rdb.sha256 !== 'string') {
      throw refuse(`shard ${s.shard}'s file entry in ${manifestFile} is not valid`, 'the manifest was changed; copy the backup again from where it was kept');
    }
    const file = join(dir, s.rdb.file);
    const size = await stat(file).then(
      (x) => (x.isFile() ? x.size : undefined),
      () => undefined,
    );
    if (size === undefined) throw refuse(`${s.rdb.file} (shard ${s.shard}) is missing`, 'copy the whole backup directory again from where it was kept');
    await checkRdbFile(file, size, s.rdb, refuse, `${s.rdb.file} (shard ${s.shard})`);
  }
  return { dir, manifest };
}

/** One shard of a deployment as it serves now (or as planned, for a new deployment). */
export interface LiveShard {
  slots: [number, number][];
  master: string;
  replicas: string[];
}

/**
 * Each backup shard's live shard: the one serving exactly the same slot ranges. What differs,
 * one line each, when some do not match (a restore then would put keys on nodes that do not
 * serve their slots).
 */
export function matchShards(backup: Pick<ShardBackup, 'shard' | 'slots'>[], live: LiveShard[]): { pairs: { backup: number; live: LiveShard }[]; differences: string[] } {
  const key = (slots: [number, number][]) => formatSlotRanges(slots);
  const byKey = new Map(live.map((s) => [key(s.slots), s]));
  const pairs: { backup: number; live: LiveShard }[] = [];
  const differences: string[] = [];
  if (backup.length !== live.length) differences.push(`the backup has ${backup.length} shards, the deployment ${live.length}`);
  for (const b of backup) {
    const l = byKey.get(key(b.slots));
    if (l) pairs.push({ backup: b.shard, live: l });
    else differences.push(`backup shard ${b.shard} (slots ${key(b.slots)}) matches no shard of the deployment`);
  }
  const matched = new Set(pairs.map((p) => p.live));
  for (const l of live.filter((x) => !matched.has(x))) differences.push(`the deployment's shard of ${l.master} (slots ${key(l.slots)}) is in no backup shard`);
  return { pairs, differences };
}
