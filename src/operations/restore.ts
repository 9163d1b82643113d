// Restoring a backup into a running deployment: every node ends up with the backup's keys
// and the same digest, and no second master appears on the way. On compose and on swarm alike.
//
// Order, and why:
// 1. Check the file with the deployment's own redis-check-rdb (in one of its containers):
//    nothing is touched before the file is known good.
// 2. Stop the Sentinels. Stopped Sentinels cannot fail over while the nodes are down, keep
//    their state as it was (current master, epoch, peers) with no setting to put back
//    afterwards, and a half-done restore leaves them stopped rather than reconfigured.
//    Clients asking a Sentinel, and HAProxy's write check (which needs the Sentinels), get no
//    master meanwhile: writes fail instead of reaching a node about to be replaced.
// 3. On every node, turn persistence off in memory and remove its data files; stop the
//    replicas. A node without persistence writes nothing when it stops (no RDB on SIGTERM), and
//    with no replica left nothing asks the master for a sync (a BGSAVE to disk), so old data
//    cannot come back.
// 4. Put the RDB into the master's data directory (its volume) while it still runs, owned by
//    the container's user (the containers run as a non-root user); then stop the master.
//    With AOF, as the base of a fresh AOF directory (Redis 7 multi-part AOF: a manifest naming
//    one base file, which may be an RDB). With `appendonly yes` Redis loads only the AOF and
//    ignores dump.rdb: an RDB next to no AOF would start an EMPTY master (redis/redis#12484).
//    Before Redis 7, an AOF that is a bare RDB preamble works the same way.
// 5. Start the master (it keeps its role: no Sentinel answers, so redis-start.sh keeps the
//    last one), wait until it has loaded the backup's key count; then the replicas, which
//    find no data of their own and full-sync; then the Sentinels; wait until healthy.
// 6. Every node's keyspace digest must match the master's, and its key count the backup's.
//
// Stopping and starting is the runtime's hold (holds.ts): on compose a container stop / start;
// on swarm, where Swarm would replace a stopped task at once on its old data, the service is
// scaled to 0 and back (its task comes back on the same node, with the same volume).
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedError, UsageError } from '../errors.js';
import { addressOf, type Deployment } from '../deployment.js';
import { checkReplication } from '../health/status.js';
import { probeNodes } from '../probes/deployment.js';
import { waitFor, type Clock } from '../wait.js';
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import { parseInfo, withConnection, type Credentials, type Endpoint } from '../probes/connect.js';
import { digestKeyspace, parseKeyspace, readKeyspaceCounts, totalKeys, type KeyspaceDigest } from '../probes/keyspace.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';
import { checkRdbInContainer } from './check-rdb.js';
import { dataOwner } from './data-owner.js';
import type { BackupManifest } from './backup-file.js';
import { waitHealthy } from '../health/wait-healthy.js';
import { holdsFor } from './holds.js';
import type { Topology } from '../model/schema.js';

/** What a restore would replace: read-only, for the refusal without --yes and for the restore. */
export interface RestorePlan {
  deployment: string;
  master?: string;
  nodes: { service: string; role?: string; keys?: number; error?: string }[];
  sentinels: string[];
}

export async function planRestore(d: Deployment): Promise<RestorePlan> {
  const nodes = await probeNodes(d);
  const counts = await Promise.all(
    redisNodes(d.topology).map((n) => readKeyspaceCounts({ host: addressOf(d, n.name), port: n.hostPort }, d.auth).then(totalKeys, () => undefined)),
  );
  const masters = nodes.filter((n) => n.role === 'master');
  return {
    deployment: d.topology.name,
    master: masters.length === 1 ? masters[0]!.service : undefined,
    nodes: nodes.map((n, i) => ({
      service: n.service,
      role: n.reachable ? (n.role === 'master' ? 'master' : 'replica') : undefined,
      keys: counts[i],
      error: n.reachable ? undefined : n.error,
    })),
    sentinels: sentinelNodes(d.topology).map((s) => s.name),
  };
}

export interface RestoreOutcome {
  master: string;
  keys: number;
  nodes: { node: string; keys: number; digest: string }[];
  /** Milliseconds from the start of the restore until each step was done (verified: totalMs). */
  timings: { checkedMs: number; stoppedMs: number; masterLoadedMs: number; replicasSyncedMs: number; healthyMs: number; totalMs: number };
}

export interface RestoreOptions {
  timeoutMs: number;
  clock?: Clock;
  /** One line per step, for the operator. */
  onStep?: (text: string) => void;
}

const configValue = async (endpoint: Endpoint, auth: Credentials, name: string): Promise<string | undefined> =>
  withConnection(endpoint, auth, async (r) => ((await r.config('GET', name)) as string[])[1], 5000);

/** Every Redis node's container, by service; fails (nothing touched) when one is not running. */
export async function runningNodes(runtime: Runtime, t: Topology): Promise<Map<string, ContainerInfo>> {
  const byService = new Map((await runtime.containers(t.name)).map((c) => [c.service, c]));
  const notRunning = redisNodes(t).filter((n) => byService.get(n.name)?.state !== 'running').map((n) => n.name);
  if (notRunning.length) {
    throw new FailedError(
      `${notRunning.join(', ')} ${notRunning.length > 1 ? 'are' : 'is'} not running; nothing was touched`,
      `bring the deployment back first (\`redis-ha deploy ... --name ${t.name}\`), then restore`,
    );
  }
  return byService;
}

/** `file` read by the image's own redis-check-rdb (in `checker`) and holding `keys` keys; else exit 2. */
export async function checkBackupRdb(runtime: Runtime, checker: ContainerInfo, image: string, file: string, keys: number): Promise<void> {
  const check = await checkRdbInContainer(runtime, checker, file);
  if (!check.ok) {
    throw new UsageError(
      `backup ${file} refused by redis-check-rdb of ${image}: ${check.problem}; nothing was touched`,
      'the file is damaged, or was written by a newer Redis than this image; use another backup or a matching --redis-image',
    );
  }
  if (check.keysRead !== undefined && check.keysRead !== keys) {
    throw new UsageError(
      `backup ${file} refused: it holds ${check.keysRead} keys, its manifest says ${keys}; nothing was touched`,
      'the file and manifest do not belong together; use the files written by `redis-ha backup`',
    );
  }
}

/** Where a node keeps its data (the same on every node of a deployment). */
export interface DataLayout {
  dataDir: string;
  dbfilename: string;
  appendfilename: string;
  /** Redis 7's multi-part AOF directory; undefined before Redis 7. */
  appenddirname?: string;
}

export async function readDataLayout(endpoint: Endpoint, auth: Credentials): Promise<DataLayout> {
  const version = parseInfo(await withConnection(endpoint, auth, (r) => r.info('server'), 5000)).redis_version ?? '0';
  const multipartAof = Number(version.split('.')[0]) >= 7;
  return {
    dataDir: (await configValue(endpoint, auth, 'dir')) ?? '/data',
    dbfilename: (await configValue(endpoint, auth, 'dbfilename')) ?? 'dump.rdb',
    appendfilename: (await configValue(endpoint, auth, 'appendfilename')) ?? 'appendonly.aof',
    appenddirname: multipartAof ? ((await configValue(endpoint, auth, 'appenddirname')) ?? 'appendonlydir') : undefined,
  };
}

/** What goes into a master's data directory for `file` (staged under `staging` for AOF), and where. */
export async function stageData(staging: string, file: string, layout: DataLayout, persistence: string): Promise<{ source: string; target: string }> {
  const { dataDir, dbfilename, appendfilename, appenddirname } = layout;
  if (persistence !== 'aof') return { source: file, target: `${dataDir}/${dbfilename}` };
  if (!appenddirname) return { source: file, target: `${dataDir}/${appendfilename}` };
  const dir = join(staging, appenddirname);
  await mkdir(dir, { mode: 0o700 });
  const base = `${appendfilename}.1.base.rdb`;
  await copyFile(file, join(dir, base));
  await writeFile(join(dir, `${appendfilename}.manifest`), `file ${base} seq 1 type b\n`, { mode: 0o600 });
  return { source: dir, target: `${dataDir}/${appenddirname}` };
}

/**
 * Persistence off in memory (nothing written on the way down: no AOF, no RDB on SIGTERM) and
 * the data files removed. Only the data: a cluster node's nodes.conf stays.
 */
export async function clearNodeData(runtime: Runtime, container: ContainerInfo, endpoint: Endpoint, auth: Credentials, layout: DataLayout): Promise<void> {
  const { dataDir, dbfilename, appendfilename, appenddirname } = layout;
  await withConnection(endpoint, auth, async (r) => {
    await r.config('SET', 'appendonly', 'no');
    await r.config('SET', 'save', '');
  }, 10_000);
  const dataFiles = [dbfilename, appendfilename, ...(appenddirname ? [appenddirname] : [])].map((f) => `${dataDir}/${f}`);
  const rm = await runtime.exec(container.id, ['rm', '-rf', '--', ...dataFiles]);
  if (rm.exitCode !== 0) throw new FailedError(`removing the data files of ${container.service} failed: ${rm.stderr.trim()}`);
}

/** A save begun before persistence was turned off (a replica's sync) would rename its file over the backup when it ends. */
export async function waitSaveDone(node: string, endpoint: Endpoint, auth: Credentials, options: Pick<RestoreOptions, 'timeoutMs' | 'clock'>): Promise<void> {
  await waitFor(
    `${node} to finish its background save`,
    async () => {
      const p = parseInfo(await withConnection(endpoint, auth, (r) => r.info('persistence'), 5000));
      const busy = p.rdb_bgsave_in_progress === '1' || p.aof_rewrite_in_progress === '1';
      return { verdict: busy ? 'waiting' : 'done', value: undefined, state: busy ? 'saving' : 'idle' };
    },
    { timeoutMs: options.timeoutMs, intervalMs: 100, clock: options.clock },
  );
}

/** Waits until the restarted `node` has loaded its data as a master, and fails unless it holds `keys` keys. */
export async function waitLoaded(node: string, endpoint: Endpoint, auth: Credentials, keys: number, options: Pick<RestoreOptions, 'timeoutMs' | 'clock'>): Promise<void> {
  const loadedKeys = await waitFor(
    `${node} to load the backup`,
    async () => {
      const info = await withConnection(endpoint, auth, (r) => r.info(), 2000).catch((err: Error) => `error:${err.message}`);
      if (info.startsWith('error:')) return { verdict: 'waiting', value: 0, state: info };
      const fields = parseInfo(info);
      if (fields.loading === '1') return { verdict: 'waiting', value: 0, state: 'loading' };
      if (fields.role !== 'master') return { verdict: 'fatal', value: 0, state: `${node} came back as ${fields.role}` };
      const count = totalKeys(parseKeyspace(info));
      return { verdict: 'done', value: count, state: `${count} keys` };
    },
    { timeoutMs: options.timeoutMs, intervalMs: 100, clock: options.clock },
  );
  if (loadedKeys !== keys) {
    throw new FailedError(`${node} loaded ${loadedKeys} keys, the backup holds ${keys} (keys whose TTL ran out are dropped on load)`);
  }
}

/**
 * Without persistence, once loaded: a later restart must come back empty, not with the backup.
 * (On swarm the node runs in a new task container: asked for again.)
 */
export async function dropLoadedFile(runtime: Runtime, t: Topology, node: string, target: string): Promise<void> {
  if (t.redis.persistence !== 'none') return;
  const running = (await runtime.containers(t.name)).find((c) => c.service === node && c.state === 'running');
  if (!running) throw new FailedError(`${node} loaded the backup but runs in no container now`);
  await runtime.exec(running.id, ['rm', '-f', target]);
}

export async function restoreData(
  d: Deployment,
  runtime: Runtime,
  file: string,
  manifest: BackupManifest,
  options: RestoreOptions,
): Promise<RestoreOutcome> {
  const t = d.topology;
  const say = options.onStep ?? (() => undefined);
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const byService = await runningNodes(runtime, t);
  const redis = redisNodes(t);
  const checker = byService.get(redis[0]!.name)!;
  say(`checking ${file} with redis-check-rdb of ${t.redis.image} (in ${checker.service})`);
  await checkBackupRdb(runtime, checker, t.redis.image, file, manifest.keys);
  const checkedMs = ms();

  const plan = await planRestore(d);
  if (!plan.master) {
    throw new FailedError(
      `no single master in ${t.name} (${plan.nodes.map((n) => `${n.service}: ${n.role ?? n.error}`).join(', ')}); nothing was touched`,
      `check with \`redis-ha status --name ${t.name}\``,
    );
  }
  const master = plan.master;
  const masterContainer = byService.get(master)!;
  const endpointOf = (service: string) => ({ host: addressOf(d, service), port: redis.find((n) => n.name === service)!.hostPort });
  const masterEndpoint = endpointOf(master);
  const layout = await readDataLayout(masterEndpoint, d.auth);

  // What goes into the master's data directory, staged on the host first.
  const staging = await mkdtemp(join(tmpdir(), 'redis-ha-restore-'));
  const holds = holdsFor(runtime, t.name, { timeoutMs: options.timeoutMs, clock: options.clock });
  const stopped = new Set<ContainerInfo>();
  let step = 'stopping the Sentinels';
  try {
    const { source, target } = await stageData(staging, file, layout, t.redis.persistence);

    const sentinels = sentinelNodes(t).map((s) => byService.get(s.name)).filter((c): c is ContainerInfo => Boolean(c));
    if (sentinels.length) say(`stopping ${sentinels.length} Sentinel(s): no failover while the nodes are down`);
    const stop = (c: ContainerInfo) => {
      stopped.add(c);
      return holds.stop(c);
    };
    const start = async (c: ContainerInfo) => {
      await holds.start(c);
      stopped.delete(c);
    };
    await Promise.all(sentinels.map(stop));

    step = 'clearing the data of every node';
    say(`clearing the data of ${redis.map((n) => n.name).join(', ')} and stopping them`);
    await Promise.all(redis.map((n) => clearNodeData(runtime, byService.get(n.name)!, endpointOf(n.name), d.auth, layout)));
    step = 'stopping the replicas';
    const replicas = redis.filter((n) => n.name !== master).map((n) => byService.get(n.name)!);
    await Promise.all(replicas.map(stop));

    step = `waiting for ${master} to finish any save in progress`;
    await waitSaveDone(master, masterEndpoint, d.auth, options);

    step = `putting the backup into ${master}'s volume`;
    say(`putting the backup into ${master}'s volume as ${target}`);
    // Owned by the user Redis runs as (not root, as a plain `docker cp` would make it): it
    // must read the RDB and, with AOF, write new increments into the directory.
    await runtime.copyTo(masterContainer.id, source, target, { owner: dataOwner(masterContainer) });
    step = `stopping ${master}`;
    await stop(masterContainer);
    const stoppedMs = ms();

    step = `starting ${master}`;
    say(`starting ${master} (loads ${manifest.keys} keys)`);
    await start(masterContainer);
    await waitLoaded(master, masterEndpoint, d.auth, manifest.keys, options);
    await dropLoadedFile(runtime, t, master, target);
    const masterLoadedMs = ms();

    step = 'starting the replicas';
    if (replicas.length) say(`starting ${replicas.map((c) => c.service).join(', ')} (full sync from ${master})`);
    await Promise.all(replicas.map(start));
    await waitFor(
      'the replicas to be linked and caught up',
      async () => {
        const check = checkReplication(await probeNodes(d), { caughtUp: true });
        return { verdict: check.ok ? 'done' : 'waiting', value: undefined, state: check.detail };
      },
      { timeoutMs: options.timeoutMs, intervalMs: 100, clock: options.clock },
    );
    const replicasSyncedMs = ms();

    step = 'starting the Sentinels';
    if (sentinels.length) say(`starting ${sentinels.length} Sentinel(s)`);
    await Promise.all(sentinels.map(start));
    step = 'waiting until healthy';
    await waitHealthy(runtime, d, { caughtUp: true, timeoutMs: options.timeoutMs, failFast: false, condition: `${t.name} to become healthy`, clock: options.clock });
    const healthyMs = ms();

    step = 'comparing every node with the backup';
    say('comparing the keyspace digest of every node');
    const digests: (KeyspaceDigest & { node: string })[] = await Promise.all(
      redis.map(async (n) => ({ node: n.name, ...(await digestKeyspace(endpointOf(n.name), d.auth)) })),
    );
    const reference = digests.find((x) => x.node === master)!;
    const off = digests.filter((x) => x.keys !== manifest.keys || x.digest !== reference.digest);
    if (off.length) {
      throw new FailedError(
        `after the restore ${off.map((x) => `${x.node} has ${x.keys} keys, digest ${x.digest}`).join('; ')} (backup: ${manifest.keys} keys; ${master}: digest ${reference.digest})`,
      );
    }
    return {
      master,
      keys: manifest.keys,
      nodes: digests.map((x) => ({ node: x.node, keys: x.keys, digest: x.digest })),
      timings: { checkedMs, stoppedMs, masterLoadedMs, replicasSyncedMs, healthyMs, totalMs: ms() },
    };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // Never leave the deployment stopped: start what this restore stopped, then say where it failed.
    const restarted = await Promise.all([...stopped].map((c) => holds.start(c).then(() => c.service, () => undefined)));
    throw new FailedError(
      `restore of ${t.name} failed while ${step}: ${(err as Error).message}${restarted.filter(Boolean).length ? `; started again: ${restarted.filter(Boolean).join(', ')}` : ''}`,
      `the data may be partly restored: check with \`redis-ha status --name ${t.name}\` and run the restore again`,
      { cause: err },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
