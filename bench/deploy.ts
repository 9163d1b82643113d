// A redis-ha deployment as the bench makes one: `deploy` through the built CLI, timed from
// spawning it to its exit (wall) beside the CLI's own split, and always removable.
import type { DeployResult } from '../src/commands/deploy.js';
import { cli } from './cli.js';
import { IMAGE_FLAGS } from './images.js';
import { DEPLOY_PORT_BASE } from './settings.js';

export interface Deployed {
  name: string;
  /** Spawn of `redis-ha deploy` to its exit: what a user waits. */
  wallMs: number;
  timings: DeployResult['timings'];
}

export const removeDeployment = (name: string) => cli(['cleanup', '--name', name], 180_000);

/** Deploys `preset` (after removing what a broken earlier run left under `name`); throws on failure, after removing it. */
export async function deploy(preset: string, name: string, flags: string[] = []): Promise<Deployed> {
  await removeDeployment(name);
  const started = performance.now();
  const r = await cli(['deploy', preset, '--name', name, '--port-base', String(DEPLOY_PORT_BASE), '--json', ...IMAGE_FLAGS, ...flags], 300_000);
  const wallMs = performance.now() - started;
  if (r.exitCode !== 0) {
    await removeDeployment(name);
    throw new Error(`deploy ${preset} ${flags.join(' ')} as ${name} failed (exit ${r.exitCode}): ${r.stderr.slice(-800)}`);
  }
  return { name, wallMs, timings: (JSON.parse(r.stdout) as DeployResult).timings };
}

/** Deploys, hands the deployment to `use`, removes it whatever happens. */
export async function withDeployment<T>(preset: string, name: string, flags: string[], use: (d: Deployed) => Promise<T>): Promise<T> {
  const d = await deploy(preset, name, flags);
  try {
    return await use(d);
  } finally {
    await removeDeployment(name);
  }
}
