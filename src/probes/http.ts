// HAProxy stats and redis_exporter metrics over HTTP, from the host.
import type { Credentials } from './connect.js';

export interface HaproxyServerState {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, no check ... */
  status: string;
}

/** GET `url`; with `login`, as HTTP basic auth. */
export async function fetchText(url: string, timeoutMs = 2000, login?: Credentials): Promise<string> {
  const headers: Record<string, string> = {};
  if (login?.username && login.password) {
    headers.authorization = `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.text();
}

/** HAProxy's `/stats;csv`: one row per frontend/backend/server. */
export function parseHaproxyCsv(csv: string): HaproxyServerState[] {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = (lines[0] ?? '').replace(/^# /, '').split(',');
  const col = (name: string) => header.indexOf(name);
  const [px, sv, status] = [col('pxname'), col('svname'), col('status')];
  return lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((f) => f[sv] !== 'FRONTEND' && f[sv] !== 'BACKEND')
    .map((f) => ({ backend: f[px] ?? '', server: f[sv] ?? '', status: f[status] ?? '' }));
}

export async function probeHaproxyStats(host: string, port: number, login?: Credentials): Promise<HaproxyServerState[]> {
  return parseHaproxyCsv(await fetchText(`http://${host}:${port}/stats;csv`, 2000, login));
}

/** The value of a metric without labels (e.g. `redis_up 1`) in Prometheus text format. */
export function metricValue(text: string, name: string): number | undefined {
  const match = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([^\\s]+)$`, 'm'));
  return match ? Number(match[1]) : undefined;
}

/** redis_up for one node (by service name), as the exporter scrapes it, asked through HAProxy's stats port (`host`:`port`, `login`). */
export async function probeExporterTarget(host: string, port: number, target: string, login?: Credentials): Promise<number | undefined> {
  const text = await fetchText(`http://${host}:${port}/scrape?target=${encodeURIComponent(target)}`, 5000, login);
  return metricValue(text, 'redis_up');
}
