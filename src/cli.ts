#!/usr/bin/env node
// The program: wires the command line (cli/main.ts) to this process. The one file that touches
// `process`: it builds the Io, the AbortSignal and, on first use, the runtimes every command
// receives, owns SIGINT / SIGTERM and the exit code. Nothing below it calls process.exit().
// It imports nothing heavy: what a command needs is loaded when that command runs.
import type { CommandContext } from './commands/context.js';
import { LastResort } from './commands/last-resort.js';
import { main } from './cli/main.js';
import { EXIT } from './errors.js';
import type { Io } from './io.js';
import { disableColor } from './report/style.js';
import type { RuntimeFactory } from './runtime/factory.js';

if (process.env.NO_COLOR) disableColor();
const io: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  live: Boolean(process.stderr.isTTY) && !process.env.CI,
  columns: process.stdout.columns || process.stderr.columns || 100,
  cwd: process.cwd(),
  ...(process.env.GITHUB_STEP_SUMMARY ? { stepSummary: process.env.GITHUB_STEP_SUMMARY } : {}),
  ...(process.env.GITHUB_ENV ? { githubEnv: process.env.GITHUB_ENV } : {}),
  ...(process.env.GITHUB_OUTPUT ? { githubOutput: process.env.GITHUB_OUTPUT } : {}),
};
// Made by the first command that talks to the engine (loading the runtimes); every runtime it
// made is ended with it.
let runtimes: RuntimeFactory | undefined;
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
  const killed = runtimes?.killChildren() ?? 0;
  process.stderr.write(`\n${sig} again: quitting now${killed ? ` (ended ${killed} running docker command(s))` : ''}; check with \`redis-ha status\`\n`);
  process.exit(EXIT.interrupted);
};
// A reader that stops reading (`redis-ha presets | head -1`) is no error: what is left of the
// output goes nowhere and the command finishes (and heals) as it would have.
const readerGone = (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
};
process.stdout.on('error', readerGone);
process.stderr.on('error', readerGone);
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Children never outlive redis-ha (execa does not clean up detached children itself).
process.on('exit', () => runtimes?.killChildren());
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

async function context(): Promise<CommandContext> {
  const { RuntimeFactory } = await import('./runtime/factory.js');
  runtimes ??= new RuntimeFactory(process.env);
  return { runtime: runtimes.default, runtimeFor: runtimes.runtimeFor, runner: runtimes.runner, signal: interrupt.signal, io };
}

process.exitCode = lastResort.exitCode(await main(process.argv.slice(2), { io, signal: interrupt.signal, context }));

// The command is done and its output written. A connection a client library left open after
// its close (seen once in ~20 reshard runs: an ioredis Cluster whose slot refresh outlived
// disconnect()) must not keep the finished command hanging: after a grace period the process
// exits with the command's code, and says so. Unref'd, so a clean exit never waits for it.
setTimeout(() => {
  const open = process.getActiveResourcesInfo();
  process.stderr.write(`redis-ha: warning: the command finished but ${open.join(', ') || 'something'} stayed open; exiting anyway (a bug in redis-ha; please report it)\n`);
  process.exit();
}, 3000).unref();
