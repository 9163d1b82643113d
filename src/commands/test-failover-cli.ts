// The yargs definition of `redis-ha test-failover`. Its help lists the scenarios from their
// table (failover/scenarios.ts, which loads the probes): so the builder is async, and runs only
// for this command, which loads them anyway.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import type { BuiltArgs, CommandLine, GlobalArgs } from './context.js';
import { withDeploymentOptions, withTargetOptions } from './deployment-options.js';

/** The scenarios, from their tables: "all, kill-master, ...; on swarm also ...; on a cluster ...". */
async function scenarioList(): Promise<string> {
  const { NEEDS, SCENARIO_NAMES, scenario } = await import('../failover/scenarios.js');
  const { CLUSTER_SCENARIO_NAMES } = await import('../failover/cluster-scenarios.js');
  const swarm = SCENARIO_NAMES.filter((n) => scenario(n).needs.includes(NEEDS.swarm));
  const everywhere = SCENARIO_NAMES.filter((n) => !swarm.includes(n));
  return `all, ${everywhere.join(', ')}; on swarm also ${swarm.join(', ')}; on a cluster (one shard each, in turn): ${CLUSTER_SCENARIO_NAMES.join(', ')}`;
}

const builder = async (y: Argv<GlobalArgs>) => {
  const scenarios = await scenarioList();
  return withTargetOptions(
    withDeploymentOptions(y)
      .option('scenario', {
        type: 'string',
        array: true,
        describe: `Scenario to run (repeatable): ${scenarios} [default: those that fit the deployment]`,
      })
      .option('rate', { type: 'number', default: 200, describe: 'Writes per second on each client path' })
      .option('durability', { choices: ['async', 'wait'] as const, default: 'async' as const, describe: 'wait: acknowledge a write only after WAIT 1 (a replica has it)' })
      .option('report', { type: 'string', describe: 'Write a self-contained HTML timeline report to this file' })
      .option('junit', { type: 'string', describe: 'Write a JUnit XML report (one testcase per scenario, figures as properties) for CI test reporters' })
      .option('max-write-gap-ms', { type: 'number', describe: "Gate: fail a scenario whose write gap (Sentinel-client path, and HAProxy path where there is one; on a cluster the faulted shard's slots and the other shards') exceeds N ms" })
      .option('max-lost-acked', { type: 'number', describe: 'Gate: fail a scenario that loses more than N acknowledged writes [default: 0 with --durability wait]' })
      .option('max-failed-writes', { type: 'number', describe: 'Gate: fail a scenario with more than N failed writes on any client path' })
      .option('node-fault', { type: 'string', describe: 'kill-node: containers (kill the deployment\'s containers on the node, drain it) or engine (lab nodes: kill the node\'s whole engine, a power loss) [default: containers]' })
      .option('partition', { type: 'string', describe: 'partition-node: network (disconnect the node\'s containers from the overlay) or link (lab nodes: the node\'s link down) [default: network]' }),
  )
    .example('$0 test-failover --name shop', 'Every scenario that fits the preset')
    .example('$0 test-failover --scenario kill-node --node-fault engine --durability wait', 'On the lab: a node whose whole engine dies')
    .example('$0 test-failover --scenario kill-master --durability wait --json', 'One scenario, WAIT after each write, as JSON')
    .example('$0 test-failover --scenario all --report failover.html', 'With an HTML timeline per scenario')
    .example('$0 test-failover --name shards --scenario kill-master --durability wait --json', "A cluster: a shard's master killed; write gaps on its slots and on the other shards', failover time beside cluster-node-timeout")
    .example('$0 test-failover --scenario kill-master --max-write-gap-ms 5000 --durability wait --junit failover.xml', 'A CI gate: exit 1 if a write gap exceeds 5 s or an acknowledged write is lost; JUnit for the job\'s test report')
    .epilog('Exit status: 0 every scenario passed (and kept within the limits), 1 one failed (its figure and the limit are named), 2 bad input (nothing was touched), 130 interrupted (every fault healed). A limit on a figure a scenario does not measure is reported as not applicable, never as passed.');
};

export const testFailoverCommand = (cli: CommandLine): CommandModule<GlobalArgs, BuiltArgs<typeof builder>> => ({
  command: 'test-failover',
  describe: 'Inject failures (kill, stop, pause, partition the master; Sentinels down; replica restart; on a cluster a shard master, a whole shard, every node) under load and report outage, lost writes, dual masters',
  builder,
  handler: async (args) => {
    const { printTestFailover, testFailover } = await import('./test-failover.js');
    const result = await testFailover(args, await cli.context());
    printTestFailover(result, Boolean(args.json), cli.io);
    cli.setExit(result.passed ? EXIT.ok : EXIT.failed);
  },
});
