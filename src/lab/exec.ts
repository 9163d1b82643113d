// The lab's programs (ip, iptables, nsenter, docker against each node) run through the same
// runner as the engine calls: own process group, a missing binary named, stderr in errors.
// The lab is a machine-level tool run as root; its children get this process's environment.
import { CommandRunner, type RunOptions, type RunResult } from '../runtime/exec.js';

const runner = new CommandRunner(process.env);

export const run = (file: string, args: string[], options?: RunOptions): Promise<RunResult> => runner.run(file, args, options);
export const runChecked = (file: string, args: string[], what: string, options?: RunOptions): Promise<RunResult> =>
  runner.runChecked(file, args, what, options);
