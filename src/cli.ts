#!/usr/bin/env node
// The command line: parses argv, calls the command functions, maps errors to exit codes.
// The one file that touches `process`: it builds the Io, the Runtime and the AbortSignal every
// command receives, and owns SIGINT / SIGTERM. Nothing below it calls process.exit().
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { presets, printPresets } from './commands/presets.js';
import { printRenderResult, render } from './commands/render.js';
import { withTopologyOptions, PRESET_CHOICES, type TopologyArgs } from './commands/topology-options.js';
import { nodeHostOption, withDeploymentOptions, withTargetOptions } from './commands/deployment-options.js';
import { printValidateResult, validate } from './commands/validate.js';
import { deploy, printDeployResult, type DeployOptions } from './commands/deploy.js';
import { printStatus, status, watchStatus } from './commands/status.js';
import { cleanup, printCleanup } from './commands/cleanup.js';
import { printTestFailover, testFailover, type TestFailoverOptions } from './commands/test-failover.js';
import { backup, printBackup } from './commands/backup.js';
import { printRestore, restore } from './commands/restore.js';
import { printSwitchover, switchover, type SwitchoverOptions } from './commands/switchover.js';
import { labCommand } from './commands/lab-cli.js';
import { printRotateSecrets, rotateSecrets, type RotateSecretsOptions } from './commands/rotate-secrets.js';
import { LastResort } from './commands/last-resort.js';
import { SECRET_NAMES } from './synth/secrets.js';
import { NEEDS, SCENARIO_NAMES, scenario } from './failover/scenarios.js';
import type { CommandContext } from './commands/context.js';
import { EXIT, RedisHaError, UsageError } from './errors.js';
import { lines, type Io } from './io.js';
import { TopologyError } from './model/problems.js';
import { disableColor, formatProblems, printJson, style } from './report/style.js';
import { RuntimeFactory } from './runtime/factory.js';

export interface GlobalArgs {
  json?: boolean;
  verbose?: boolean;
}

const presetPositional = <T>(y: Argv<T>, required: boolean) =>
  y.positional('preset', {
    type: 'string',
    describe: `Preset: ${PRESET_CHOICES.join(', ')}${required ? '' : ' (or "preset:" in --file)'}`,
  });

/** The scenarios, from their table: "all, kill-master, ...; on compose also ...; on swarm also ...". */
const scenarioList = () => {
  const only = (need: (typeof NEEDS)[keyof typeof NEEDS]) => SCENARIO_NAMES.filter((n) => scenario(n).needs.includes(need));
  const [compose, swarm] = [only(NEEDS.compose), only(NEEDS.swarm)];
  const everywhere = SCENARIO_NAMES.filter((n) => !compose.includes(n) && !swarm.includes(n));
  return `all, ${everywhere.join(', ')}; on compose also ${compose.join(', ')}; on swarm also ${swarm.join(', ')}`;
};

const forceOption = { type: 'boolean', describe: 'Write into a directory holding files redis-ha did not create' } as const;

export function buildCli(argv: string[], ctx: CommandContext, setExit: (code: number) => void) {
  const { io } = ctx;
  const cli = yargs(argv)
    .scriptName('redis-ha')
    .usage(
      '$0 <command> [options]\n\nHighly available Redis on Docker Compose: render a topology, deploy it, check it, prove its failover, clean it up.',
    )
    .option('json', { type: 'boolean', describe: 'Machine-readable output on stdout', global: true })
    .option('verbose', { type: 'boolean', describe: 'Show stack traces and command output on errors', global: true })
    .command(
      'render [preset]',
      'Write the compose file and every config of a topology (starts nothing)',
      (y) =>
        withTopologyOptions(presetPositional(y, true))
          .option('force', forceOption)
          .example('$0 render sentinel', 'Files for 1 master, 2 replicas, 3 Sentinels in ./.redis-ha/redis-ha/')
          .example('$0 render full --name shop --port-base 8000', 'A second deployment beside the first')
          .example('$0 render --file topology.yaml --replicas 3', 'A topology file, with one field overridden'),
      async (args) => printRenderResult(await render(args as TopologyArgs, io), Boolean(args.json), io),
    )
    .command(
      'validate [preset]',
      'Check a topology and print every problem and warning (writes nothing)',
      (y) =>
        withTopologyOptions(presetPositional(y, false))
          .example('$0 validate --file topology.yaml', 'Check a topology file')
          .example('$0 validate sentinel --quorum 1 --json', 'As JSON, for CI'),
      async (args) => {
        const result = await validate(args as TopologyArgs, io);
        printValidateResult(result, Boolean(args.json), io);
        if (!result.valid) setExit(EXIT.usage);
      },
    )
    .command(
      'deploy [preset]',
      'Render, start with Docker Compose, and wait until every check is green',
      (y) =>
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
          .option('restore', { type: 'string', describe: 'Start a NEW deployment from a backup (an .rdb written by `redis-ha backup`)' })
          .example('$0 deploy sentinel --name shop2 --port-base 8000 --restore shop-20250101T120000Z.rdb', 'A new deployment holding the data of a backup')
          .example('$0 deploy full --profile fast', 'With HAProxy (writes :7200, reads :7201) and 1 s failure detection')
          .example('$0 deploy sentinel --name b --port-base 8000', 'A second deployment beside the first')
          .example('$0 deploy full --target swarm --node-host node1=unix:///run/redis-ha-lab/node1/docker.sock ...', 'On a swarm (DOCKER_HOST: a manager), one --node-host per node'),
      async (args) => {
        const result = await deploy({ ...(args as DeployOptions), progress: !args.json }, ctx);
        printDeployResult(result, Boolean(args.json), io);
      },
    )
    .command(
      'status',
      'Show every node, Sentinel, HAProxy backend and the exporter; exit 0 only when healthy',
      (y) =>
        withTargetOptions(
          withDeploymentOptions(y)
            .option('watch', { type: 'boolean', describe: 'Refresh every second until Ctrl-C' })
        )
          .example('$0 status', 'The deployment in ./.redis-ha')
          .example('$0 status --name shop --json', 'As JSON, with the natMap for host-side clients')
          .example('$0 status --name shop >/dev/null && echo ready', 'Gate a CI job on health'),
      async (args) => {
        let snapshot;
        if (args.watch && !args.json) {
          snapshot = await watchStatus({ ...args, intervalMs: 1000 }, ctx);
        } else {
          snapshot = await status(args, ctx);
          printStatus(snapshot, Boolean(args.json), io);
        }
        setExit(snapshot.healthy ? EXIT.ok : EXIT.failed);
      },
    )
    .command(
      'cleanup',
      "Remove a deployment's containers, network, volumes and generated files",
      (y) =>
        withTargetOptions(
          withDeploymentOptions(y)
            .option('keep-data', { type: 'boolean', describe: 'Keep the data volumes and the secrets (secrets/<user>) for a later deploy' })
            .option('keep-files', { type: 'boolean', describe: 'Keep the generated files' })
            .option('all', { type: 'boolean', describe: 'Every redis-ha deployment on this engine (found by label)' })
        )
          .example('$0 cleanup', 'Remove the deployment in ./.redis-ha')
          .example('$0 cleanup --name shop --keep-data', 'Remove containers, keep the data for the next deploy')
          .example('$0 cleanup --all', 'Remove every redis-ha deployment'),
      async (args) => printCleanup(await cleanup(args, ctx), Boolean(args.json), io),
    )
    .command(
      'backup',
      'Save a consistent RDB of a deployment (taken on a replica) with a JSON manifest beside it',
      (y) =>
        withDeploymentOptions(y)
          .option('out', { type: 'string', describe: 'The RDB file to write (mode 0600; FILE.json beside it) [default: ./<name>-<UTC time>.rdb]' })
          .option('timeout', { type: 'number', default: 600, describe: 'Seconds to wait for the BGSAVE' })
          .option('node-host', nodeHostOption)
          .example('$0 backup --name shop', 'Writes ./shop-20250101T120000Z.rdb and ./shop-20250101T120000Z.rdb.json')
          .example('$0 backup --name shop --out /backups/shop.rdb --json', 'To a chosen file, the manifest as JSON on stdout'),
      async (args) => printBackup(await backup(args, ctx), Boolean(args.json), io),
    )
    .command(
      'restore <file>',
      "Replace a deployment's data with a backup (checked first; without --yes only says what it would replace)",
      (y) =>
        withDeploymentOptions(y.positional('file', { type: 'string', demandOption: true, describe: 'The .rdb written by `redis-ha backup` (its .rdb.json beside it)' }))
          .option('yes', { type: 'boolean', describe: 'Really replace every node\'s data' })
          .option('timeout', { type: 'number', default: 120, describe: 'Seconds for each wait (load, sync, health)' })
          .example('$0 restore shop-20250101T120000Z.rdb --name shop', 'Says what would be replaced; changes nothing (exit 2)')
          .example('$0 restore shop-20250101T120000Z.rdb --name shop --yes', 'Replaces the data; every node is checked against the backup')
          .example('$0 deploy sentinel --name shop2 --port-base 8000 --restore shop.rdb', 'A new deployment from a backup instead'),
      async (args) => printRestore(await restore({ ...args, file: args.file as string, progress: !args.json }, ctx), Boolean(args.json), io),
    )
    .command(
      'test-failover',
      'Inject failures (kill, stop, pause, partition the master; Sentinels down; replica restart) under load and report outage, lost writes, dual masters',
      (y) =>
        withTargetOptions(
          withDeploymentOptions(y)
            .option('scenario', {
              type: 'string',
              array: true,
              describe: `Scenario to run (repeatable): ${scenarioList()} [default: those that fit the deployment]`,
            })
            .option('rate', { type: 'number', default: 200, describe: 'Writes per second on each client path' })
            .option('durability', { choices: ['async', 'wait'] as const, default: 'async' as const, describe: 'wait: acknowledge a write only after WAIT 1 (a replica has it)' })
            .option('report', { type: 'string', describe: 'Write a self-contained HTML timeline report to this file' })
            .option('node-fault', { type: 'string', describe: 'kill-node: containers (kill the deployment\'s containers on the node, drain it) or engine (lab nodes: kill the node\'s whole engine, a power loss) [default: containers]' })
            .option('partition', { type: 'string', describe: 'partition-node: network (disconnect the node\'s containers from the overlay) or link (lab nodes: the node\'s link down) [default: network]' }),
        )
          .example('$0 test-failover --name shop', 'Every scenario that fits the preset')
          .example('$0 test-failover --scenario kill-node --node-fault engine --durability wait', 'On the lab: a node whose whole engine dies')
          .example('$0 test-failover --scenario kill-master --durability wait --json', 'One scenario, WAIT after each write, as JSON')
          .example('$0 test-failover --scenario all --report failover.html', 'With an HTML timeline per scenario'),
      async (args) => {
        const result = await testFailover(args as TestFailoverOptions, ctx);
        printTestFailover(result, Boolean(args.json), io);
        setExit(result.passed ? EXIT.ok : EXIT.failed);
      },
    )
    .command(
      'switchover',
      'Move the master to a replica with no acknowledged write lost: pause writes, let Sentinel fail over, unpause',
      (y) =>
        withDeploymentOptions(y)
          .option('to', { type: 'string', describe: 'The replica to promote, e.g. redis-2 [default: the most up-to-date replica Sentinel picks]' })
          .option('timeout', { type: 'number', default: 60, describe: 'Seconds for the whole switchover' })
          .example('$0 switchover', 'Hand the master role of the deployment in ./.redis-ha to a replica')
          .example('$0 switchover --name shop --to redis-3', 'Promote redis-3 (the other replicas are steered away, then restored)')
          .example('$0 switchover --json | jq .timings', 'How long writes were paused, and why'),
      async (args) => {
        const result = await switchover(args as SwitchoverOptions, ctx);
        printSwitchover(result, Boolean(args.json), io);
      },
    )
    .command(
      'rotate-secrets',
      'New secrets without downtime: add new passwords beside the old ones and move every internal consumer to them; --finish removes the old ones',
      (y) =>
        withDeploymentOptions(y)
          .option('user', { type: 'string', array: true, choices: [...SECRET_NAMES], describe: 'Only this user (repeatable) [default: every user]' })
          .option('finish', { type: 'boolean', describe: 'Remove the old passwords (refused while a consumer still holds one)' })
          .example('$0 rotate-secrets --name shop', 'Every user: new passwords accepted, consumers moved; prints what clients must change')
          .example('$0 rotate-secrets --name shop --finish', 'Once clients use secrets/app: the old passwords are refused')
          .example('$0 rotate-secrets --name shop --user app --user health', 'Only these users'),
      async (args) => printRotateSecrets(await rotateSecrets(args as RotateSecretsOptions, ctx), Boolean(args.json), io),
    )
    .command(labCommand(ctx, setExit))
    .command(
      'presets',
      'List the presets, one line each',
      (y) => y.example('$0 presets --json', 'As JSON'),
      async (args) => printPresets(await presets(), Boolean(args.json), io),
    );
  return cli
    .example('$0 deploy sentinel', 'Master, 2 replicas, 3 Sentinels; waits until healthy, prints endpoints')
    .example('$0 validate --file topology.yaml', 'Every problem of a topology file at once')
    .example('$0 status --json', 'Health as JSON (exit 0 only when healthy)')
    .example('$0 test-failover --report failover.html', 'Break it on purpose, measure, write a report')
    .example('$0 cleanup', 'Remove the deployment without a trace')
    .demandCommand(1, 'Name a command; see the list above.')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(110, io.columns))
    .epilogue(
      'Exit codes: 0 ok, 1 unhealthy or a check/scenario failed, 2 bad input (nothing changed), 3 environment not ready (Docker, ports, images), 70 internal error (a bug), 130 interrupted.\nDocs: README.md. Colors: set NO_COLOR=1 to turn them off.',
    )
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message ?? 'invalid command line', 'run `redis-ha --help`, or `redis-ha <command> --help`');
    });
}

function report(err: unknown, io: Io, json: boolean, verbose: boolean): number {
  const { err: say } = lines(io);
  if (err instanceof TopologyError) {
    if (json) printJson(io.stdout, { ok: false, errors: err.problems.filter((p) => p.severity === 'error'), warnings: err.problems.filter((p) => p.severity === 'warning') });
    else say(`${formatProblems(err.problems)}\n${style.bad(`redis-ha: ${err.message}; nothing was written`)}`);
    return EXIT.usage;
  }
  if (err instanceof Error && err.name === 'AbortError') {
    // Interrupted before a command could say in what state it left things.
    if (json) printJson(io.stdout, { ok: false, error: 'interrupted' });
    else say(style.bad('redis-ha: interrupted'));
    return EXIT.interrupted;
  }
  if (err instanceof RedisHaError) {
    if (json) printJson(io.stdout, { ok: false, error: err.message, hint: err.hint });
    else say(style.bad(`redis-ha: ${err.message}`) + (err.hint ? `\n  hint: ${err.hint}` : ''));
    if (verbose && err.cause) say(String((err.cause as Error).stack ?? err.cause));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (json) printJson(io.stdout, { ok: false, error: message });
  else say(style.bad(`redis-ha: unexpected error: ${message}`) + (verbose ? '' : '\n  (run again with --verbose for details)'));
  if (verbose) say(String((err as Error)?.stack ?? err));
  return EXIT.failed;
}

export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  let exitCode: number = EXIT.ok;
  try {
    await buildCli(argv, ctx, (code) => (exitCode = code)).parseAsync();
    return exitCode;
  } catch (err) {
    return report(err, ctx.io, json, verbose);
  }
}

if (process.env.NO_COLOR) disableColor();
const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  live: Boolean(process.stderr.isTTY) && !process.env.CI,
  columns: process.stdout.columns || process.stderr.columns || 100,
  cwd: process.cwd(),
};
const runtimes = new RuntimeFactory(process.env);
// One interrupt path. The first Ctrl-C / SIGTERM aborts the signal: each command stops at its
// next stage and says in what state it leaves things (deploy lets a running `compose up`
// finish, test-failover heals every fault). The children run in their own process group, so
// the terminal's Ctrl-C reaches only this process. A second one forces: children killed, exit 130.
const interrupt = new AbortController();
const onSignal = (sig: NodeJS.Signals) => {
  if (!interrupt.signal.aborted) {
    process.stderr.write(`\n${sig}: stopping at the next safe point (press Ctrl-C again to quit at once, leaving work half-done)\n`);
    interrupt.abort();
    return;
  }
  const killed = runtimes.killChildren();
  process.stderr.write(`\n${sig} again: quitting now${killed ? ` (ended ${killed} running docker command(s))` : ''}; check with \`redis-ha status\`\n`);
  process.exit(EXIT.interrupted);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Children never outlive redis-ha (execa does not clean up detached children itself).
process.on('exit', () => runtimes.killChildren());
// An error nothing caught is a bug: reported, then the command stops as on Ctrl-C (and heals)
// instead of Node ending the process with faults still injected; exit 70. If the command has
// not stopped two minutes later, quit (a second Ctrl-C quits at once, as always).
const lastResort = new LastResort({
  stderr: process.stderr,
  verbose: process.argv.includes('--verbose'),
  stop: () => {
    if (!interrupt.signal.aborted) interrupt.abort();
    setTimeout(() => {
      process.stderr.write('redis-ha: did not stop within 120 s of the internal error; quitting, check with `redis-ha status`\n');
      process.exit(EXIT.internal);
    }, 120_000).unref();
  },
});
process.on('unhandledRejection', (err) => {
  lastResort.handle('unhandledRejection', err);
  process.exitCode = lastResort.exitCode(Number(process.exitCode ?? 0));
});
process.on('uncaughtException', (err) => {
  lastResort.handle('uncaughtException', err);
  process.exitCode = lastResort.exitCode(Number(process.exitCode ?? 0));
});
process.exitCode = lastResort.exitCode(await main(hideBin(process.argv), { runtime: runtimes.default, runtimeFor: runtimes.runtimeFor, signal: interrupt.signal, io }));
