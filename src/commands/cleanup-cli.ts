// The yargs definition of `redis-ha cleanup`; cleanup.ts (the runtime) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { withDeploymentOptions, withTargetOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withTargetOptions(
    withDeploymentOptions(y)
      .option('keep-data', { type: 'boolean', describe: 'Keep the data volumes and the secrets (secrets/<user>) for a later deploy' })
      .option('keep-files', { type: 'boolean', describe: 'Keep the generated files' })
      .option('all', { type: 'boolean', describe: 'Every redis-ha deployment on this engine (found by label)' })
  )
    .example('$0 cleanup', 'Remove the deployment in ./.redis-ha')
    .example('$0 cleanup --name shop --keep-data', 'Remove containers, keep the data for the next deploy')
    .example('$0 cleanup --all', 'Remove every redis-ha deployment');

export const cleanupCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'cleanup',
  describe: "Remove a deployment's containers, network, volumes and generated files",
  builder,
  handler: async (args) => {
    const { cleanup, printCleanup } = await import('./cleanup.js');
    printCleanup(await cleanup(args, await cli.context()), Boolean(args.json), cli.io);
  },
});
