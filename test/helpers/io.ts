// An Io for in-process command tests: collects what a command writes, ANSI stripped.
import type { Io } from '../../src/io.js';
import type { Clock } from '../../src/wait.js';
import { stripAnsi } from './cli.js';

export interface CapturedIo extends Io {
  out: () => string;
  err: () => string;
}

export function captureIo(cwd: string): CapturedIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    live: false,
    columns: 100,
    cwd,
    out: () => stripAnsi(out),
    err: () => stripAnsi(err),
  };
}

/** A clock whose sleep returns at once and moves time on: a 60 s wait takes no time. */
export function fakeClock(): Clock & { elapsed: () => number } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      await new Promise((r) => setImmediate(r));
    },
    elapsed: () => now,
  };
}
