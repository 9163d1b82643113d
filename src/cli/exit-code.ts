// The one place an error becomes an exit code and a message: the type of the error decides
// (see EXIT); the stack only with --verbose. An error of no type of ours is a bug: exit 70.
import { EXIT, RedisHaError } from '../errors.js';
import { lines, type Io } from '../io.js';
import { TopologyError } from '../model/problems.js';
import { formatProblems, printJson, style } from '../report/style.js';

export function reportError(err: unknown, io: Io, json: boolean, verbose: boolean): number {
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
  else say(style.bad(`redis-ha: internal error (a bug in redis-ha; please report it): ${message}`) + (verbose ? '' : '\n  (run again with --verbose for the stack)'));
  if (verbose) say(String((err as Error)?.stack ?? err));
  return EXIT.internal;
}
