// The flags every command acting on an existing deployment shares: which deployment (--name,
// --dir), and for the commands that reach every node, which engine(s) it runs on.
import type { Argv } from 'yargs';
import { TARGETS } from '../model/names.js';

export const nodeHostOption = {
  type: 'string',
  array: true,
  describe: 'Swarm: NODE=DOCKER_HOST (unix://, ssh://, tcp://) of each node\'s engine, repeatable [default: recorded at deploy, else a Docker context named like the node]',
} as const;

/** --name / --dir: where the deployment's files are (see locate.ts). */
export function withDeploymentOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('name', { type: 'string', describe: 'Deployment name [default: the only one in ./.redis-ha, else redis-ha]' })
    .option('dir', { type: 'string', describe: 'Deployment directory (instead of --name)' });
}

/** --target / --node-host: the engine(s) the deployment runs on. */
export function withTargetOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('target', { type: 'string', choices: TARGETS, describe: 'compose or swarm [default: the deployment\'s own target]' })
    .option('node-host', nodeHostOption);
}
