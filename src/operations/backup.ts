// Taking a backup: a consistent RDB saved by a replica (BGSAVE forks; a fork of the master
// would pause and double the memory of the node taking writes), copied out through the
// Runtime, checked by the image's own redis-check-rdb, written beside its manifest.
import { basename, join } from 'node:path';
import { FailedError } from '../errors.js';
import { addressOf, type Deployment } from '../deployment.js';
import { probeNodes, type NodeStatus } from '../probes/deployment.js';
import { sleep, waitFor, type Clock } from '../wait.js';
import { redisNodes } from '../model/nodes.js';
import { parseInfo, withConnection, type Credentials, type Endpoint } from '../probes/connect.js';
import { parseKeyspace, totalKeys } from '../probes/keyspace.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { checkRdbInContainer } from './check-rdb.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, publishBackup, sealRdb, stagingDir, type BackupManifest } from './backup-file.js';

export interface BackupSource {
  master: NodeStatus;
  source: NodeStatus;
  /** Why the master itself is the source (no replica linked), if it is. */
  note?: string;
}

/** The master (exactly one, else refuse) and the linked replica furthest along; the master only without one. */
export function chooseSource(nodes: NodeStatus[]): BackupSource {
  const down = nodes.filter((n) => !n.reachable);
  const masters = nodes.filter((n) => n.reachable && n.role === 'master');
  if (masters.length !== 1) {
    throw new FailedError(
      masters.length ? `${masters.length} nodes say they are master (${masters.map((m) => m.service).join(', ')}): no consistent backup now` : `no node answers as master${down.length ? ` (${down.map((n) => `${n.service}: ${n.error}`).join('; ')})` : ''}`,
      'check with `redis-ha status` and back up once it is healthy',
    );
  }
  const master = masters[0]!;
  const replicas = nodes
    .filter((n) => n.reachable && n.role === 'slave' && n.linkUp && n.master === `${master.service}:6379`)
    .sort((a, b) => (b.offset ?? 0) - (a.offset ?? 0));
  if (replicas.length) return { master, source: replicas[0]! };
  const total = nodes.length - 1;
  return {
    master,
    source: master,
    note: total === 0
      ? `no replicas: the snapshot is taken on the master ${master.service} (BGSAVE forks it)`
      : `no replica is linked (${total} configured): the snapshot is taken on the master ${master.service} (BGSAVE forks it)`,
  };
}

interface Persistence {
  inProgress: boolean;
  saves?: number;
  lastSaveTime: number;
  lastStatus: string;
}

const readPersistence = async (endpoint: Endpoint, auth: Credentials): Promise<Persistence> => {
  const info = parseInfo(await withConnection(endpoint, auth, (r) => r.info('persistence'), 5000));
  return {
    inProgress: info.rdb_bgsave_in_progress === '1',
    // rdb_saves since Redis 7.0; before it only the last save's time (seconds) tells a new save.
    saves: info.rdb_saves === undefined ? undefined : Number(info.rdb_saves),
    lastSaveTime: Number(info.rdb_last_save_time ?? 0),
    lastStatus: info.rdb_last_bgsave_status ?? '',
  };
};

const isNewer = (before: Persistence, now: Persistence) =>
  before.saves !== undefined && now.saves !== undefined ? now.saves > before.saves : now.lastSaveTime > before.lastSaveTime;

/**
 * BGSAVE on `endpoint` and wait until that save is on disk. "Already in progress" (a save we
 * did not start, maybe from before the request): wait for it to end, then ask again. SCHEDULE:
 * during an AOF rewrite Redis starts the save right after it instead of refusing.
 */
export async function bgsave(
  endpoint: Endpoint,
  auth: Credentials,
  options: { timeoutMs: number; clock?: Clock; signal?: AbortSignal; node: string },
): Promise<void> {
  const clock = options.clock;
  let before = await readPersistence(endpoint, auth);
  if (before.saves === undefined && before.lastSaveTime >= Math.floor(Date.now() / 1000)) {
    // A second-resolution clock: let it tick, or our save would look like the previous one.
    await sleep(1100);
  }
  const start = async (): Promise<'started' | 'busy'> => {
    try {
      await withConnection(endpoint, auth, (r) => r.call('BGSAVE', 'SCHEDULE'), 5000);
      return 'started';
    } catch (err) {
      if (/already in progress/i.test((err as Error).message)) return 'busy';
      throw new FailedError(`BGSAVE on ${options.node} was refused: ${(err as Error).message}`, 'see the node log: `docker logs` of its container');
    }
  };
  let state = await start();
  await waitFor(
    `BGSAVE on ${options.node} to finish`,
    async () => {
      const now = await readPersistence(endpoint, auth);
      if (state === 'busy') {
        if (now.inProgress) return { verdict: 'waiting', value: undefined, state: 'another save is in progress' };
        before = now;
        state = await start();
        return { verdict: 'waiting', value: undefined, state: 'started after the previous save' };
      }
      if (now.inProgress || !isNewer(before, now)) return { verdict: 'waiting', value: undefined, state: now.inProgress ? 'saving' : 'scheduled' };
      if (now.lastStatus !== 'ok') return { verdict: 'fatal', value: undefined, state: `rdb_last_bgsave_status:${now.lastStatus}` };
      return { verdict: 'done', value: undefined, state: 'saved' };
    },
    { timeoutMs: options.timeoutMs, intervalMs: 100, clock, signal: options.signal },
  ).catch((err: Error) => {
    if (err.name === 'WaitTimeoutError') throw new FailedError(err.message, `see the log of ${options.node} (disk space, permissions of /data)`);
    throw err;
  });
}

/** One node's snapshot, staged on the host: what a manifest says of it. */
export interface NodeSnapshot {
  keyspace: Record<string, number>;
  /** Keys in the file (redis-check-rdb's count). */
  keys: number;
  bytes: number;
  sha256: string;
  redisVersion: string;
  /** The node's replication offset, read before the save. */
  replOffset: number;
  savedAt: string;
  /** The node's own RDB, for `forget`: a node without persistence must not find it after a restart. */
  container: ContainerInfo;
  rdbInContainer: string;
  timings: { saveMs: number; copyMs: number; checkMs: number };
}

/**
 * BGSAVE on `service`, its RDB copied to `staged` on the host (private, fsynced) and checked by
 * the image's own redis-check-rdb. A file it refuses fails (nothing is published).
 */
export async function snapshotNode(
  d: Deployment,
  runtime: Runtime,
  containers: ContainerInfo[],
  service: string,
  staged: string,
  options: { timeoutMs: number; signal?: AbortSignal; clock?: Clock },
): Promise<NodeSnapshot> {
  const t0 = performance.now();
  const t = d.topology;
  const container = containers.find((c) => c.service === service && c.state === 'running');
  if (!container) throw new FailedError(`no running container for ${service}`, `check with \`redis-ha status --name ${t.name}\``);
  const ref = redisNodes(t).find((n) => n.name === service)!;
  const endpoint = { host: addressOf(d, ref.name), port: ref.hostPort };

  const [config, dbfile, serverInfo, replication] = await withConnection(
    endpoint,
    d.auth,
    async (r) => [(await r.config('GET', 'dir')) as string[], (await r.config('GET', 'dbfilename')) as string[], await r.info('server'), await r.info('replication')] as const,
    5000,
  );
  const rdbInContainer = `${config[1] ?? '/data'}/${dbfile[1] ?? 'dump.rdb'}`;
  const repl = parseInfo(replication);
  const replOffset = Number(repl.role === 'master' ? repl.master_repl_offset : (repl.slave_repl_offset ?? repl.master_repl_offset) ?? 0);

  options.signal?.throwIfAborted();
  await bgsave(endpoint, d.auth, { timeoutMs: options.timeoutMs, clock: options.clock, signal: options.signal, node: service });
  const saved = performance.now();
  const savedAt = new Date().toISOString();
  const keyspace = parseKeyspace(await withConnection(endpoint, d.auth, (r) => r.info('keyspace'), 5000));

  options.signal?.throwIfAborted();
  await runtime.copyFrom(container.id, rdbInContainer, staged);
  const { bytes, sha256 } = await sealRdb(staged);
  const copied = performance.now();
  const check = await checkRdbInContainer(runtime, container, staged);
  if (!check.ok) {
    throw new FailedError(`the RDB saved on ${service} fails redis-check-rdb: ${check.problem}; no backup was written`, `see the log of ${service}; try again`);
  }
  return {
    keyspace,
    // The file's own count (redis-check-rdb read every key); INFO above is the node's count
    // at the time, which under writes may already be a few keys further.
    keys: check.keysRead ?? totalKeys(keyspace),
    bytes,
    sha256,
    redisVersion: parseInfo(serverInfo).redis_version ?? 'unknown',
    replOffset,
    savedAt,
    container,
    rdbInContainer,
    timings: { saveMs: Math.round(saved - t0), copyMs: Math.round(copied - saved), checkMs: Math.round(performance.now() - copied) },
  };
}

/** Without persistence a node must come back empty after a restart, not with the snapshot taken on it. */
export async function forgetSnapshot(d: Deployment, runtime: Runtime, snapshot: NodeSnapshot): Promise<void> {
  if (d.topology.redis.persistence !== 'none') return;
  await runtime.exec(snapshot.container.id, ['rm', '-f', snapshot.rdbInContainer]).catch(() => undefined);
}

export interface TakenBackup {
  file: string;
  manifest: BackupManifest;
  note?: string;
  timings: { saveMs: number; copyMs: number; checkMs: number; totalMs: number };
}

/** Everything of `redis-ha backup` after the deployment was located: source, save, copy, check, publish. */
export async function takeBackup(
  d: Deployment,
  runtime: Runtime,
  containers: ContainerInfo[],
  options: { file: string; timeoutMs: number; signal?: AbortSignal; clock?: Clock },
): Promise<TakenBackup> {
  const t0 = performance.now();
  const t = d.topology;
  const { master, source, note } = chooseSource(await probeNodes(d));
  const masterOffset = master.offset ?? 0;
  const sourceOffset = source.offset ?? 0;
  const staging = await stagingDir(options.file);
  try {
    const staged = join(staging.dir, 'dump.rdb');
    const snapshot = await snapshotNode(d, runtime, containers, source.service, staged, options);
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      createdAt: snapshot.savedAt,
      deployment: t.name,
      preset: t.preset,
      persistence: t.redis.persistence,
      source: { node: source.service, role: source === master ? 'master' : 'replica', replOffset: sourceOffset },
      master: { node: master.service, replOffset: masterOffset },
      keyspace: snapshot.keyspace,
      keys: snapshot.keys,
      redisVersion: snapshot.redisVersion,
      rdb: { file: basename(options.file), bytes: snapshot.bytes, sha256: snapshot.sha256 },
    };
    options.signal?.throwIfAborted();
    await publishBackup(staged, manifest, options.file);
    await forgetSnapshot(d, runtime, snapshot);
    return { file: options.file, manifest, note, timings: { ...snapshot.timings, totalMs: Math.round(performance.now() - t0) } };
  } finally {
    await staging.discard();
  }
}
