// `redis-ha validate`: report every problem and warning; write nothing.
import { lines, type Io } from '../io.js';
import { loadTopology } from '../model/load.js';
import { TopologyError, type Problem } from '../model/problems.js';
import type { Topology } from '../model/schema.js';
import { formatProblems, printJson, style, symbols } from '../report/style.js';
import { toLoadOptions, type TopologyArgs } from './topology-options.js';

export interface ValidateResult {
  valid: boolean;
  topology?: Topology;
  errors: Problem[];
  warnings: Problem[];
}

export async function validate(options: TopologyArgs, ctx: { cwd: string }): Promise<ValidateResult> {
  try {
    const { topology, warnings } = await loadTopology(toLoadOptions(options, ctx.cwd));
    return { valid: true, topology, errors: [], warnings };
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    return {
      valid: false,
      errors: err.problems.filter((p) => p.severity === 'error'),
      warnings: err.problems.filter((p) => p.severity === 'warning'),
    };
  }
}

export function printValidateResult(result: ValidateResult, json: boolean, io: Io): void {
  const { out, err } = lines(io);
  if (json) return printJson(io.stdout, result);
  const problems = [...result.errors, ...result.warnings];
  if (problems.length) err(formatProblems(problems));
  if (result.valid && result.topology) {
    const t = result.topology;
    const parts = [
      t.cluster.enabled
        ? `${t.cluster.shards} shards x (1 master + ${t.cluster.replicasPerShard} replica${t.cluster.replicasPerShard === 1 ? '' : 's'}) redis cluster`
        : `${t.replicas + 1} redis`,
    ];
    if (t.sentinel.enabled) parts.push(`${t.sentinel.count} sentinel (quorum ${t.sentinel.quorum})`);
    if (t.haproxy.enabled) parts.push('haproxy');
    if (t.exporter.enabled) parts.push('exporter');
    out(
      `${symbols.ok()} ${style.bold(t.name)} is valid: preset ${t.preset}, ${parts.join(', ')}` +
        (result.warnings.length ? `, ${result.warnings.length} warning(s)` : ''),
    );
  } else {
    err(`${symbols.fail()} ${result.errors.length} error(s); nothing was written`);
  }
}
