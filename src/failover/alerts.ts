// The alerts a scenario made the deployment's Prometheus fire (monitoring): read back from its
// ALERTS series over the scenario's window, timed from the fault and the heal. Pure but for
// readScenarioAlerts, which asks Prometheus.
import type { Credentials } from '../probes/connect.js';
import { queryPrometheusRange, type RangeSeries } from '../probes/http.js';

export interface FiredAlert {
  alert: string;
  /** From the fault to the first evaluation that found it firing. */
  firedAfterMs: number;
  /** From the heal to the last firing evaluation's successor; null: still firing when the scenario ended. */
  resolvedAfterHealMs: number | null;
}

/** Wall-clock moments of a scenario (ms since the epoch). */
export interface AlertWindow {
  start: number;
  fault: number;
  heal: number;
  end: number;
  /** The rule evaluation interval (ms). */
  stepMs: number;
}

/**
 * Firing episodes of each alert (ALERTS{alertstate="firing"} samples, one per evaluation) that
 * began after the fault. Episodes are found per series (an alert has one per label set: per
 * instance, per new master) and then merged per alert. An episode already running at the fault
 * (a master change a minute before, from the previous scenario) is not this fault's.
 */
export function firedAlerts(series: RangeSeries[], w: AlertWindow): FiredAlert[] {
  const gap = 1.5 * w.stepMs;
  const byAlert = new Map<string, [number, number][]>();
  for (const s of series) {
    const runs: [number, number][] = [];
    for (const t of s.values.map(([ts]) => ts * 1000).sort((a, b) => a - b)) {
      const last = runs.at(-1);
      if (last && t - last[1] <= gap) last[1] = t;
      else runs.push([t, t]);
    }
    const ours = runs.filter(([first]) => first >= w.fault - w.stepMs / 2);
    const name = s.metric.alertname ?? '?';
    if (ours.length) byAlert.set(name, [...(byAlert.get(name) ?? []), ...ours]);
  }
  const fired: FiredAlert[] = [];
  for (const [alert, runs] of byAlert) {
    const first = Math.min(...runs.map(([f]) => f));
    const last = Math.max(...runs.map(([, l]) => l));
    fired.push({
      alert,
      firedAfterMs: Math.max(0, Math.round(first - w.fault)),
      resolvedAfterHealMs: last >= w.end - gap ? null : Math.max(0, Math.round(last + w.stepMs - w.heal)),
    });
  }
  return fired.sort((a, b) => a.firedAfterMs - b.firedAfterMs || a.alert.localeCompare(b.alert));
}

/** ALERTS over the window, from the deployment's Prometheus. */
export async function readScenarioAlerts(prometheus: { host: string; port: number; login?: Credentials }, w: AlertWindow): Promise<FiredAlert[]> {
  const step = Math.max(1, Math.round(w.stepMs / 1000));
  const series = await queryPrometheusRange(prometheus.host, prometheus.port, prometheus.login, 'ALERTS{alertstate="firing"}', {
    start: Math.floor(w.start / 1000),
    end: Math.ceil(w.end / 1000),
    step,
  });
  return firedAlerts(series, w);
}
