// The yargs definition of `redis-ha deploy`; deploy.ts (the runtime, probes) is loaded when it runs.
import type { Argv, CommandModule } from 'yargs';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { nodeHostOption } from './deployment-options.js';
import { forceOption, presetPositional, withTopologyOptions } from './topology-options.js';

const builder = (y: Argv<GlobalArgs>) =>
  withTopologyOptions(presetPositional(y, true))
    .option('force', forceOption)
    .option('timeout', { type: 'number', default: 120, describe: 'Seconds to wait for health' })
    .option('wait', { type: 'boolean', default: true, describe: 'Wait for health (--no-wait: return after compose up)' })
    .option('show-secrets', { type: 'boolean', describe: 'Print the password in the connection snippets' })
    .option('strategy', {
      choices: ['rolling', 'recreate'] as const,
      default: 'rolling' as const,
      describe: 'Onto a live deployment: rolling (one node at a time, switchover before the master) or recreate (every changed service at once)',
    })
    .option('node-host', nodeHostOption)
    .example('$0 deploy sentinel', 'Master, 2 replicas, 3 Sentinels on 127.0.0.1:7001-7003 and 7101-7103')
    .example('$0 deploy full --replicas 3', 'Onto a live deployment: adds redis-4, nothing else restarts')
    .option('restore', { type: 'string', describe: 'Start a NEW deployment from a backup (an .rdb written by `redis-ha backup`; of a cluster, its directory)' })
    .example('$0 deploy sentinel --name shop2 --port-base 8000 --restore shop-20250101T120000Z.rdb', 'A new deployment holding the data of a backup')
    .example('$0 deploy full --profile fast', 'With HAProxy (writes :7200, reads :7201) and 1 s failure detection')
    .example('$0 deploy sentinel --name b --port-base 8000', 'A second deployment beside the first')
    .example('$0 deploy cluster --shards 3 --replicas-per-shard 1', 'A Redis Cluster: redis-1..6 on 127.0.0.1:7001-7006 (bus +10000), created by redis-ha')
    .example('$0 deploy cluster --shards 4', 'Onto a live 3-shard cluster: starts redis-7 (master) and redis-8, moves a quarter of the slots to it under load')
    .example('$0 deploy full --target swarm --node-host node1=unix:///run/redis-ha-lab/node1/docker.sock ...', 'On a swarm (DOCKER_HOST: a manager), one --node-host per node');

export const deployCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'deploy [preset]',
  describe: 'Render, start with Docker Compose or as a Swarm stack, and wait until every check is green',
  builder,
  handler: async (args) => {
    const { deploy, printDeployResult, deployStepSummary } = await import('./deploy.js');
    const result = await deploy({ ...args, progress: !args.json }, await cli.context());
    printDeployResult(result, Boolean(args.json), cli.io);
    await deployStepSummary(result, cli.io);
  },
});
