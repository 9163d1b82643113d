// The yargs definition of `redis-ha validate`; validate.ts (zod, yaml) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { presetPositional, withTopologyOptions } from './topology-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withTopologyOptions(presetPositional(y, false))
    .example('$0 validate --file topology.yaml', 'Check a topology file')
    .example('$0 validate sentinel --quorum 1 --json', 'As JSON, for CI');

export const validateCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'validate [preset]',
  describe: 'Check a topology and print every problem and warning (writes nothing)',
  builder,
  handler: async (args) => {
    const { printValidateResult, validate } = await import('./validate.js');
    const result = await validate(args, cli.io);
    printValidateResult(result, Boolean(args.json), cli.io);
    if (!result.valid) cli.setExit(EXIT.usage);
  },
});
