// Terminal styling. Honours NO_COLOR (https://no-color.org) and non-TTY output.
import chalk from 'chalk';
import type { Writer } from '../io.js';
import { formatProblem, type Problem } from '../model/problems.js';

/** The CLI turns colour off for NO_COLOR (chalk itself decides from the terminal otherwise). */
export function disableColor(): void {
  chalk.level = 0;
}

export const style = {
  ok: (s: string) => chalk.green(s),
  warn: (s: string) => chalk.yellow(s),
  bad: (s: string) => chalk.red(s),
  dim: (s: string) => chalk.dim(s),
  bold: (s: string) => chalk.bold(s),
};

export const symbols = {
  ok: () => style.ok('✔'),
  fail: () => style.bad('✖'),
  warn: () => style.warn('!'),
};

export function formatProblems(problems: Problem[]): string {
  return problems
    .map((p) => {
      const text = formatProblem(p);
      return p.severity === 'error' ? style.bad(text) : style.warn(text);
    })
    .join('\n');
}

/** A JSON document for --json: one object on stdout, nothing else. */
export function printJson(out: Writer, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function maskSecret(secret: string, show: boolean): string {
  if (show || secret === '') return secret;
  return '********';
}
