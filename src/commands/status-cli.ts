// The yargs definition of `redis-ha status`; status.ts (the runtime, probes) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { withDeploymentOptions, withTargetOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withTargetOptions(
    withDeploymentOptions(y)
      .option('watch', { type: 'boolean', describe: 'Refresh every second until Ctrl-C' })
  )
    .example('$0 status', 'The deployment in ./.redis-ha')
    .example('$0 status --name shop --json', 'As JSON, with the natMap for host-side clients')
    .example('$0 status --name shop >/dev/null && echo ready', 'Gate a CI job on health');

export const statusCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'status',
  describe: 'Show every node, Sentinel, HAProxy backend and the exporter; exit 0 only when healthy',
  builder,
  handler: async (args) => {
    const { printStatus, status, statusStepSummary, watchStatus } = await import('./status.js');
    const ctx = await cli.context();
    let snapshot;
    if (args.watch && !args.json) {
      snapshot = await watchStatus({ ...args, intervalMs: 1000 }, ctx);
    } else {
      snapshot = await status(args, ctx);
      printStatus(snapshot, Boolean(args.json), cli.io);
    }
    await statusStepSummary(snapshot, cli.io);
    cli.setExit(snapshot.healthy ? EXIT.ok : EXIT.failed);
  },
});
