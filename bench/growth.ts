// How it grows: the sentinel preset with --replicas 2 / 5 / 9 and --sentinels 3 / 5 / 7 (quorum
// a majority): time to healthy beside a plain compose up of as many containers, and idle CPU
// after deploy returned beside nothing deployed. BENCH_GROWTH_RUNS deploys of each (1).
import { beside, type Beside } from './beside.js';
import type { IdleCpu } from './cpu.js';
import { timeFloor } from './floor-compose.js';
import { idleOfDeployment } from './idle.js';
import { benchName } from './settings.js';

const VARIANTS = [
  { replicas: 2, sentinels: 3 },
  { replicas: 5, sentinels: 3 },
  { replicas: 9, sentinels: 3 },
  { replicas: 2, sentinels: 5 },
  { replicas: 2, sentinels: 7 },
];

export async function benchGrowth(options: { runs: number; nothing: IdleCpu; log: (line: string) => void }): Promise<{ rows: Beside[]; runs: object[] }> {
  const rows: Beside[] = [];
  const runs: object[] = [];
  for (const v of VARIANTS) {
    const label = `sentinel, ${v.replicas} replicas, ${v.sentinels} Sentinels`;
    const flags = ['--replicas', String(v.replicas), '--sentinels', String(v.sentinels), '--quorum', String(Math.floor(v.sentinels / 2) + 1)];
    const wall: number[] = [];
    const floor: number[] = [];
    const idle: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const r = await idleOfDeployment('sentinel', benchName('growth'), flags, options.nothing);
      wall.push(r.wallMs);
      idle.push(...r.idle.slices);
      floor.push(await timeFloor(benchName('floor-growth'), { ...v, haproxy: false, exporter: false, prometheus: false }));
      runs.push({ ...v, wallMs: r.wallMs, floorMs: floor.at(-1), idle: r.idle, costs: r.costs });
      options.log(`growth ${label} run ${i + 1}: ${Math.round(r.wallMs)} ms (floor ${Math.round(floor.at(-1)!)} ms), idle ${r.idle.machine.toFixed(1)} %`);
    }
    rows.push(
      beside(`${label}: time to healthy`, wall, 'plain compose up to PING', floor),
      beside(`${label}: idle CPU`, idle, 'nothing deployed', options.nothing.slices, { unit: '%cpu', center: 'mean' }),
    );
  }
  return { rows, runs };
}
