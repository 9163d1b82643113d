// What a command may know of the terminal it runs in. Only src/cli.ts builds one from
// `process`; tests build their own and read back what was written.

export interface Writer {
  write(text: string): unknown;
}

export interface Io {
  stdout: Writer;
  stderr: Writer;
  /** stderr is a terminal and not under CI: live progress (spinners, redrawn lines) is fine. */
  live: boolean;
  /** Width of the terminal, for lines redrawn in place. */
  columns: number;
  /** The working directory: ./.redis-ha lives here. */
  cwd: string;
  /** A CI job's summary file (GITHUB_STEP_SUMMARY): deploy, status and test-failover append Markdown to it. */
  stepSummary?: string;
  /** A GitHub Actions job's environment file (GITHUB_ENV): `redis-ha env --format github` appends to it. */
  githubEnv?: string;
  /** A GitHub Actions step's outputs file (GITHUB_OUTPUT): `redis-ha env --format github` appends to it too. */
  githubOutput?: string;
}

/** Line printers over an Io. */
export const lines = (io: Io) => ({
  out: (text = '') => void io.stdout.write(`${text}\n`),
  err: (text = '') => void io.stderr.write(`${text}\n`),
});
