// A backup is two files: the RDB and `<rdb>.json`, its manifest (what it holds, where and
// when it came from, its sha256). This file writes the pair safely and verifies it.
//
// Writing: both files go to a private temporary directory beside the destination (mode 0700,
// files 0600: the RDB holds the data), are complete and fsynced there, and are then linked
// under their final names (link, not rename: it never replaces a file that appeared
// meanwhile). An interrupted backup never leaves a partial file under the final name; at
// worst an RDB without its manifest, which restore refuses.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdtemp, open, readFile, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

export const MANIFEST_FORMAT = 'redis-ha-backup';
export const MANIFEST_VERSION = 1;

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  /** ISO time the snapshot was finished. */
  createdAt: string;
  deployment: string;
  preset: string;
  persistence: string;
  /** The node the RDB was saved on, and its role then. */
  source: { node: string; role: 'master' | 'replica'; replOffset: number };
  /** The master at the time and its master_repl_offset, read just before the BGSAVE. */
  master: { node: string; replOffset: number };
  /** Keys per database: INFO keyspace of the source right after the save. */
  keyspace: Record<string, number>;
  /** Keys in the file (redis-check-rdb's count), what a restore must show on every node. */
  keys: number;
  redisVersion: string;
  rdb: { file: string; bytes: number; sha256: string };
}

export const manifestPath = (rdbPath: string) => `${rdbPath}.json`;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A private directory beside `finalPath` for the files of one backup; removed by `discard`. */
export async function stagingDir(finalPath: string): Promise<{ dir: string; discard: () => Promise<void> }> {
  const dir = await mkdtemp(join(dirname(finalPath), `.${basename(finalPath)}.partial-`));
  await chmod(dir, 0o700);
  return { dir, discard: () => rm(dir, { recursive: true, force: true }) };
}

export async function writePrivate(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes `stagedRdb` private and durable, and returns its size and sha256. */
export async function sealRdb(stagedRdb: string): Promise<{ bytes: number; sha256: string }> {
  await chmod(stagedRdb, 0o600);
  const handle = await open(stagedRdb, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes: (await stat(stagedRdb)).size, sha256: await sha256File(stagedRdb) };
}

/** Writes the manifest beside the staged RDB, then links both under their final names (RDB first). */
export async function publishBackup(stagedRdb: string, manifest: BackupManifest, finalPath: string): Promise<void> {
  const stagedManifest = manifestPath(stagedRdb);
  await writePrivate(stagedManifest, `${JSON.stringify(manifest, null, 2)}\n`);
  const linked: string[] = [];
  try {
    for (const [from, to] of [
      [stagedRdb, finalPath],
      [stagedManifest, manifestPath(finalPath)],
    ] as const) {
      await link(from, to);
      linked.push(to);
    }
  } catch (err) {
    for (const path of linked) await unlink(path).catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${finalPath} (or its manifest) appeared while the backup ran; nothing was written`, 'choose another --out');
    }
    throw err;
  }
}

/** Reads `FILE.json` and checks FILE against it (size, sha256). Any mismatch: exit 2, naming it. */
export async function verifyBackupFile(rdbPath: string): Promise<BackupManifest> {
  const refuse = (what: string, hint: string) => new UsageError(`backup ${rdbPath} refused: ${what}; nothing was touched`, hint);
  const size = await stat(rdbPath).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
  if (size === undefined) {
    const isDir = await stat(rdbPath).then((s) => s.isDirectory(), () => false);
    throw isDir
      ? refuse('it is a directory (a cluster backup), and this deployment is not a cluster', 'restore a cluster backup into a cluster deployment; here give the .rdb of a `redis-ha backup` of a replicated deployment')
      : refuse('no such file', 'give the path of an .rdb written by `redis-ha backup`');
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath(rdbPath), 'utf8')) as BackupManifest;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw refuse(
      missing ? `its manifest ${manifestPath(rdbPath)} is missing` : `its manifest ${manifestPath(rdbPath)} is not valid JSON`,
      'a backup is the .rdb and the .rdb.json written beside it by `redis-ha backup`; keep them together',
    );
  }
  if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.rdb?.sha256 !== 'string' || typeof manifest.rdb?.bytes !== 'number') {
    throw refuse(`${manifestPath(rdbPath)} is not a redis-ha backup manifest`, 'use the manifest written beside the .rdb by `redis-ha backup`');
  }
  if (manifest.version > MANIFEST_VERSION) {
    throw refuse(`manifest version ${manifest.version} is newer than this redis-ha understands (${MANIFEST_VERSION})`, 'upgrade redis-ha');
  }
  await checkRdbFile(rdbPath, size, manifest.rdb, refuse);
  return manifest;
}

/**
 * The RDB at `path` (of `size` bytes) against what its manifest says of it; `refuse` builds the
 * error, `name` says which file in it (default: "the file").
 */
export async function checkRdbFile(
  path: string,
  size: number,
  rdb: { bytes: number; sha256: string },
  refuse: (what: string, hint: string) => Error,
  name?: string,
): Promise<void> {
  if (size !== rdb.bytes) {
    throw refuse(
      `${name ?? 'the file'} has ${size} bytes, its manifest says ${rdb.bytes} (${size < rdb.bytes ? 'truncated' : 'grown'})`,
      'copy the backup again from where it was kept',
    );
  }
  const sha = await sha256File(path);
  if (sha !== rdb.sha256) {
    throw refuse(`${name ? `the sha256 of ${name}` : 'its sha256'} ${sha.slice(0, 16)}... differs from the manifest's ${rdb.sha256.slice(0, 16)}... (the file is corrupt or was changed)`, 'copy the backup again from where it was kept');
  }
}
