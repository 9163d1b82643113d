#!/usr/bin/env node
// The command line: parses argv, calls the command functions, maps errors to exit codes.
// Nothing below this file calls process.exit().
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { presets, printPresets } from './commands/presets.js';
import { printRenderResult, render } from './commands/render.js';
import { withTopologyOptions, PRESET_CHOICES, type TopologyArgs } from './commands/topology-options.js';
import { printValidateResult, validate } from './commands/validate.js';
import { EXIT, RedisHaError, UsageError } from './errors.js';
import { TopologyError } from './model/problems.js';
import { formatProblems, printJson, style } from './report/style.js';

export interface GlobalArgs {
  json?: boolean;
  verbose?: boolean;
}

const presetPositional = <T>(y: Argv<T>, required: boolean) =>
  y.positional('preset', {
    type: 'string',
    describe: `Preset: ${PRESET_CHOICES.join(', ')}${required ? '' : ' (or "preset:" in --file)'}`,
  });

export function buildCli(argv: string[]) {
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
          .option('force', { type: 'boolean', describe: 'Write into a directory holding files redis-ha did not create' })
          .example('$0 render sentinel', 'Files for 1 master, 2 replicas, 3 Sentinels in ./.redis-ha/redis-ha/')
          .example('$0 render full --name shop --port-base 8000', 'A second deployment beside the first')
          .example('$0 render --file topology.yaml --replicas 3', 'A topology file, with one field overridden'),
      async (args) => printRenderResult(await render(args as TopologyArgs), Boolean(args.json)),
    )
    .command(
      'validate [preset]',
      'Check a topology and print every problem and warning (writes nothing)',
      (y) =>
        withTopologyOptions(presetPositional(y, false))
          .example('$0 validate --file topology.yaml', 'Check a topology file')
          .example('$0 validate sentinel --quorum 1 --json', 'As JSON, for CI'),
      async (args) => {
        const result = await validate(args as TopologyArgs);
        printValidateResult(result, Boolean(args.json));
        if (!result.valid) process.exitCode = EXIT.usage;
      },
    )
    .command(
      'presets',
      'List the presets, one line each',
      (y) => y.example('$0 presets --json', 'As JSON'),
      async (args) => printPresets(await presets(), Boolean(args.json)),
    );
  return cli
    .demandCommand(1, 'Name a command; see the list above.')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(
      'Exit codes: 0 ok, 1 unhealthy or a check/scenario failed, 2 bad input (nothing changed), 3 environment not ready (Docker, ports, images), 130 interrupted.\nDocs: README.md. Colors: set NO_COLOR=1 to turn them off.',
    )
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message ?? 'invalid command line', 'run `redis-ha --help`, or `redis-ha <command> --help`');
    });
}

function report(err: unknown, json: boolean, verbose: boolean): number {
  if (err instanceof TopologyError) {
    if (json) printJson({ ok: false, errors: err.problems.filter((p) => p.severity === 'error'), warnings: err.problems.filter((p) => p.severity === 'warning') });
    else console.error(`${formatProblems(err.problems)}\n${style.bad(`redis-ha: ${err.message}; nothing was written`)}`);
    return EXIT.usage;
  }
  if (err instanceof RedisHaError) {
    if (json) printJson({ ok: false, error: err.message, hint: err.hint });
    else console.error(style.bad(`redis-ha: ${err.message}`) + (err.hint ? `\n  hint: ${err.hint}` : ''));
    if (verbose && err.cause) console.error(err.cause);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (json) printJson({ ok: false, error: message });
  else console.error(style.bad(`redis-ha: unexpected error: ${message}`) + (verbose ? '' : '\n  (run again with --verbose for details)'));
  if (verbose) console.error(err);
  return EXIT.failed;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  try {
    await buildCli(argv).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return report(err, json, verbose);
  }
}

process.exitCode = await main(hideBin(process.argv));
