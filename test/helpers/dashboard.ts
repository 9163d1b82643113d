// The Grafana dashboard as the tests read it: its queries (panels, annotations, variables), with
// Grafana's variables expanded the way Grafana does, and run against a live Prometheus's HTTP API.

export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
}
export interface GrafanaPanel {
  type: string;
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  options?: unknown;
  targets?: GrafanaTarget[];
  fieldConfig?: { defaults: { thresholds: { steps: { value: number | null; color: string }[] } } };
}
export interface GrafanaDashboard {
  panels: GrafanaPanel[];
  annotations: { list: { name: string; expr?: string }[] };
  templating: { list: { name: string; type: string; definition?: string; current?: { value: string } }[] };
}

export interface DashboardQuery {
  kind: 'panel' | 'annotation' | 'variable';
  /** Where it is: the panel's title and refId, the annotation's name, the variable's. */
  where: string;
  expr: string;
}

export function dashboardQueries(d: GrafanaDashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const p of d.panels) for (const t of p.targets ?? []) queries.push({ kind: 'panel', where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
  for (const a of d.annotations.list) if (a.expr) queries.push({ kind: 'annotation', where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of d.templating.list) if (v.type === 'query' && v.definition) queries.push({ kind: 'variable', where: `variable ${v.name}`, expr: v.definition });
  return queries;
}

/**
 * Grafana's expansion of the variables the dashboard uses: $deployment, and $__rate_interval
 * (max($__interval + scrape interval, 4 x scrape interval), Grafana's definition).
 */
export function expandGrafana(expr: string, v: { deployment: string; scrapeMs: number; stepMs: number }): string {
  const rate = Math.max(v.stepMs + v.scrapeMs, 4 * v.scrapeMs);
  return expr.replaceAll('$deployment', v.deployment).replaceAll('$__rate_interval', `${rate}ms`).replaceAll('$__interval', `${v.stepMs}ms`);
}

export interface PrometheusAt {
  url: string;
  user: string;
  password: string;
}

async function getJson(p: PrometheusAt, path: string, params: Record<string, string>): Promise<{ status: string; data: unknown; error?: string }> {
  const res = await fetch(`${p.url}${path}?${new URLSearchParams(params).toString()}`, {
    headers: { authorization: `Basic ${Buffer.from(`${p.user}:${p.password}`).toString('base64')}` },
  });
  const body = (await res.json()) as { status: string; data: unknown; error?: string };
  return body;
}

/**
 * Runs every query of the dashboard over [start, end] as Grafana would (a range query per panel
 * target and annotation; label_values() through the label API), and returns what failed: an
 * error, or no series at all.
 */
export async function runDashboardQueries(
  d: GrafanaDashboard,
  p: PrometheusAt,
  v: { deployment: string; scrapeMs: number; start: number; end: number },
): Promise<{ ran: number; failures: string[]; series: Map<string, number> }> {
  const stepMs = Math.max(v.scrapeMs, Math.ceil((v.end - v.start) / 500));
  const failures: string[] = [];
  const series = new Map<string, number>();
  const queries = dashboardQueries(d);
  for (const q of queries) {
    if (q.kind === 'variable') {
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(q.expr);
      if (!m) {
        failures.push(`${q.where}: not a label_values(metric, label) query: ${q.expr}`);
        continue;
      }
      const r = await getJson(p, `/api/v1/label/${m[2]}/values`, { 'match[]': m[1]!, start: String(v.start / 1000), end: String(v.end / 1000) });
      const values = (r.data ?? []) as string[];
      if (r.status !== 'success') failures.push(`${q.where}: ${r.error}`);
      else if (!values.includes(v.deployment)) failures.push(`${q.where}: ${q.expr} does not list ${v.deployment} (${values.join(', ')})`);
      series.set(q.where, values.length);
      continue;
    }
    const expr = expandGrafana(q.expr, { deployment: v.deployment, scrapeMs: v.scrapeMs, stepMs });
    const r = await getJson(p, '/api/v1/query_range', { query: expr, start: String(v.start / 1000), end: String(v.end / 1000), step: `${stepMs / 1000}` });
    if (r.status !== 'success') {
      failures.push(`${q.where}: ${r.error} (${expr})`);
      continue;
    }
    const n = ((r.data as { result: unknown[] }).result ?? []).length;
    series.set(q.where, n);
    if (n === 0) failures.push(`${q.where}: no series (${expr})`);
  }
  return { ran: queries.length, failures, series };
}
