// Reading back a rendered deployment (for status, cleanup, test-failover).
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Topology } from '../model/schema.js';
import { defaultOutDir } from '../paths.js';
import { COMPOSE_FILE, ENV_FILE, TOPOLOGY_FILE } from '../synth/synthesize.js';

export interface DeploymentFiles {
  dir: string;
  composeFile: string;
  topology: Topology;
  password: string;
}

/** The deployment name to use when --name is not given: the only one rendered here, else redis-ha. */
export function defaultDeploymentName(cwd: string): string {
  const root = join(cwd, '.redis-ha');
  if (!existsSync(root)) return 'redis-ha';
  const names = readdirSync(root).filter((n) => existsSync(join(root, n, TOPOLOGY_FILE)));
  return names.length === 1 ? names[0]! : 'redis-ha';
}

/** Where the deployment's files are expected under `cwd`: --dir, else ./.redis-ha/<name>. */
export function deploymentDir(options: { name?: string; dir?: string }, cwd: string): string {
  return options.dir ? resolve(cwd, options.dir) : defaultOutDir(deploymentName(options, cwd), cwd);
}

export const deploymentName = (options: { name?: string }, cwd: string) => options.name ?? defaultDeploymentName(cwd);

/** True when `dir` holds a rendered deployment. */
export const hasDeployment = (dir: string) => existsSync(join(dir, TOPOLOGY_FILE));

export async function readDeployment(dir: string): Promise<DeploymentFiles> {
  let topologyText: string;
  try {
    topologyText = await readFile(join(dir, TOPOLOGY_FILE), 'utf8');
  } catch {
    throw new UsageError(
      `no rendered deployment in ${dir} (${TOPOLOGY_FILE} not found)`,
      'deploy it first (`redis-ha deploy <preset>`), or point at it with --name / --dir',
    );
  }
  const env = await readFile(join(dir, ENV_FILE), 'utf8').catch(() => '');
  return {
    dir,
    composeFile: join(dir, COMPOSE_FILE),
    topology: JSON.parse(topologyText) as Topology,
    password: env.match(/^REDIS_PASSWORD=(.*)$/m)?.[1]?.trim() ?? '',
  };
}
