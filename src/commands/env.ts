// `redis-ha env`: the client settings deploy wrote to <dir>/clients/env, for scripts and CI jobs,
// as dotenv, JSON, or appended to GitHub Actions' GITHUB_ENV.
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { deploymentDir, hasDeployment } from '../files/deployment.js';
import { appendText, readText } from '../files/writer.js';
import type { Io } from '../io.js';
import { CLIENTS_DIR } from '../paths.js';
import { shellWord } from '../report/snippets.js';
import { printJson } from '../report/style.js';

export interface EnvResult {
  deployment: string;
  file: string;
  values: Record<string, string>;
}

/** KEY=value lines of a dotenv file (comments and blank lines skipped, "quoted" values unquoted). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const raw = m[2]!;
    out[m[1]!] = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/\\(["\\$`])/g, '$1') : raw;
  }
  return out;
}

export async function env(options: { name?: string; dir?: string }, io: Pick<Io, 'cwd'>): Promise<EnvResult> {
  const dir = deploymentDir(options, io.cwd);
  const file = join(dir, CLIENTS_DIR, 'env');
  const text = await readText(file);
  if (text === undefined) {
    throw new UsageError(
      hasDeployment(dir) ? `deployment in ${dir} has no ${CLIENTS_DIR}/env: it is written by \`redis-ha deploy\`` : `no deployment in ${dir}`,
      hasDeployment(dir) ? 'deploy it (again), then run `redis-ha env`' : 'name it with --name or --dir, or deploy one first',
    );
  }
  const values = parseDotenv(text);
  return { deployment: values.REDIS_HA_DEPLOYMENT ?? '', file, values };
}

export async function printEnv(r: EnvResult, format: 'dotenv' | 'json' | 'github', io: Io): Promise<void> {
  if (format === 'json') return printJson(io.stdout, r.values);
  const lines = Object.entries(r.values).map(([k, v]) => `${k}=${v}`);
  if (format === 'dotenv') {
    // Quoted for a shell (eval "$(redis-ha env)"): the values are addresses and paths.
    io.stdout.write(`${Object.entries(r.values).map(([k, v]) => `${k}=${shellWord(v)}`).join('\n')}\n`);
    return;
  }
  if (!io.githubEnv) throw new UsageError('--format github: GITHUB_ENV is not set (it is, inside a GitHub Actions step)', 'use --format dotenv outside GitHub Actions');
  // GITHUB_ENV and GITHUB_OUTPUT take KEY=value lines; none of these values spans lines.
  await appendText(io.githubEnv, `${lines.join('\n')}\n`);
  if (io.githubOutput) await appendText(io.githubOutput, `${lines.join('\n')}\n`);
  io.stderr.write(`redis-ha: ${lines.length} values of deployment ${r.deployment} appended to GITHUB_ENV (the next steps' environment)${io.githubOutput ? ' and GITHUB_OUTPUT (this step\'s outputs)' : ''}\n`);
}
