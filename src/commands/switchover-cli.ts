// The yargs definition of `redis-ha switchover`; switchover.ts (the runtime, probes) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { nodeHostOption, withDeploymentOptions } from './deployment-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withDeploymentOptions(y)
    .option('to', { type: 'string', describe: 'The replica to promote, e.g. redis-2 [default: the most up-to-date replica Sentinel picks; on a cluster the most caught-up replica of the shard]' })
    .option('shard', { type: 'number', describe: 'Cluster: the shard (1, 2, ... in slot order, as `status` lists them) whose master moves to a replica [default: every shard in turn]' })
    .option('timeout', { type: 'number', default: 60, describe: 'Seconds for the whole switchover' })
    .option('node-host', nodeHostOption)
    .example('$0 switchover', 'Hand the master role of the deployment in ./.redis-ha to a replica')
    .example('$0 switchover --name shop --to redis-3', 'Promote redis-3 (the other replicas are steered away, then restored)')
    .example('$0 switchover --json | jq .timings', 'How long writes were paused, and why')
    .example('$0 switchover --name shards --shard 2', "A cluster: CLUSTER FAILOVER on a replica of shard 2; the write gap a cluster client saw on its slots");

export const switchoverCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'switchover',
  describe: 'Move the master to a replica with no acknowledged write lost: pause writes, let Sentinel fail over, unpause (a cluster: CLUSTER FAILOVER per shard)',
  builder,
  handler: async (args) => {
    const { printSwitchover, switchover } = await import('./switchover.js');
    const result = await switchover(args, await cli.context());
    printSwitchover(result, Boolean(args.json), cli.io);
  },
});
