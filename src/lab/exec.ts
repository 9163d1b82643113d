// The lab's programs (ip, iptables, nsenter, docker against each node) run through the same
// runner as the engine calls: own process group, a missing binary named, stderr in errors.
// It is the command line's runner (handed by the lab commands, useLabRunner): a second Ctrl-C
// ends the lab's children with the engine's, where a runner of the lab's own left them running.
// The lab is a machine-level tool run as root; its children get the CLI's environment.
import { CommandRunner, type RunOptions, type RunResult } from '../runtime/exec.js';

let runner: CommandRunner | undefined;

/** The runner the lab's programs go through from now on (src/cli.ts makes it, with the runtimes). */
export function useLabRunner(handed: CommandRunner): void {
  runner = handed;
}

// Callers outside the command line (the integration tests, the bench) hand none: they get a
// runner of their own, as the lab always had.
const current = () => (runner ??= new CommandRunner(process.env));

export const run = (file: string, args: string[], options?: RunOptions): Promise<RunResult> => current().run(file, args, options);
export const runChecked = (file: string, args: string[], what: string, options?: RunOptions): Promise<RunResult> =>
  current().runChecked(file, args, what, options);
