// What the CLI does with an error that nothing caught (a promise rejected with nobody
// listening, an exception thrown from an event handler). That is a bug, and Node 20 would end
// the process on the spot, leaving a command's changes in place: a master paused, a Sentinel or
// a node stopped by test-failover. Instead: say so (what, and that it is a bug), stop the command
// the way Ctrl-C does so that it undoes its changes, and exit 70 whatever the command returns.
// src/cli.ts wires it to `process`; nothing here touches it.
import { EXIT } from '../errors.js';
import type { Writer } from '../io.js';
import { style } from '../report/style.js';

export type Origin = 'unhandledRejection' | 'uncaughtException';

export interface LastResortOptions {
  stderr: Writer;
  /** Stops the running command at its next safe point (the Ctrl-C signal's controller). */
  stop: () => void;
  verbose: boolean;
}

const WHAT: Record<Origin, string> = {
  unhandledRejection: 'a promise was rejected with nothing to handle it',
  uncaughtException: 'an exception was thrown with nothing to catch it',
};

export class LastResort {
  /** The errors seen, in order (each reported once). */
  readonly errors: { origin: Origin; message: string }[] = [];

  constructor(private readonly o: LastResortOptions) {}

  /** Reports the error and stops the command (the first time); later ones are reported too. */
  handle(origin: Origin, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const first = this.errors.length === 0;
    this.errors.push({ origin, message });
    const lines = [
      style.bad(`redis-ha: internal error (a bug in redis-ha; please report it): ${WHAT[origin]}: ${message}`),
      first
        ? '  stopping at the next safe point, as on Ctrl-C, so that the command undoes what it changed (test-failover heals every injected fault); exit code 70'
        : '  (still stopping)',
      this.o.verbose ? String((err as Error)?.stack ?? err) : '  (run again with --verbose for the stack)',
    ];
    this.o.stderr.write(`${lines.join('\n')}\n`);
    if (first) this.o.stop();
  }

  /** The process's exit code: the command's, unless an internal error happened. */
  exitCode(commandCode: number): number {
    return this.errors.length ? EXIT.internal : commandCode;
  }
}
