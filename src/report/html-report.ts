// The --report file: ONE self-contained HTML page (inline CSS, inline SVG drawn here; no
// script, no network) with a timeline per scenario: ok and failed writes per 100 ms, the
// role of each node, Sentinel events as markers, the outage window shaded.
import type { ClusterSample } from '../failover/cluster-observe.js';
import type { ClusterScenarioResult } from '../failover/cluster-run.js';
import type { Op, Recording, RoleName } from '../failover/recording.js';
import type { ScenarioResult } from '../failover/run.js';
import { failoverTable, isClusterResult } from './failover-columns.js';

export interface ReportInput {
  deployment: string;
  preset: string;
  profile: string;
  generatedAt: string;
  /** The Sentinel presets' scenarios, or a cluster's. */
  scenarios: (ScenarioResult | ClusterScenarioResult)[];
}

const BUCKET_MS = 100;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ROLE_COLOUR: Record<string, string> = { master: '#d9480f', slave: '#1c7ed6', down: '#adb5bd' };

/** ok / not-ok write completions per 100 ms bucket, from the fault-relative start. */
export function bucketOps(rec: Recording): { ok: number[]; bad: number[]; from: number } {
  return { ...bucket(rec.ops, rec.t0, rec.end), from: rec.t0 };
}

/** The time scale of a chart: 960 wide, labels left of x = 90, from the recording's start to its end. */
function timeScale(rec: { t0: number; end: number }): { W: number; left: number; plotW: number; span: number; x: (t: number) => number } {
  const W = 960;
  const left = 90;
  const plotW = W - left - 10;
  const span = Math.max(1, rec.end - rec.t0);
  return { W, left, plotW, span, x: (t: number) => left + ((t - rec.t0) / span) * plotW };
}

/** One node's lane: its name, then a bar per run of the same role (`label` names a role in the tooltip). */
function roleLane(node: string, samples: readonly { t: number; role: RoleName }[], y: number, laneH: number, x: (t: number) => number, end: number, faultAt: number, label: (role: RoleName) => string): string[] {
  const parts = [`<text x="4" y="${y + 12}" class="lbl">${esc(node)}</text>`];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    let j = i;
    while (j + 1 < samples.length && samples[j + 1]!.role === s.role) j++;
    const until = samples[j + 1]?.t ?? end;
    parts.push(`<rect x="${x(s.t).toFixed(1)}" y="${y}" width="${Math.max(0.5, x(until) - x(s.t)).toFixed(1)}" height="${laneH}" fill="${ROLE_COLOUR[s.role]}"><title>${esc(node)} ${label(s.role)} from ${Math.round(s.t - faultAt)} ms</title></rect>`);
    i = j;
  }
  return parts;
}

function chart(r: ScenarioResult): string {
  const rec = r.recording;
  if (!rec) return '<p class="dim">No recording (the scenario stopped before the fault).</p>';
  const { W, left, plotW, span, x } = timeScale(rec);
  const { ok, bad } = bucketOps(rec);
  const max = Math.max(1, ...ok, ...bad);
  const opsH = 120;
  const laneH = 16;
  const lanesTop = opsH + 20;
  const eventsTop = lanesTop + rec.nodes.length * (laneH + 4) + 8;
  const H = eventsTop + 40;
  const parts: string[] = [];
  // Outage window: from the fault to the later write gap end (or the heal).
  const gap = Math.max(r.timings.sentinelClientWriteGapMs ?? 0, r.timings.haproxyWriteGapMs ?? 0);
  const outageEnd = rec.faultAt + (gap || (rec.healAt ?? rec.faultAt) - rec.faultAt);
  parts.push(`<rect x="${x(rec.faultAt).toFixed(1)}" y="0" width="${Math.max(1, x(outageEnd) - x(rec.faultAt)).toFixed(1)}" height="${H - 20}" fill="#ffe3e3" />`);
  if (rec.healAt) parts.push(`<line x1="${x(rec.healAt).toFixed(1)}" x2="${x(rec.healAt).toFixed(1)}" y1="0" y2="${H - 20}" stroke="#2b8a3e" stroke-dasharray="4 3"><title>heal</title></line>`);
  parts.push(`<line x1="${x(rec.faultAt).toFixed(1)}" x2="${x(rec.faultAt).toFixed(1)}" y1="0" y2="${H - 20}" stroke="#c92a2a"><title>fault</title></line>`);
  const bw = Math.max(0.5, plotW / ok.length);
  ok.forEach((v, i) => {
    if (v) parts.push(`<rect x="${(left + i * bw).toFixed(1)}" y="${(opsH - (v / max) * opsH).toFixed(1)}" width="${bw.toFixed(2)}" height="${((v / max) * opsH).toFixed(1)}" fill="#2f9e44" />`);
  });
  bad.forEach((v, i) => {
    if (v) parts.push(`<rect x="${(left + i * bw).toFixed(1)}" y="${(opsH - (v / max) * opsH).toFixed(1)}" width="${bw.toFixed(2)}" height="${((v / max) * opsH).toFixed(1)}" fill="#e03131" opacity="0.8" />`);
  });
  parts.push(`<text x="4" y="12" class="lbl">${Math.round((max * 1000) / BUCKET_MS)} ops/s</text><text x="4" y="${opsH}" class="lbl">0</text>`);
  rec.nodes.forEach((node, li) => {
    const samples = rec.roles.filter((s) => s.node === node).sort((a, b) => a.t - b.t);
    parts.push(...roleLane(node, samples, lanesTop + li * (laneH + 4), laneH, x, rec.end, rec.faultAt, (role) => role));
  });
  const seen = new Set<string>();
  for (const e of [...rec.events].sort((a, b) => a.t - b.t)) {
    const key = `${e.type} ${e.detail}`;
    if (seen.has(key)) continue; // every Sentinel publishes the same event
    seen.add(key);
    const ex = x(e.t).toFixed(1);
    parts.push(`<g><line x1="${ex}" x2="${ex}" y1="${eventsTop}" y2="${eventsTop + 14}" stroke="#5f3dc4" stroke-width="2" /><circle cx="${ex}" cy="${eventsTop}" r="3" fill="#5f3dc4" /><title>${esc(`${e.type} ${e.detail} (${e.sentinel}, ${Math.round(e.t - rec.faultAt)} ms)`)}</title></g>`);
  }
  parts.push(`<text x="4" y="${eventsTop + 12}" class="lbl">Sentinel events</text>`);
  for (let s = 0; s <= span / 1000; s += Math.max(1, Math.round(span / 1000 / 15))) {
    const tx = x(rec.t0 + s * 1000).toFixed(1);
    parts.push(`<text x="${tx}" y="${H - 6}" class="lbl" text-anchor="middle">${Math.round(s * 1000 + rec.t0 - rec.faultAt) / 1000}s</text>`);
  }
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="timeline of ${esc(r.scenario)}">${parts.join('')}</svg>`;
}

/** ok / not-ok write completions per 100 ms bucket between t0 and end. */
function bucket(ops: readonly Pick<Op, 'end' | 'outcome'>[], t0: number, end: number): { ok: number[]; bad: number[] } {
  const n = Math.max(1, Math.ceil((end - t0) / BUCKET_MS));
  const ok = new Array<number>(n).fill(0);
  const bad = new Array<number>(n).fill(0);
  for (const o of ops) {
    const i = Math.min(n - 1, Math.max(0, Math.floor((o.end - t0) / BUCKET_MS)));
    if (o.outcome === 'ok') ok[i]!++;
    else bad[i]!++;
  }
  return { ok, bad };
}

/** A node's role over time from its own answers: serving a shard's slots, a replica, or silent. */
export function clusterRoles(samples: readonly ClusterSample[], node: string): { t: number; role: RoleName }[] {
  return samples
    .filter((s) => s.node === node)
    .sort((a, b) => a.t - b.t)
    .map((s) => ({ t: s.t, role: s.state === undefined ? 'down' : s.owners?.includes(node) ? 'master' : 'slave' }));
}

/** A cluster scenario: writes to the faulted shard's slots and to the others', each node's role, fault / failover / heal. */
function clusterChart(r: ClusterScenarioResult): string {
  const rec = r.recording;
  if (!rec) return '<p class="dim">No recording (the scenario stopped before the fault).</p>';
  const { W, left, plotW, span, x } = timeScale(rec);
  const faulted = rec.ops.filter((o) => rec.faultedShards.includes(o.shard ?? -1));
  const others = rec.ops.filter((o) => !rec.faultedShards.includes(o.shard ?? -1));
  const panels = [
    { label: rec.faultedShards.length > 1 ? 'every shard' : `shard ${rec.faultedShards[0]}`, data: bucket(faulted, rec.t0, rec.end), top: 0 },
    ...(others.length ? [{ label: 'other shards', data: bucket(others, rec.t0, rec.end), top: 90 }] : []),
  ];
  const panelH = 70;
  const lanesTop = panels.length * 90 + 10;
  const laneH = 16;
  const H = lanesTop + rec.nodes.length * (laneH + 4) + 30;
  const parts: string[] = [];
  const failoverAt = r.timings.failoverMs !== null ? rec.faultAt + r.timings.failoverMs : undefined;
  const gapEnd = rec.faultAt + (r.timings.failedShardWriteGapMs ?? 0);
  parts.push(`<rect x="${x(rec.faultAt).toFixed(1)}" y="0" width="${Math.max(1, x(gapEnd) - x(rec.faultAt)).toFixed(1)}" height="${H - 20}" fill="#ffe3e3" />`);
  parts.push(`<line x1="${x(rec.faultAt).toFixed(1)}" x2="${x(rec.faultAt).toFixed(1)}" y1="0" y2="${H - 20}" stroke="#c92a2a"><title>fault</title></line>`);
  if (failoverAt !== undefined) parts.push(`<line x1="${x(failoverAt).toFixed(1)}" x2="${x(failoverAt).toFixed(1)}" y1="0" y2="${H - 20}" stroke="#5f3dc4" stroke-width="2"><title>every other node names a replica as the shard's master (${r.timings.failoverMs} ms)</title></line>`);
  if (rec.healAt) parts.push(`<line x1="${x(rec.healAt).toFixed(1)}" x2="${x(rec.healAt).toFixed(1)}" y1="0" y2="${H - 20}" stroke="#2b8a3e" stroke-dasharray="4 3"><title>heal</title></line>`);
  for (const p of panels) {
    const max = Math.max(1, ...p.data.ok, ...p.data.bad);
    const bw = Math.max(0.5, plotW / p.data.ok.length);
    const bar = (v: number, i: number, fill: string, extra = '') =>
      v ? `<rect x="${(left + i * bw).toFixed(1)}" y="${(p.top + panelH - (v / max) * panelH).toFixed(1)}" width="${bw.toFixed(2)}" height="${((v / max) * panelH).toFixed(1)}" fill="${fill}"${extra} />` : '';
    parts.push(...p.data.ok.map((v, i) => bar(v, i, '#2f9e44')), ...p.data.bad.map((v, i) => bar(v, i, '#e03131', ' opacity="0.8"')));
    parts.push(`<text x="4" y="${p.top + 12}" class="lbl">${esc(p.label)}</text><text x="4" y="${p.top + 26}" class="lbl">${Math.round((max * 1000) / BUCKET_MS)} ops/s</text><text x="4" y="${p.top + panelH}" class="lbl">0</text>`);
  }
  rec.nodes.forEach((node, li) => {
    parts.push(...roleLane(node, clusterRoles(rec.samples, node), lanesTop + li * (laneH + 4), laneH, x, rec.end, rec.faultAt, (role) => (role === 'slave' ? 'replica' : role)));
  });
  // Whole seconds from the fault.
  const step = Math.max(1, Math.round(span / 1000 / 15));
  for (let s = Math.ceil((rec.t0 - rec.faultAt) / 1000 / step) * step; rec.faultAt + s * 1000 <= rec.end; s += step) {
    parts.push(`<text x="${x(rec.faultAt + s * 1000).toFixed(1)}" y="${H - 6}" class="lbl" text-anchor="middle">${s}s</text>`);
  }
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="timeline of ${esc(r.scenario)}">${parts.join('')}</svg>`;
}


export function renderHtmlReport(input: ReportInput): string {
  const table = failoverTable(input.scenarios);
  const rows = input.scenarios.map((s, i) => `<tr class="${s.passed ? 'pass' : 'fail'}">${table.rows[i]!.map((cell) => `<td>${esc(cell)}</td>`).join('')}</tr>`).join('\n');
  const cluster = input.scenarios.some(isClusterResult);
  const sections = input.scenarios
    .map(
      (s) => `<section id="${esc(s.scenario)}">
<h2>${esc(s.scenario)} <span class="${s.passed ? 'ok' : 'bad'}">${s.passed ? 'passed' : 'FAILED'}</span></h2>
<p class="dim">${esc(s.expected)}</p>
${isClusterResult(s) ? clusterChart(s) : chart(s)}
<p class="legend"><span style="background:#2f9e44"></span>ok writes <span style="background:#e03131"></span>failed/indeterminate <span style="background:#d9480f"></span>master <span style="background:#1c7ed6"></span>replica <span style="background:#adb5bd"></span>down <span style="background:#ffe3e3"></span>${isClusterResult(s) ? "gap on the shard's slots <span style=\"background:#5f3dc4\"></span>failover agreed" : 'outage window <span style="background:#5f3dc4"></span>Sentinel event'}</p>
${s.failures.length ? `<ul class="bad">${s.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}
${s.notes.length ? `<ul class="dim">${s.notes.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>redis-ha test-failover: ${esc(input.deployment)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#212529;max-width:1000px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #dee2e6;padding:3px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.fail td{background:#fff5f5}
.ok{color:#2b8a3e}.bad{color:#c92a2a}.dim{color:#868e96}.lbl{font-size:11px;fill:#495057}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
</style></head><body>
<h1>test-failover: ${esc(input.deployment)}</h1>
<p>preset ${esc(input.preset)}, profile ${esc(input.profile)}, ${esc(input.generatedAt)}. Times in ms from the fault. ${cluster ? "A cluster client writes across every slot; the writes to the faulted shard's slots and to the other shards' are drawn apart. " : ''}Indeterminate writes (timed out) are read back from the final master once the topology is healthy and every node holds the same keys: applied, not applied, or left unresolved.</p>
<table><tr>${table.long.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${rows}
</table>
${sections}
</body></html>
`;
}
