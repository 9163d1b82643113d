// Prometheus durations (monitoring.prometheus.scrapeInterval, retention): their grammar is
// checked by the schema.

/** A Prometheus duration in milliseconds (the schema checked its grammar). */
export function durationMs(d: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  let ms = 0;
  for (const [, n, u] of d.matchAll(/(\d+)(ms|[smhdwy])/g)) ms += Number(n) * unit[u!]!;
  return ms;
}
