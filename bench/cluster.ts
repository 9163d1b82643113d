// The cluster preset (3 shards x 1 replica, fast profile) against issue 19's targets. Each run:
// deploy it (wall: spawning `redis-ha deploy` to its exit); kill-master with plain writes (the
// failed shard's write gap <= cluster-node-timeout + 1 s, 0 on the other shards' slots); again
// with `--durability wait` (0 acknowledged writes lost, 0 gap on the other shards); cleanup; then
// the floor (cluster-floor.ts: a plain `compose up` of six nodes and `redis-cli --cluster
// create`), so both see the same machine. Two kill-master runs, because with one replica per
// shard WAIT 1 cannot be acknowledged on the failed shard from the failover (its only replica
// is now its master) until the killed node is back as a replica: with WAIT that shard's gap
// runs to the heal, which is printed beside the other but is not the failover's figure.
// A run that fails is recorded with its reason; the figures are over the runs that gave them.
import { beside, type Beside } from './beside.js';
import { cli } from './cli.js';
import { timeClusterFloor, type ClusterFloorTimings } from './cluster-floor.js';
import { RESHARD_KEYS, RESHARD_RATE, reshardThird, type ClusterReshardRun } from './cluster-reshard.js';
import { deploy, removeDeployment, type Deployed } from './deploy.js';
import { benchName, CLUSTER_PORT_BASE } from './settings.js';

export interface ClusterKillMasterRun {
  failoverMs: number | null;
  nodeTimeoutMs: number | null;
  failedShardWriteGapMs: number | null;
  otherShardsWriteGapMs: number | null;
  /** null when the keys were not read back (the run did not get that far). */
  lostAcked: number | null;
  /** Failed + indeterminate writes to the other shards' slots. */
  otherShardsNotAcked: number | null;
  passed: boolean;
  /** Why a run did not pass (test-failover's failures, or why it gave no result). */
  failures?: string[];
}

export interface ClusterRuns {
  deploy: ({ wallMs: number } & Deployed['timings'])[];
  floor: ClusterFloorTimings[];
  /** kill-master with plain writes (the gaps, the failover). */
  killMaster: ClusterKillMasterRun[];
  /** kill-master with --durability wait (the acknowledged writes lost). */
  killMasterWait: ClusterKillMasterRun[];
  /** A third of 100 000 keys moved under 200 writes/s (reshard). */
  reshard: ClusterReshardRun[];
  /** Deploys and floors that failed, with the reason. */
  failed: string[];
}

interface ScenarioJson {
  passed: boolean;
  failures: string[];
  timings: Record<string, number | null>;
  writes: { lostAcked: number };
  otherShards: { failed: number; indeterminate: number };
  keyspace: { nodes: unknown[] };
}

/** The figures of one test-failover --json output (or why it has none). Pure. */
export function killMasterFigures(stdout: string, exitCode: number, stderr = ''): ClusterKillMasterRun {
  let parsed: { scenarios?: ScenarioJson[]; error?: string } = {};
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    /* reported below */
  }
  const s = parsed.scenarios?.[0];
  if (!s) {
    const why = `test-failover exited ${exitCode} without a result: ${(parsed.error ?? (stderr.trim() || stdout)).slice(-800)}`;
    return { failoverMs: null, nodeTimeoutMs: null, failedShardWriteGapMs: null, otherShardsWriteGapMs: null, lostAcked: null, otherShardsNotAcked: null, passed: false, failures: [why] };
  }
  return {
    failoverMs: s.timings.failoverMs ?? null,
    nodeTimeoutMs: s.timings.nodeTimeoutMs ?? null,
    failedShardWriteGapMs: s.timings.failedShardWriteGapMs ?? null,
    otherShardsWriteGapMs: s.timings.otherShardsWriteGapMs ?? null,
    // The keys are read back only once the cluster was healthy again; before that writes.lostAcked is 0 unread.
    lostAcked: s.keyspace.nodes.length ? s.writes.lostAcked : null,
    otherShardsNotAcked: s.otherShards.failed + s.otherShards.indeterminate,
    passed: s.passed,
    ...(s.passed ? {} : { failures: s.failures }),
  };
}

/** The rows: time to healthy beside the floor, and kill-master beside issue 19's targets. Pure. */
export function clusterRows(runs: Pick<ClusterRuns, 'deploy' | 'floor' | 'killMaster' | 'killMasterWait'> & { reshard?: ClusterReshardRun[] }): Beside[] {
  const km = runs.killMaster;
  const kw = runs.killMasterWait;
  const of = (key: keyof ClusterKillMasterRun, from = km) => from.map((r) => r[key] as number | null);
  const timeoutPlus1s = (from: ClusterKillMasterRun[]) => from.map((r) => (r.nodeTimeoutMs === null ? null : r.nodeTimeoutMs + 1000));
  return [
    beside('cluster 3 x 1 time to healthy (fast profile)', runs.deploy.map((d) => d.wallMs), 'plain compose up + redis-cli --cluster create to cluster_state:ok', runs.floor.map((f) => f.totalMs)),
    beside('cluster kill-master failover (every other node agrees)', of('failoverMs'), 'cluster-node-timeout', of('nodeTimeoutMs')),
    beside('cluster kill-master write gap, failed shard', of('failedShardWriteGapMs'), 'node-timeout + 1 s', timeoutPlus1s(km), { target: { plus: 0 } }),
    beside('cluster kill-master write gap, other shards (both runs)', [...of('otherShardsWriteGapMs'), ...of('otherShardsWriteGapMs', kw)], 'no gap', [0], { target: { plus: 0 }, everyRun: true }),
    beside('cluster kill-master acked writes lost (WAIT 1)', of('lostAcked', kw), 'none', [0], { unit: 'writes', target: { plus: 0 }, everyRun: true }),
    beside('cluster kill-master write gap, failed shard, WAIT 1 (to the heal)', of('failedShardWriteGapMs', kw), 'node-timeout + 1 s', timeoutPlus1s(kw)),
    ...(runs.reshard?.length
      ? [
          beside(`cluster reshard of 1/3 of ${RESHARD_KEYS / 1000}k keys under ${RESHARD_RATE} writes/s: failed writes`, runs.reshard.map((r) => r.failed), 'none', [0], { unit: 'writes', target: { plus: 0 }, everyRun: true }),
          beside(`cluster reshard of 1/3 of ${RESHARD_KEYS / 1000}k keys: time to move (printed)`, runs.reshard.map((r) => r.movedMs), 'no floor', []),
        ]
      : []),
  ];
}

export async function benchCluster(options: { runs: number; log: (line: string) => void }): Promise<{ rows: Beside[]; runs: ClusterRuns }> {
  const runs: ClusterRuns = { deploy: [], floor: [], killMaster: [], killMasterWait: [], reshard: [], failed: [] };
  const name = benchName('cl-cluster');
  for (let i = 0; i < options.runs; i++) {
    try {
      const d = await deploy('cluster', name, ['--profile', 'fast'], CLUSTER_PORT_BASE);
      runs.deploy.push({ wallMs: d.wallMs, ...d.timings });
      options.log(`cluster run ${i + 1}: deploy ${Math.round(d.wallMs)} ms (${JSON.stringify(d.timings)})`);
      for (const durability of ['async', 'wait'] as const) {
        const r = await cli(['test-failover', '--name', name, '--scenario', 'kill-master', '--durability', durability, '--json'], 600_000);
        const into = durability === 'wait' ? runs.killMasterWait : runs.killMaster;
        into.push(killMasterFigures(r.stdout, r.exitCode, r.stderr));
        options.log(`cluster run ${i + 1} kill-master --durability ${durability}: ${JSON.stringify(into.at(-1))}`);
      }
      runs.reshard.push(await reshardThird(name));
      options.log(`cluster run ${i + 1} reshard: ${JSON.stringify(runs.reshard.at(-1))}`);
    } catch (err) {
      runs.failed.push(`run ${i + 1}: ${(err as Error).message}`);
      options.log(`cluster run ${i + 1}: ${(err as Error).message}`);
    } finally {
      await removeDeployment(name);
    }
    try {
      runs.floor.push(await timeClusterFloor(benchName('cl-floor')));
      options.log(`cluster run ${i + 1}: floor ${JSON.stringify(runs.floor.at(-1))}`);
    } catch (err) {
      runs.failed.push(`run ${i + 1} floor: ${(err as Error).message}`);
      options.log(`cluster run ${i + 1} floor: ${(err as Error).message}`);
    }
  }
  if (!runs.deploy.length && !runs.floor.length) throw new Error(`no run gave a figure: ${runs.failed.join('; ')}`);
  return { rows: clusterRows(runs), runs };
}
