// `redis-ha render`: topology -> files on disk. Starts nothing.
import { lines, type Io } from '../io.js';
import { loadOrCreatePassword, writeDeployment, type WriteResult } from '../files/writer.js';
import { loadTopology } from '../model/load.js';
import type { Problem } from '../model/problems.js';
import type { Topology } from '../model/schema.js';
import { formatProblems, printJson, style, symbols } from '../report/style.js';
import { synthesize } from '../synth/synthesize.js';
import { outDir, toLoadOptions, type TopologyArgs } from './topology-options.js';

export interface RenderOptions extends TopologyArgs {
  force?: boolean;
}

export interface RenderResult {
  topology: Topology;
  warnings: Problem[];
  files: WriteResult;
  passwordCreated: boolean;
  /** The deployment's password as written to .env (empty without auth). Never printed. */
  password: string;
}

export async function render(options: RenderOptions, ctx: { cwd: string }): Promise<RenderResult> {
  const { topology, warnings } = await loadTopology(toLoadOptions(options, ctx.cwd));
  const dir = outDir(options, topology.name, ctx.cwd);
  const { password, created } = await loadOrCreatePassword(dir);
  const files = await writeDeployment(dir, synthesize(topology, { password }), { force: options.force });
  return {
    topology,
    warnings,
    files,
    passwordCreated: created && topology.auth.enabled,
    password: topology.auth.enabled ? password : '',
  };
}

export function renderSummaryJson(result: RenderResult) {
  return {
    deployment: result.topology.name,
    preset: result.topology.preset,
    dir: result.files.dir,
    written: result.files.written,
    unchanged: result.files.unchanged,
    removed: result.files.removed,
    warnings: result.warnings,
  };
}

export function printRenderResult(result: RenderResult, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, renderSummaryJson(result));
  const { topology: t, files } = result;
  if (result.warnings.length) err(formatProblems(result.warnings));
  out(`${symbols.ok()} rendered ${style.bold(t.name)} (preset ${t.preset}, profile ${t.profile}) into ${files.dir}`);
  for (const f of files.written) out(`  wrote     ${f}`);
  for (const f of files.unchanged) out(style.dim(`  unchanged ${f}`));
  for (const f of files.removed) out(`  removed   ${f}`);
  if (result.passwordCreated) out(style.dim('  a new password was generated and kept in .env (mode 0600)'));
}
