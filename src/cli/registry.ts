// The command registry: the program's usage, global options, examples and epilogue, and one
// line per command. Each command's options, help and handler live beside it
// (src/commands/*-cli.ts), which loads the command itself only when it runs.
import yargs, { type Argv, type CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { backupCommand } from '../commands/backup-cli.js';
import { cleanupCommand } from '../commands/cleanup-cli.js';
import type { CommandLine, GlobalArgs } from '../commands/context.js';
import { deployCommand } from '../commands/deploy-cli.js';
import { envCommand } from '../commands/env-cli.js';
import { labCommand } from '../commands/lab-cli.js';
import { presetsCommand } from '../commands/presets-cli.js';
import { renderCommand } from '../commands/render-cli.js';
import { reshardCommand } from '../commands/reshard-cli.js';
import { restoreCommand } from '../commands/restore-cli.js';
import { rotateSecretsCommand } from '../commands/rotate-secrets-cli.js';
import { statusCommand } from '../commands/status-cli.js';
import { switchoverCommand } from '../commands/switchover-cli.js';
import { testFailoverCommand } from '../commands/test-failover-cli.js';
import { validateCommand } from '../commands/validate-cli.js';
import { packageVersion } from './version.js';

/** A command of the registry; the arguments each one takes are typed in its own module. */
// The list mixes commands whose arguments differ; yargs' CommandModule is invariant in them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Command = (cli: CommandLine) => CommandModule<GlobalArgs, any>;

/** The commands, in the order `--help` lists them. */
const COMMANDS: Command[] = [
  renderCommand,
  validateCommand,
  deployCommand,
  statusCommand,
  envCommand,
  cleanupCommand,
  backupCommand,
  restoreCommand,
  testFailoverCommand,
  switchoverCommand,
  reshardCommand,
  rotateSecretsCommand,
  labCommand,
  presetsCommand,
];

/** The part of yargs' internals skipHelpLayout() reaches (not in its types). */
interface YargsUsage {
  cacheHelpMessage?: () => void;
}

/**
 * yargs lays out the whole help text of a command each time it runs its handler
 * (usage.cacheHelpMessage), to print it should the command fail. Our .fail() never prints it,
 * and the layout is 10-20 ms of every command's start (string widths of every option), so it
 * is skipped. --help itself lays the text out when asked, as before.
 */
function skipHelpLayout(instance: Argv<GlobalArgs>): Argv<GlobalArgs> {
  const internal = instance as unknown as { getInternalMethods?: () => { getUsageInstance?: () => YargsUsage } };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => undefined;
  return instance;
}

export function buildCli(argv: string[], cli: CommandLine): Argv<GlobalArgs> {
  return skipHelpLayout(buildYargs(argv, cli));
}

function buildYargs(argv: string[], cli: CommandLine): Argv<GlobalArgs> {
  return yargs(argv)
    .scriptName('redis-ha')
    .usage(
      '$0 <command> [options]\n\nHighly available Redis on Docker Compose or Docker Swarm: render a topology, deploy it, check it, prove its failover, clean it up.',
    )
    .option('json', { type: 'boolean', describe: 'Machine-readable output on stdout', global: true })
    .option('verbose', { type: 'boolean', describe: 'Show stack traces and command output on errors', global: true })
    .command(COMMANDS.map((command) => command(cli)))
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
    // The version given, not looked up: yargs would search package.json from its own location.
    .version(packageVersion())
    .wrap(Math.min(110, cli.io.columns))
    .epilogue(
      'Exit codes: 0 ok, 1 unhealthy or a check/scenario failed, 2 bad input (nothing changed), 3 environment not ready (Docker, ports, images), 70 internal error (a bug), 130 interrupted.\nDocs: README.md. Colors: set NO_COLOR=1 to turn them off.',
    )
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message ?? 'invalid command line', 'run `redis-ha --help`, or `redis-ha <command> --help`');
    });
}
