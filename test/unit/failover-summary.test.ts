// The text test-failover prints: the line per scenario and the summary table, with the
// indeterminate writes split into unresolved / resolved applied / resolved not applied.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailoverRun } from '../../src/report/failover-summary.js';
import { formatScenarioLine, formatSummary } from '../../src/report/failover-summary.js';
import type { ScenarioResult } from '../../src/failover/run.js';
import { FAILOVER_COLUMNS } from '../../src/report/failover-columns.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { scenarioResult } from '../helpers/scenario-result.js';

const scenario: ScenarioResult = scenarioResult();

describe('test-failover text output', () => {
  it('the scenario line gives the unresolved and the resolved indeterminate writes', () => {
    assert.match(formatScenarioLine(scenario), /indeterminate 3 \(read back: 2291 applied, 7 not applied\)/);
  });

  it('the summary table has a column each for unresolved, applied and unapplied', () => {
    const r: FailoverRun = { deployment: 'shop', preset: 'sentinel', profile: 'fast', rate: 200, durability: 'async', passed: true, scenarios: [scenario] };
    const lines = formatSummary(r).split('\n');
    const header = lines.find((l) => l.startsWith('scenario'))!.split(/\s{2,}/);
    const row = lines.find((l) => l.startsWith('kill-master'))!.split(/\s{2,}/);
    const at = (col: string) => row[header.indexOf(col)];
    assert.equal(at('indet'), '3');
    assert.equal(at('applied'), '2291');
    assert.equal(at('unapplied'), '7');
    assert.equal(at('failed'), '11');
    assert.equal(at('lost'), '0');
  });

  it('the terminal table and the HTML report show the same columns, in the same order, with the same values', () => {
    const r: FailoverRun = { deployment: 'shop', preset: 'sentinel', profile: 'fast', rate: 200, durability: 'async', passed: true, scenarios: [scenario] };
    const header = formatSummary(r).split('\n').find((l) => l.startsWith('scenario'))!.split(/\s{2,}/);
    assert.deepEqual(header, FAILOVER_COLUMNS.map((c) => c.short));
    const html = renderHtmlReport({ deployment: 'shop', preset: 'sentinel', profile: 'fast', generatedAt: 'now', scenarios: [scenario] });
    const ths = [...html.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))));
    assert.deepEqual(ths, FAILOVER_COLUMNS.map((c) => c.long));
    const tds = [...html.matchAll(/<tr class="pass"><td>(.*?)<\/td><\/tr>/g)][0]![1]!.split('</td><td>');
    const row = formatSummary(r).split('\n').find((l) => l.startsWith('kill-master'))!.split(/\s{2,}/);
    assert.deepEqual(tds.map((t) => t.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)))), row);
  });
});
