// The yargs definition of `redis-ha backup`; backup.ts (the runtime, probes) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { nodeHostOption, withDeploymentOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withDeploymentOptions(y)
    .option('out', { type: 'string', describe: 'The RDB file to write (mode 0600; FILE.json beside it) [default: ./<name>-<UTC time>.rdb]; a cluster: the directory to create (shard-<n>.rdb, manifest.json) [default: ./<name>-<UTC time>]' })
    .option('timeout', { type: 'number', default: 600, describe: 'Seconds to wait for the BGSAVE' })
    .option('node-host', nodeHostOption)
    .example('$0 backup --name shop', 'Writes ./shop-20250101T120000Z.rdb and ./shop-20250101T120000Z.rdb.json')
    .example('$0 backup --name shop --out /backups/shop.rdb --json', 'To a chosen file, the manifest as JSON on stdout');

export const backupCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'backup',
  describe: 'Save a consistent RDB of a deployment (taken on a replica) with a JSON manifest beside it; of a cluster, one per shard',
  builder,
  handler: async (args) => {
    const { backup, printBackup } = await import('./backup.js');
    printBackup(await backup(args, await cli.context()), Boolean(args.json), cli.io);
  },
});
