// The yargs definition of `redis-ha rotate-secrets`; rotate-secrets.ts (the runtime, probes) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import { SECRET_NAMES } from '../synth/secrets.js';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { nodeHostOption, withDeploymentOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withDeploymentOptions(y)
    .option('user', { type: 'string', array: true, choices: [...SECRET_NAMES], describe: 'Only this user (repeatable) [default: every user]' })
    .option('finish', { type: 'boolean', describe: 'Remove the old passwords (refused while a consumer still holds one)' })
    .option('node-host', nodeHostOption)
    .option('timeout', { type: 'number', default: 120, describe: 'Swarm: seconds each rolling deploy may wait for health' })
    .example('$0 rotate-secrets --name shop', 'Every user: new passwords accepted, consumers moved; prints what clients must change')
    .example('$0 rotate-secrets --name shop --finish', 'Once clients use secrets/app: the old passwords are refused')
    .example('$0 rotate-secrets --name shop --user app --user health', 'Only these users')
    .epilog('On swarm (secrets and configs are immutable objects) each run ends in a rolling deploy: one service at a time, a switchover before the master; --finish rolls out the configs without the old hashes and removes the old objects.');

export const rotateSecretsCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'rotate-secrets',
  describe: 'New secrets without downtime: add new passwords beside the old ones and move every internal consumer to them; --finish removes the old ones',
  builder,
  handler: async (args) => {
    const { printRotateSecrets, rotateSecrets } = await import('./rotate-secrets.js');
    printRotateSecrets(await rotateSecrets(args, await cli.context()), Boolean(args.json), cli.io);
  },
});
