// The yargs definition of `redis-ha presets`; presets.ts (yaml, zod) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';

const builder = (y: Argv<GlobalArgs>) => y.example('$0 presets --json', 'As JSON');

export const presetsCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'presets',
  describe: 'List the presets, one line each',
  builder,
  handler: async (args) => runPresets(Boolean(args.json), cli),
});

/** The command itself: also what the command line runs for a bare `presets` without parsing argv (see cli/fast-path.ts). */
export async function runPresets(json: boolean, cli: Pick<CommandLine, 'io'>): Promise<void> {
  const { presets, printPresets } = await import('./presets.js');
  printPresets(await presets(), json, cli.io);
}
