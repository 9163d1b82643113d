// The --report HTML: one self-contained file (no external URL), a section per scenario.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketOps, renderHtmlReport } from '../../src/report/html-report.js';
import type { Recording } from '../../src/failover/recording.js';
import type { ScenarioResult } from '../../src/failover/run.js';

function recording(): Recording {
  const ops = [];
  for (let t = 0; t < 5000; t += 5) ops.push({ via: 'sentinel' as const, key: `k${t}`, value: String(t), start: t, end: t + 2, outcome: t > 1000 && t < 3000 ? ('failed' as const) : ('ok' as const), node: 'redis-1' });
  const roles = [];
  for (let t = 0; t < 5000; t += 100) roles.push({ t, node: 'redis-1', role: t < 1000 ? ('master' as const) : ('down' as const) }, { t, node: 'redis-2', role: t < 2500 ? ('slave' as const) : ('master' as const) });
  return {
    t0: 0,
    faultAt: 1000,
    healAt: 4000,
    end: 5000,
    nodes: ['redis-1', 'redis-2'],
    ops,
    roles,
    sentinelViews: [],
    events: [{ t: 2500, sentinel: 'sentinel-1', type: '+switch-master', detail: 'mymaster redis-1 6379 redis-2 6379 <script>' }],
    haproxyRoutes: [],
  };
}

const scenario = (name: ScenarioResult['scenario'], passed: boolean): ScenarioResult => ({
  scenario: name,
  passed,
  failures: passed ? [] : ['nodes differ'],
  expected: 'a replica is promoted',
  notes: ['Sentinels named redis-2 after 1500 ms'],
  oldMaster: 'redis-1',
  newMaster: 'redis-2',
  timings: { sdownMs: 1000, odownMs: 1100, switchMasterMs: 1500, sentinelClientWriteGapMs: 2000, haproxyWriteGapMs: null },
  writes: { acked: 600, failed: 300, indeterminate: 17, resolvedApplied: 41, resolvedNotApplied: 42, lostAcked: 0 },
  dualMaster: { windowMs: 0, writesAckedByOldMaster: 0, haproxyRoutedToOldMaster: 0 },
  rejoin: { oldMasterRole: 'slave', resync: 'full' },
  keyspace: { consistent: passed, nodes: [] },
  durability: 'async',
  recording: recording(),
});

describe('failover HTML report', () => {
  const html = renderHtmlReport({
    deployment: 'shop',
    preset: 'sentinel',
    profile: 'fast',
    generatedAt: '2026-01-01T00:00:00Z',
    scenarios: [scenario('kill-master', true), scenario('pause-master', false), { ...scenario('restart-replica', true), recording: undefined }],
  });

  it('needs no network: no external src/href, no URL at all, inline style and SVG', () => {
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i);
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /<link\b|<script\b[^>]*\bsrc=/i);
    assert.match(html, /<style>/);
    assert.match(html, /<svg /);
  });

  it('has a section with a chart per scenario, and says which failed', () => {
    for (const name of ['kill-master', 'pause-master', 'restart-replica']) assert.match(html, new RegExp(`<section id="${name}">`));
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.match(html, /pause-master <span class="bad">FAILED/);
    assert.match(html, /No recording/);
  });

  it('shows indeterminate writes unresolved, and resolved as applied / not applied', () => {
    assert.match(html, /<th>indet\. \(unresolved\)<\/th><th>indet\. → applied<\/th><th>indet\. → not applied<\/th><th>lost acked<\/th>/);
    assert.match(html, /<td>300<\/td><td>17<\/td><td>41<\/td><td>42<\/td><td>0<\/td>/);
  });

  it('escapes what the Sentinels say', () => {
    assert.doesNotMatch(html, /<script>/);
    assert.match(html, /&#60;script&#62;/);
  });

  it('buckets writes per 100 ms', () => {
    const b = bucketOps(recording());
    assert.equal(b.ok.length, 50);
    assert.equal(b.ok[0], 20);
    assert.equal(b.bad[20], 20);
  });
});
