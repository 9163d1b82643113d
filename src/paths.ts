// Where the package's own data (templates, presets) lives, wherever it is installed.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('redis-ha: cannot find its package.json');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
export const PRESETS_DIR = join(PACKAGE_ROOT, 'presets');

/** Written by deploy on swarm, not by render: how to reach each node's engine (files/node-hosts.ts). */
export const NODE_HOSTS_FILE = 'nodes.json';
/** A rolling deploy's staged stack file on swarm (operations/stack-rollout.ts), beside stack.yaml while it runs. */
export const STACK_STAGE_FILE = '.stack-rollout.yaml';

/** Written by deploy, not by render: modules and a dotenv file for applications' tests (report/client-modules.ts). */
export const CLIENTS_DIR = 'clients';
export const isClientFile = (path: string) => path.startsWith(`${CLIENTS_DIR}/`);

/** Default output directory of a deployment, relative to the working directory. */
export const defaultOutDir = (name: string, cwd: string) => join(cwd, '.redis-ha', name);
