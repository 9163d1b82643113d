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
export function defaultDeploymentName(cwd = process.cwd()): string {
  const root = join(cwd, '.redis-ha');
  if (!existsSync(root)) return 'redis-ha';
  const names = readdirSync(root).filter((n) => existsSync(join(root, n, TOPOLOGY_FILE)));
  return names.length === 1 ? names[0]! : 'redis-ha';
}

export function deploymentDir(options: { name?: string; dir?: string }): string {
  return options.dir ? resolve(options.dir) : defaultOutDir(options.name ?? defaultDeploymentName());
}

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
