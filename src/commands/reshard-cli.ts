// The yargs definition of `redis-ha reshard`; reshard.ts (the probes, the client) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { withDeploymentOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withDeploymentOptions(y)
    .option('slots', { type: 'string', demandOption: true, describe: 'The hash slots to move: FIRST-LAST or one slot (0-16383; `status` shows which master serves which)' })
    .option('to', { type: 'string', demandOption: true, describe: 'The master that serves them afterwards, e.g. redis-2' })
    .option('rate', { type: 'number', default: 100, describe: 'Writes per second of a cluster client that measures the move (0: none)' })
    .option('timeout', { type: 'number', default: 600, describe: 'Seconds for the whole move' })
    .example('$0 reshard --name shards --slots 5000-5460 --to redis-2', 'Move 461 slots and their keys to redis-2, while a client writes and measures')
    .example('$0 reshard --name shards --slots 0-99 --to redis-3 --json | jq .writes', 'What the writing client saw, as JSON');

export const reshardCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'reshard',
  describe: "A cluster: move hash slots and their keys to another master while clients write (Redis's MIGRATING / IMPORTING / MIGRATE procedure)",
  builder,
  handler: async (args) => {
    const { printReshard, reshard } = await import('./reshard.js');
    const result = await reshard(args, await cli.context());
    printReshard(result, Boolean(args.json), cli.io);
  },
});
