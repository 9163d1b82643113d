// The yargs definition of `redis-ha render`; render.ts (zod, yaml, handlebars) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { forceOption, presetPositional, withTopologyOptions } from './topology-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withTopologyOptions(presetPositional(y, true))
    .option('force', forceOption)
    .example('$0 render sentinel', 'Files for 1 master, 2 replicas, 3 Sentinels in ./.redis-ha/redis-ha/')
    .example('$0 render full --name shop --port-base 8000', 'A second deployment beside the first')
    .example('$0 render --file topology.yaml --replicas 3', 'A topology file, with one field overridden');

export const renderCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'render [preset]',
  describe: 'Write the compose file and every config of a topology (starts nothing)',
  builder,
  handler: async (args) => {
    const { printRenderResult, render } = await import('./render.js');
    printRenderResult(await render(args, cli.io), Boolean(args.json), cli.io);
  },
});
