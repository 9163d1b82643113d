// Short Markdown for a CI job's summary page: GitHub Actions shows what a step appends to the
// file named by GITHUB_STEP_SUMMARY (cli.ts puts that path on the Io). deploy: the endpoints;
// status: the verdict and the checks; test-failover: the scenario table and the gate.
import type { Endpoint } from './snippets.js';
import type { CheckResult } from '../health/status.js';
import type { FailoverRun } from './failover-summary.js';
import { cellText, failoverTable } from './failover-columns.js';
/** A table cell: pipes escaped, one line. */
const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function markdownTable(head: string[], rows: string[][]): string[] {
  return [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

export function deploySummary(r: { deployment: string; preset: string; healthy: boolean; waited: boolean; totalMs: number; endpoints: Endpoint[] }): string {
  const head = r.waited
    ? `${r.healthy ? '✅' : '❌'} redis-ha deployment \`${r.deployment}\` (${r.preset}) ${r.healthy ? 'healthy' : 'not healthy'} after ${(r.totalMs / 1000).toFixed(1)} s`
    : `redis-ha deployment \`${r.deployment}\` (${r.preset}) started (not waiting for health)`;
  return [`### ${head}`, '', ...markdownTable(['service', 'address', 'role'], r.endpoints.map((e) => [e.service, `\`${e.address}\``, e.role])), ''].join('\n');
}

export function statusSummary(s: { deployment: string; preset: string; healthy: boolean; master?: string; checks: CheckResult[] }): string {
  return [
    `### ${s.healthy ? '✅' : '❌'} redis-ha status \`${s.deployment}\` (${s.preset}): ${s.healthy ? 'healthy' : 'NOT healthy'}${s.master ? `, master ${s.master}` : ''}`,
    '',
    ...markdownTable(['check', 'ok', 'detail'], s.checks.map((c) => [c.name, c.ok ? 'yes' : '**no**', c.detail])),
    '',
  ].join('\n');
}

export function failoverSummary(r: FailoverRun): string {
  const failed = r.scenarios.filter((s) => !s.passed);
  const table = failoverTable(r.scenarios);
  const out = [
    `### ${r.passed ? '✅' : '❌'} redis-ha test-failover \`${r.deployment}\` (${r.preset}, profile ${r.profile}): ${r.passed ? 'every scenario passed' : `${failed.length} of ${r.scenarios.length} scenario(s) failed`}`,
    '',
    `${r.rate} writes/s per client path, durability ${r.durability}; times in ms from the fault.`,
    '',
    ...markdownTable(table.long, table.rows),
  ];
  const gate = r.scenarios.flatMap((s) => (s.limits ?? []).map((c) => [s.scenario, `--${c.limit}${c.path ? ` (${c.path})` : ''}`, String(c.max), cellText(c.value), c.verdict === 'fail' ? '**fail**' : c.verdict]));
  if (gate.length) out.push('', '**Limits**', '', ...markdownTable(['scenario', 'limit', 'max', 'measured', 'verdict'], gate));
  for (const s of failed) out.push('', `**${s.scenario}** failed:`, ...s.failures.map((f) => `- ${cell(f)}`));
  out.push('');
  return out.join('\n');
}
