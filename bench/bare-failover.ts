// The floor of failover: 1 master, 2 replicas and 3 Sentinels as bare processes on 127.0.0.1
// (bare-processes.ts) with the Sentinel timing of redis-ha's `fast` profile and the `full`
// preset's quorum and parallel-syncs, read from the model. Measured the way test-failover
// measures a deployment: the same ioredis Sentinel client options, the same 200 writes/s
// workload, the same write-gap definition (metrics.ts), +switch-master on any Sentinel.
// (a) kill -9 the master, (b) SENTINEL FAILOVER (a planned switchover), `runs` times each.
import { Redis } from 'ioredis';
import { writeGapMs } from '../src/failover/metrics.js';
import type { Op } from '../src/failover/recording.js';
import { Workload } from '../src/failover/workload.js';
import { loadTopology } from '../src/model/load.js';
import type { Topology } from '../src/model/schema.js';
import { NO_AUTH, pairsToRecord, withConnection } from '../src/probes/connect.js';
import { sentinelClientOptions } from '../src/probes/sentinel-client.js';
import { sleep } from '../src/wait.js';
import { BareSentinelSet } from './bare-processes.js';
import { untilPing } from './compose-project.js';
import { BARE_PORT_BASE } from './settings.js';

const RATE = 200;
const BASELINE_MS = 1000;
/** Writes go on this long after +switch-master, so that the gap can close. */
const AFTER_SWITCH_MS = 2000;

export interface BareRun {
  switchMasterMs: number | null;
  sentinelClientWriteGapMs: number | null;
  /** The longest time between two acknowledged writes, from the last one before the fault. */
  ackGapMs: number | null;
}

export interface BareFloor {
  settings: BareSentinelSet['settings'];
  killMaster: BareRun[];
  sentinelFailover: BareRun[];
}

/** The longest interval between consecutive acknowledgements, from the last one before `faultAt` on. Pure. */
export function ackGapMs(ops: readonly Op[], faultAt: number): number | null {
  const acked = ops
    .filter((o) => o.outcome === 'ok')
    .map((o) => o.end)
    .sort((a, b) => a - b);
  const from = acked.filter((t) => t <= faultAt).length - 1;
  if (from < 0 || from === acked.length - 1) return null;
  let longest = 0;
  for (let i = from + 1; i < acked.length; i++) longest = Math.max(longest, acked[i]! - acked[i - 1]!);
  return Math.round(longest);
}

/** The `full` preset with the fast profile, its ports on the bare slot: what the bare set copies. */
async function modelTopology(): Promise<Topology> {
  const overrides = [
    { path: 'profile', value: 'fast', flag: '--profile' },
    { path: 'portBase', value: BARE_PORT_BASE, flag: '--port-base' },
  ];
  return (await loadTopology({ preset: 'full', overrides })).topology;
}

/** Waits until every Sentinel names the same master, sees every replica linked and every peer; its port. */
async function settled(set: BareSentinelSet, limitMs = 60_000): Promise<number> {
  const { masterName, replicas, sentinels } = set.settings;
  const started = performance.now();
  for (;;) {
    const views = await Promise.all(
      set.sentinelPorts.map((port) =>
        withConnection({ host: '127.0.0.1', port }, NO_AUTH, async (r) => {
          const m = pairsToRecord(await r.call('SENTINEL', 'MASTER', masterName));
          const reps = ((await r.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairsToRecord);
          const linked = reps.filter((x) => x.flags === 'slave' && x['master-link-status'] === 'ok').length;
          const ok = m.flags === 'master' && linked === replicas && Number(m['num-other-sentinels']) === sentinels - 1;
          return ok ? Number(m.port) : null;
        }).catch(() => null),
      ),
    );
    if (views.every((p) => p !== null && p === views[0])) return views[0]!;
    if (performance.now() - started > limitMs) throw new Error(`bare Sentinels did not settle within ${limitMs / 1000} s (master ports seen: ${views.join(', ')})`);
    await sleep(200);
  }
}

/** One fault under the workload: ms to the first +switch-master on any Sentinel, and the gaps. */
async function measure(set: BareSentinelSet, t: Topology, fault: () => Promise<unknown>): Promise<BareRun> {
  const now = () => performance.now();
  let switchAt: number | undefined;
  const subscribers = set.sentinelPorts.map((port) => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 }));
  // Bare Sentinels announce 127.0.0.1:<port>: no address to map.
  const { natMap: _unused, ...clientOptions } = sentinelClientOptions(t, NO_AUTH, '127.0.0.1');
  const workload = new Workload([{ via: 'sentinel', options: clientOptions }], { rate: RATE, durability: 'async', prefix: `bare-${Date.now()}`, maxMs: 120_000, now });
  try {
    for (const s of subscribers) {
      s.on('error', () => {});
      s.on('message', (channel: string, message: string) => {
        if (channel === '+switch-master' && message.startsWith(`${set.settings.masterName} `)) switchAt ??= now();
      });
      await s.connect();
      await s.subscribe('+switch-master');
    }
    await workload.start();
    await sleep(BASELINE_MS);
    const faultAt = now();
    await fault();
    const limit = faultAt + set.settings.downAfterMs + set.settings.failoverTimeoutMs + 15_000;
    while (switchAt === undefined && now() < limit) await sleep(20);
    await sleep(AFTER_SWITCH_MS);
    await workload.stop();
    return {
      switchMasterMs: switchAt === undefined ? null : Math.round(switchAt - faultAt),
      sentinelClientWriteGapMs: writeGapMs(workload.ops, 'sentinel', faultAt),
      ackGapMs: ackGapMs(workload.ops, faultAt),
    };
  } finally {
    await workload.stop();
    for (const s of subscribers) s.disconnect();
  }
}

export async function benchBareFloor(options: { runs: number; log: (line: string) => void }): Promise<BareFloor> {
  const t = await modelTopology();
  const settings = {
    portBase: BARE_PORT_BASE,
    replicas: t.replicas,
    sentinels: t.sentinel.count,
    masterName: t.sentinel.masterName,
    quorum: t.sentinel.quorum,
    downAfterMs: t.sentinel.downAfterMs,
    failoverTimeoutMs: t.sentinel.failoverTimeoutMs,
    parallelSyncs: t.sentinel.parallelSyncs,
  };
  const set = await BareSentinelSet.start(settings);
  const result: BareFloor = { settings, killMaster: [], sentinelFailover: [] };
  try {
    await untilPing([...set.redisPorts, ...set.sentinelPorts], performance.now(), 20_000);
    for (let i = 0; i < options.runs; i++) {
      const master = await settled(set);
      result.killMaster.push(await measure(set, t, () => set.kill9(master)));
      options.log(`bare floor run ${i + 1} kill -9 master: ${JSON.stringify(result.killMaster.at(-1))}`);
      // Back as it was; the Sentinels make it a replica of the new master.
      await set.launch(master);
      await settled(set);
      const sentinel = set.sentinelPorts[0]!;
      result.sentinelFailover.push(
        await measure(set, t, () => withConnection({ host: '127.0.0.1', port: sentinel }, NO_AUTH, (r) => r.call('SENTINEL', 'FAILOVER', settings.masterName))),
      );
      options.log(`bare floor run ${i + 1} SENTINEL FAILOVER: ${JSON.stringify(result.sentinelFailover.at(-1))}`);
    }
  } finally {
    await set.stop();
  }
  return result;
}

