// The one place that writes a deployment's files to disk. It records what it wrote in a
// manifest, refuses to write over files it did not create, and deletes only its own files.
import { randomBytes } from 'node:crypto';
import { access, appendFile, chmod, constants, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import {
  nextSecretPath,
  oldSecretPath,
  type Rotations,
  SECRET_NAMES,
  SECRET_PATTERN,
  SECRETS_DIR,
  secretPath,
  type Secrets,
} from '../synth/secrets.js';
import { isExecutable, isSecretFile } from '../synth/synthesize.js';
import { TLS_DIR } from '../synth/tls.js';
import { isClientFile, NODE_HOSTS_FILE, STACK_STAGE_FILE } from '../paths.js';

export const MANIFEST_FILE = '.redis-ha-manifest.json';

interface Manifest {
  generator: 'redis-ha';
  files: string[];
}

export interface WriteResult {
  dir: string;
  written: string[];
  unchanged: string[];
  removed: string[];
}

/** A file's text, or undefined when it does not exist (any other error is thrown). */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

export async function readManifest(dir: string): Promise<string[] | undefined> {
  const text = await readText(join(dir, MANIFEST_FILE));
  if (text === undefined) return undefined;
  const manifest = JSON.parse(text) as Manifest;
  return manifest.files;
}

async function readSecretFile(dir: string, path: string): Promise<string | undefined> {
  const existing = (await readText(join(dir, path)))?.trim();
  if (existing !== undefined && !SECRET_PATTERN.test(existing)) {
    throw new UsageError(
      `${join(dir, path)} does not hold a usable secret (32 or more of A-Z a-z 0-9 _ -)`,
      'delete the file to have a new secret generated at the next render, or write one of that form into it',
    );
  }
  return existing;
}

/** A new strong secret: 256 random bits, URL-safe base64 (43 characters). */
export const newSecret = () => randomBytes(32).toString('base64url');

/**
 * The deployment's secrets: the ones kept in <dir>/secrets/<user>, and a new strong one
 * for each user that has none yet; and the rotations in progress (`secrets/<user>.next`:
 * added, `secrets/<user>.old`: switched; see SecretRotation).
 */
export async function loadOrCreateSecrets(dir: string): Promise<{ secrets: Secrets; created: string[]; rotations: Rotations }> {
  const secrets = {} as Secrets;
  const created: string[] = [];
  const rotations: Rotations = {};
  for (const name of SECRET_NAMES) {
    const existing = await readSecretFile(dir, secretPath(name));
    const next = await readSecretFile(dir, nextSecretPath(name));
    const old = await readSecretFile(dir, oldSecretPath(name));
    if (existing === undefined && (next !== undefined || old !== undefined)) {
      throw new UsageError(
        `${join(dir, secretPath(name))} is missing while a rotation of it is in progress (${next !== undefined ? nextSecretPath(name) : oldSecretPath(name)} is there)`,
        `put the password the deployment uses back into ${secretPath(name)}, or remove the ${SECRETS_DIR}/${name}.* files and render again`,
      );
    }
    if (next !== undefined) {
      // Added, or interrupted while switching (both files there): the old one is .old if
      // the switch had begun, else still secrets/<name>; the switch is redone from the start.
      rotations[name] = { phase: 'added', old: old ?? existing!, new: next };
      secrets[name] = old ?? existing!;
    } else if (old !== undefined) {
      const switchedAt = (await stat(join(dir, oldSecretPath(name)))).mtimeMs;
      rotations[name] = { phase: 'switched', old, new: existing!, switchedAt };
      secrets[name] = existing!;
    } else {
      secrets[name] = existing ?? newSecret();
      if (existing === undefined) created.push(name);
    }
  }
  return { secrets, created, rotations };
}

/**
 * Replaces a secret file's content in the same inode. Compose mounts a file secret as a bind
 * mount of that inode: a file renamed over it would leave every running container reading the
 * old secret until it is re-created, and `rotate-secrets` moves running consumers (healthchecks,
 * HAProxy's reload) to a new secret through that mount. Secrets have one length (43 characters
 * and a newline), so a rotation overwrites them with a single write and no truncation: a reader
 * sees the old or the new content, never an empty file.
 */
async function overwriteInPlace(target: string, content: string, mode: number): Promise<void> {
  const file = await open(target, 'r+');
  try {
    const bytes = Buffer.from(content);
    await file.write(bytes, 0, bytes.length, 0);
    await file.truncate(bytes.length);
    await file.sync();
  } finally {
    await file.close();
  }
  await chmod(target, mode);
}

/**
 * File modes: the container scripts executable, the rest 0644 - secret files (and TLS keys) included.
 * Secret files are private through their directory (secrets/, mode 0700: no other host user
 * can reach them), not their own mode: compose (v1 and v2) bind-mounts file secrets with the
 * host's owner and mode, and the containers run as their own non-root users (redis 999,
 * haproxy 99, exporter 59000), which could not read a file of mode 0600 owned by the host
 * user. Each container mounts only the secrets it reads.
 */
export function modeFor(path: string): number {
  if (isSecretFile(path)) return 0o644;
  return isExecutable(path) ? 0o755 : 0o644;
}

/**
 * Writes one file whole: to a temporary name beside it, then renamed over it, so a reader (or a
 * crash) never sees half a file. The files redis-ha writes go through here (the rendered files,
 * nodes.json, the failover report), but a backup: operations/backup-file.ts links its pair under
 * their final names, never replacing a file that appeared meanwhile.
 */
export async function writeFileAtomic(target: string, content: string, mode = 0o644): Promise<void> {
  const temp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, content, { mode });
    await chmod(temp, mode);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Refuses a report path (--report, --junit) that cannot be written, before a run changes
 * anything: it must not be a directory, and its directory must be one (created if missing, as
 * CI jobs name `reports/x.xml`) that can be written. `flag` names the option in the message.
 */
export async function checkWritable(target: string, flag: string): Promise<void> {
  const st = await stat(target).catch(() => undefined);
  if (st?.isDirectory()) throw new UsageError(`${flag} ${target} is a directory`, `name a file, e.g. ${flag} ${join(target, 'report')}`);
  try {
    await mkdir(dirname(target), { recursive: true });
    await access(st ? target : dirname(target), constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? `${dirname(target)} is not a directory` : (err as Error).message;
    throw new UsageError(`${flag} ${target} cannot be written (${why})`, 'choose a path you can write to');
  }
}

/** Removes a rolling deploy's staged stack file (operations/stack-rollout.ts). */
export async function removeStageFile(dir: string): Promise<void> {
  await rm(join(dir, STACK_STAGE_FILE), { force: true });
}

/** Appends to a file another program owns (GitHub's step summary, GITHUB_ENV). */
export async function appendText(target: string, text: string): Promise<void> {
  await appendFile(target, text);
}

export async function writeDeployment(
  dir: string,
  files: Map<string, string>,
  options: { force?: boolean } = {},
): Promise<WriteResult> {
  const previous = (await readManifest(dir)) ?? [];
  const present = await listFiles(dir);
  // nodes.json is deploy's record of the swarm nodes' engines, beside the rendered files.
  // (A rolling deploy's staged stack file is left only by one that died: not the user's.)
  const foreign = present.filter((f) => f !== MANIFEST_FILE && f !== NODE_HOSTS_FILE && f !== STACK_STAGE_FILE && !previous.includes(f));
  if (foreign.length > 0 && !options.force) {
    const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
    throw new UsageError(
      `refusing to write into ${dir}: it holds files redis-ha did not create (${shown})`,
      'choose another --out directory, or pass --force to write beside them (they are never deleted)',
    );
  }

  const result: WriteResult = { dir, written: [], unchanged: [], removed: [] };
  await mkdir(dir, { recursive: true });
  // secrets/ and tls/ (which holds the keys) are private through their directory mode.
  for (const privateDir of [SECRETS_DIR, TLS_DIR]) {
    if (![...files.keys()].some((f) => f.startsWith(`${privateDir}/`))) continue;
    await mkdir(join(dir, privateDir), { recursive: true, mode: 0o700 });
    await chmod(join(dir, privateDir), 0o700);
  }
  // All at once: each file is a handful of small file system calls, with no order between files
  // (less waiting in a profile of `render`; no change in its wall time on this machine).
  const outcomes = await Promise.all([...files].map(([path, content]) => writeRendered(dir, path, content)));
  [...files.keys()].forEach((path, i) => result[outcomes[i]!].push(path));
  // Files this tool wrote before and no longer generates (e.g. haproxy.cfg after
  // switching from full to sentinel). Only those, never a file it did not write. The client
  // files are deploy's (writeClientFiles): a render leaves them to the next deploy.
  const clients = previous.filter((p) => isClientFile(p) && !files.has(p));
  for (const path of previous) {
    if (!files.has(path) && !isClientFile(path)) {
      await rm(join(dir, path), { force: true });
      result.removed.push(path);
    }
  }
  const manifest: Manifest = { generator: 'redis-ha', files: [...files.keys(), ...clients] };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return result;
}

/** One rendered file, unless it already holds `content` (then only its mode is set). */
async function writeRendered(dir: string, path: string, content: string): Promise<'written' | 'unchanged'> {
  const target = join(dir, path);
  const mode = modeFor(path);
  const existing = await readText(target);
  if (existing === content) {
    await chmod(target, mode);
    return 'unchanged';
  }
  await mkdir(dirname(target), { recursive: true });
  // Passwords in place (see overwriteInPlace); a TLS key is renamed like its certificate, so
  // a running container keeps a matching pair until it is re-created.
  if (path.startsWith(`${SECRETS_DIR}/`) && existing !== undefined) await overwriteInPlace(target, content, mode);
  else await writeFileAtomic(target, content, mode);
  return 'written';
}

/**
 * Only the users' secret files of `files` (`secrets/<user>`, `.next`, `.old`): a rotation's state
 * on swarm, where every other file (the stack file above all, which must keep saying what runs
 * until the rolling deploy replaces it) is left to that deploy's render. A `.next` / `.old` the
 * map no longer holds is removed; the manifest is kept in step.
 */
export async function writeSecretFiles(dir: string, files: Map<string, string>): Promise<void> {
  const paths = new Set(SECRET_NAMES.flatMap((n) => [secretPath(n), nextSecretPath(n), oldSecretPath(n)]));
  const previous = (await readManifest(dir)) ?? [];
  const wanted = [...files.keys()].filter((p) => paths.has(p));
  await mkdir(join(dir, SECRETS_DIR), { recursive: true, mode: 0o700 });
  for (const path of wanted) await writeRendered(dir, path, files.get(path)!);
  const gone = previous.filter((p) => paths.has(p) && !files.has(p));
  for (const path of gone) await rm(join(dir, path), { force: true });
  const manifest: Manifest = { generator: 'redis-ha', files: [...previous.filter((p) => !gone.includes(p)), ...wanted.filter((p) => !previous.includes(p))] };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * deploy's client files (clients/: modules and a dotenv file for an application's tests),
 * written beside the rendered ones and recorded in the manifest, so cleanup removes them.
 * They hold addresses and paths, no secret (the modules read secrets/ when they run).
 */
export async function writeClientFiles(dir: string, files: Map<string, string>): Promise<string[]> {
  const previous = (await readManifest(dir)) ?? [];
  for (const [path, content] of files) {
    if (!isClientFile(path)) throw new Error(`writeClientFiles: ${path} is not under clients/`);
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFileAtomic(join(dir, path), content, 0o644);
  }
  // Client files of an earlier deploy that this one no longer makes (a preset without Sentinels).
  for (const path of previous.filter((p) => isClientFile(p) && !files.has(p))) await rm(join(dir, path), { force: true });
  const manifest: Manifest = { generator: 'redis-ha', files: [...previous.filter((p) => !isClientFile(p)), ...files.keys()] };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return [...files.keys()].map((p) => join(dir, p));
}

/** Removes the files this tool wrote (per the manifest), but `keep`, then any directory left empty. */
export async function removeDeploymentFiles(dir: string, options: { keep?: string[] } = {}): Promise<string[]> {
  const all = await readManifest(dir);
  if (!all) return [];
  const kept = all.filter((f) => options.keep?.includes(f));
  const files = all.filter((f) => !kept.includes(f));
  for (const path of files) await rm(join(dir, path), { force: true });
  // A rolling deploy's record of what ran when it stopped (see deploy.ts) goes with the rest.
  if (!kept.length) await removeStageFile(dir);
  if (kept.length) {
    // What stays is still ours: the next render reuses it instead of refusing a foreign file.
    const manifest: Manifest = { generator: 'redis-ha', files: kept };
    await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  } else {
    await rm(join(dir, MANIFEST_FILE), { force: true });
  }
  // Remove directories bottom-up, only when empty (a file the user put there stays, and so does its directory).
  // Every ancestor, not only each file's own (monitoring/provisioning/datasources/x.yaml leaves
  // monitoring/provisioning and monitoring once they are empty).
  const ancestors = (f: string): string[] => (dirname(f) === '.' ? [] : [dirname(f), ...ancestors(dirname(f))]);
  const dirs = [...new Set(files.flatMap(ancestors))].sort((a, b) => b.length - a.length);
  for (const d of [...dirs, '.']) await rmdir(join(dir, d)).catch(() => undefined);
  return files;
}
