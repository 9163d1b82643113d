// Time to healthy per preset (wall: spawning `redis-ha deploy` to its exit) beside its floor,
// a plain `compose up` of the same containers until every Redis answers PING (floor-compose.ts),
// and beside the tutorial compose file until it converged (baseline.ts). Interleaved: each run
// deploys every preset and starts its floor, then the tutorial file, so all see the same machine.
import { beside, type Beside } from './beside.js';
import { timeBaseline, type TutorialTimings } from './baseline.js';
import { deploy, removeDeployment, type Deployed } from './deploy.js';
import { PRESET_SHAPES, timeFloor } from './floor-compose.js';
import { IMAGE_FLAGS } from './images.js';
import { benchName } from './settings.js';

const PRESETS = ['basic', 'sentinel', 'full'] as const;
/** Issue 14's targets: x floor, and x the tutorial file's convergence. */
const TARGETS: Record<string, { floor?: number; tutorial?: number }> = { sentinel: { floor: 1.25, tutorial: 0.6 }, full: { floor: 1.35 } };

export async function benchHealthy(options: { runs: number; log: (line: string) => void }): Promise<{ rows: Beside[]; runs: object }> {
  const runs = { deploy: {} as Record<string, ({ wallMs: number } & Deployed['timings'])[]>, floor: {} as Record<string, number[]>, tutorial: [] as TutorialTimings[] };
  for (let i = 0; i < options.runs; i++) {
    for (const preset of PRESETS) {
      const name = benchName(preset);
      try {
        const d = await deploy(preset, name);
        (runs.deploy[preset] ??= []).push({ wallMs: d.wallMs, ...d.timings });
      } finally {
        await removeDeployment(name);
      }
      const floorMs = await timeFloor(benchName(`floor-${preset}`), PRESET_SHAPES[preset]!);
      (runs.floor[preset] ??= []).push(floorMs);
      options.log(`time to healthy run ${i + 1} ${preset}: ${Math.round(runs.deploy[preset]!.at(-1)!.wallMs)} ms, floor ${Math.round(floorMs)} ms`);
    }
    runs.tutorial.push(await timeBaseline(IMAGE_FLAGS[1]!));
    options.log(`time to healthy run ${i + 1} tutorial file: ${Math.round(runs.tutorial.at(-1)!.totalMs)} ms`);
  }
  const tutorial = runs.tutorial.map((t) => t.totalMs);
  const rows = PRESETS.flatMap((preset) => {
    const wall = runs.deploy[preset]!.map((d) => d.wallMs);
    const t = TARGETS[preset] ?? {};
    return [
      beside(`${preset} time to healthy`, wall, 'plain compose up to PING', runs.floor[preset]!, { target: t.floor ? { ratio: t.floor } : undefined }),
      beside(`${preset} time to healthy`, wall, 'tutorial file converged', tutorial, { target: t.tutorial ? { ratio: t.tutorial } : undefined }),
    ];
  });
  return { rows, runs };
}
