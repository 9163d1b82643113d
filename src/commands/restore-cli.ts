// The yargs definition of `redis-ha restore`; restore.ts (the runtime, probes) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { nodeHostOption, withDeploymentOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withDeploymentOptions(y.positional('file', { type: 'string', demandOption: true, describe: 'The .rdb written by `redis-ha backup` (its .rdb.json beside it); of a cluster, the directory it wrote' }))
    .option('yes', { type: 'boolean', describe: 'Really replace every node\'s data' })
    .option('timeout', { type: 'number', default: 120, describe: 'Seconds for each wait (load, sync, health)' })
    .option('node-host', nodeHostOption)
    .example('$0 restore shop-20250101T120000Z.rdb --name shop', 'Says what would be replaced; changes nothing (exit 2)')
    .example('$0 restore shop-20250101T120000Z.rdb --name shop --yes', 'Replaces the data; every node is checked against the backup')
    .example('$0 deploy sentinel --name shop2 --port-base 8000 --restore shop.rdb', 'A new deployment from a backup instead');

export const restoreCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'restore <file>',
  describe: "Replace a deployment's data with a backup (checked first; without --yes only says what it would replace)",
  builder,
  handler: async (args) => {
    const { printRestore, restore } = await import('./restore.js');
    printRestore(await restore({ ...args, progress: !args.json }, await cli.context()), Boolean(args.json), cli.io);
  },
});
