// HAProxy stats, redis_exporter metrics, Prometheus's API and Alertmanager's readiness over HTTP, from the host.
import type { Credentials } from './connect.js';

export interface HaproxyServerState {
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, no check ... */
  status: string;
}

/**
 * One GET, its body read, within `timeoutMs` by a timer that keeps the process alive. Not
 * AbortSignal.timeout(): its timer is unref'd, and undici can leave a fetch's promise pending for
 * good (a port that refuses while a container starts, an abort while the body is read: undici
 * and Node issues). With nothing else on the event loop, Node then ended `deploy` with exit 13
 * ("unsettled top-level await") and no word, seen with two deployments starting at once.
 */
async function get(url: string, timeoutMs: number, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${url} did not answer within ${timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const request = (async () => {
    const response = await fetch(url, { signal: controller.signal, headers });
    return { status: response.status, text: await response.text() };
  })();
  try {
    return await Promise.race([request, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** GET `url`; with `login`, as HTTP basic auth. */
export async function fetchText(url: string, timeoutMs = 2000, login?: Credentials): Promise<string> {
  const attempt = (password?: string) => {
    const headers: Record<string, string> = {};
    if (login?.username && password) headers.authorization = `Basic ${Buffer.from(`${login.username}:${password}`).toString('base64')}`;
    return get(url, timeoutMs, headers);
  };
  let response = await attempt(login?.password);
  // Mid-rotation, a service may still run with the password before the switch.
  if (response.status === 401 && login?.previousPassword) response = await attempt(login.previousPassword);
  if (response.status < 200 || response.status > 299) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.text;
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

export interface PrometheusProbe {
  reachable: boolean;
  error?: string;
  /** /-/ready answered 200 (the TSDB is open, the rules are loaded). */
  ready: boolean;
  /**
   * Active targets by scrape health; `down` with Prometheus's last error and when that scrape
   * began (ISO time; absent if Prometheus did not say). A target not scraped yet is "unknown".
   */
  targets: { up: number; unknown: number; down: { job: string; instance: string; error: string; lastScrape?: string }[] };
  /** Names of the alerts firing now. */
  firing: string[];
}

/** Prometheus's readiness, its targets and its firing alerts (its HTTP API, with the login). */
export async function probePrometheus(host: string, port: number, login?: Credentials): Promise<PrometheusProbe> {
  const base = `http://${host}:${port}`;
  const empty = { up: 0, unknown: 0, down: [] };
  try {
    const ready = await fetchText(`${base}/-/ready`, 2000, login).then(() => true, () => false);
    if (!ready) return { reachable: true, ready: false, targets: empty, firing: [] };
    type Target = { labels: Record<string, string>; health: string; lastError: string; lastScrape?: string };
    type Alert = { labels: Record<string, string>; state: string };
    const [targets, alerts] = await Promise.all([
      fetchText(`${base}/api/v1/targets?state=active`, 2000, login).then((t) => (JSON.parse(t) as { data: { activeTargets: Target[] } }).data.activeTargets),
      fetchText(`${base}/api/v1/alerts`, 2000, login).then((t) => (JSON.parse(t) as { data: { alerts: Alert[] } }).data.alerts),
    ]);
    return {
      reachable: true,
      ready,
      targets: {
        up: targets.filter((t) => t.health === 'up').length,
        unknown: targets.filter((t) => t.health === 'unknown').length,
        down: targets
          .filter((t) => t.health === 'down')
          .map((t) => ({ job: t.labels.job ?? '', instance: t.labels.instance ?? '', error: t.lastError, ...(t.lastScrape ? { lastScrape: t.lastScrape } : {}) })),
      },
      firing: [...new Set(alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname ?? '?'))].sort(),
    };
  } catch (err) {
    return { reachable: false, error: (err as Error).message, ready: false, targets: empty, firing: [] };
  }
}

export interface AlertmanagerProbe {
  /** /-/ready answered 200 (its config is loaded). */
  ready: boolean;
  /** Why not: no answer, or the HTTP status it gave. */
  error?: string;
}

/** Alertmanager's readiness (with the login: its web.yml guards /-/ready too). */
export async function probeAlertmanager(host: string, port: number, login?: Credentials): Promise<AlertmanagerProbe> {
  return fetchText(`http://${host}:${port}/-/ready`, 2000, login).then(
    () => ({ ready: true }),
    (err: Error) => ({ ready: false, error: err.message }),
  );
}

/** One series of a Prometheus range query: its labels and its [unix seconds, value] samples. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** GET /api/v1/query_range (times in unix seconds). */
export async function queryPrometheusRange(host: string, port: number, login: Credentials | undefined, query: string, range: { start: number; end: number; step: number }): Promise<RangeSeries[]> {
  const params = new URLSearchParams({ query, start: String(range.start), end: String(range.end), step: String(range.step) });
  const body = JSON.parse(await fetchText(`http://${host}:${port}/api/v1/query_range?${params}`, 5000, login)) as { status: string; data: { result: RangeSeries[] } };
  return body.data.result;
}
