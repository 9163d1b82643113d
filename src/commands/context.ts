// What the CLI hands every command that talks to the engine.
import type { Argv } from 'yargs';
import type { Io } from '../io.js';
import type { RuntimeFor } from '../runtime/factory.js';
import type { Runtime } from '../runtime/runtime.js';

export interface CommandContext {
  runtime: Runtime;
  /** Aborted on the first Ctrl-C / SIGTERM; each command checks it at every stage. */
  signal: AbortSignal;
  io: Io;
  /** The runtime of a target (compose, swarm); absent in tests that hand one runtime. */
  runtimeFor?: RuntimeFor;
}

/** The options every command takes (yargs `global`). */
export interface GlobalArgs {
  json?: boolean;
  verbose?: boolean;
}

/**
 * What a command's yargs definition (src/commands/*-cli.ts) is handed by the command line: the
 * terminal, Ctrl-C, the exit code, and the engine context, built on first use so that a command
 * that starts no process loads no runtime.
 */
export interface CommandLine {
  io: Io;
  signal: AbortSignal;
  /** The runtime(s) and the rest, for the commands that talk to the engine. */
  context(): Promise<CommandContext>;
  /** The exit code when the command returns normally (0 unless set). */
  setExit(code: number): void;
}

/** The arguments a command's yargs builder hands its handler (typed from the options it declares). */
export type BuiltArgs<B> = B extends (y: never) => Argv<infer U> | PromiseLike<Argv<infer U>> ? U : never;
