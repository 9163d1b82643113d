// The command line as a function: argv in, exit code out, output on the Io it is handed. It
// touches no `process` (src/cli.ts wires it to one), so a test can run it in-process with a
// fake runtime. yargs and each command are loaded only when needed.
import type { CommandContext, CommandLine } from '../commands/context.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { fastPath } from './fast-path.js';

/** What the command line is run with: the terminal, Ctrl-C, and the engine context (built on first use). */
export interface CliEnvironment {
  io: Io;
  signal: AbortSignal;
  context(): Promise<CommandContext>;
}

export async function main(argv: string[], env: CliEnvironment): Promise<number> {
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  let exitCode: number = EXIT.ok;
  const cli: CommandLine = { io: env.io, signal: env.signal, context: () => env.context(), setExit: (code) => (exitCode = code) };
  try {
    const fast = fastPath(argv);
    if (fast) {
      await fast(cli);
    } else {
      const { buildCli } = await import('./registry.js');
      // Given a parse callback, yargs neither prints nor exits the process: what it would
      // print (the help, the version) comes back here, for the Io.
      let output = '';
      await buildCli(argv, cli).parseAsync(argv, {}, (_err, _argv, text) => void (output = text));
      if (output) env.io.stdout.write(`${output}\n`);
    }
    return exitCode;
  } catch (err) {
    const { reportError } = await import('./exit-code.js');
    return reportError(err, env.io, json, verbose);
  }
}
