// A redis-ha deployment as the bench makes one: `deploy` through the built CLI, timed from
// spawning it to its exit (wall) beside the CLI's own split, and always removable.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
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

const docker = (args: string[]) => execa('docker', args, { reject: false, stdin: 'ignore' });

/**
 * `redis-ha cleanup`; when it fails (a loaded machine, a half-made deployment), removes what
 * carries the compose project's label by hand, so that no run leaves containers behind and
 * no later part meets its ports taken. Throws if something is still there.
 */
export async function removeDeployment(name: string): Promise<void> {
  const r = await cli(['cleanup', '--name', name], 300_000);
  const label = `label=com.docker.compose.project=${name}`;
  const left = async () => (await docker(['ps', '-aq', '--filter', label])).stdout.split('\n').filter(Boolean);
  if (r.exitCode === 0 && !(await left()).length) return;
  const ids = await left();
  if (ids.length) await docker(['rm', '-fv', ...ids]);
  for (const kind of ['network', 'volume']) {
    const found = (await docker([kind, 'ls', '-q', '--filter', label])).stdout.split('\n').filter(Boolean);
    if (found.length) await docker([kind, 'rm', ...found]);
  }
  await rm(resolve('.redis-ha', name), { recursive: true, force: true });
  if ((await left()).length) throw new Error(`cannot remove deployment ${name}: cleanup exited ${r.exitCode} (${(r.stderr || r.stdout).slice(-400)}) and its containers are still there`);
}

/** Deploys `preset` (after removing what a broken earlier run left under `name`); throws on failure, after removing it. */
export async function deploy(preset: string, name: string, flags: string[] = [], portBase = DEPLOY_PORT_BASE): Promise<Deployed> {
  await removeDeployment(name);
  const started = performance.now();
  const r = await cli(['deploy', preset, '--name', name, '--port-base', String(portBase), '--json', ...IMAGE_FLAGS, ...flags], 300_000);
  const wallMs = performance.now() - started;
  if (r.exitCode !== 0) {
    await removeDeployment(name);
    // With --json the error is on stdout.
    throw new Error(`deploy ${[preset, ...flags].join(' ')} as ${name} failed (exit ${r.exitCode}): ${(r.stderr.trim() || r.stdout).slice(-800)}`);
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
