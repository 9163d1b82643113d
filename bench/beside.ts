// A figure beside its floor (the fastest thing that does the same job, measured in the same
// run), as hyperfine prints it: both spreads and their ratio, and the target when there is one.
// Pure: every part of the bench builds its rows with `beside` and prints them with `formatBeside`,
// and the summary at the end is `formatSummary` of the rows that carry a target.

export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

/**
 * `ratio`: figure <= k x floor. `plus`: figure <= floor + plus (in the figure's unit). `atMost`:
 * figure <= a bound of its own (issue 14's idle CPU: at most 3 % of one core, whatever the floor).
 */
export type Target = { ratio: number } | { plus: number } | { atMost: number };

/** `writes`: a count of writes (acknowledged writes lost). */
export type Unit = 'ms' | '%cpu' | 'writes';

export interface Beside {
  label: string;
  unit: Unit;
  figure: Spread | null;
  floorLabel: string;
  floor: Spread | null;
  /** figure.median / floor.median; min and max from the extremes (figure.min / floor.max ...). */
  ratio: Spread | null;
  /** figure.median - floor.median. */
  difference: number | null;
  target?: Target;
  /** The target holds for every run (judged on figure.max), not for the median: a figure that must be 0. */
  everyRun?: boolean;
  /** null: a figure or the floor is missing. */
  met?: boolean | null;
}

/**
 * min, center and max of the finite `values`, or null. The center (the field `median`, not
 * rounded, unlike metrics.ts's) is their median, or with `mean` their mean: the figure of an
 * idle window cut into slices, where a cost that comes once a minute (a container healthcheck)
 * lands in one slice and a median would leave it out.
 */
export function spread(values: readonly (number | null | undefined)[], center: 'median' | 'mean' = 'median'): Spread | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  const median = center === 'mean' ? v.reduce((a, b) => a + b, 0) / v.length : v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: v[0]!, median, max: v.at(-1)!, n: v.length };
}

export function beside(
  label: string,
  figures: readonly (number | null | undefined)[],
  floorLabel: string,
  floors: readonly (number | null | undefined)[],
  options: { unit?: Unit; target?: Target; everyRun?: boolean; center?: 'median' | 'mean' } = {},
): Beside {
  const figure = spread(figures, options.center);
  const floor = spread(floors, options.center);
  const ratio =
    figure && floor && floor.min > 0
      ? { min: figure.min / floor.max, median: figure.median / floor.median, max: figure.max / floor.min, n: Math.min(figure.n, floor.n) }
      : null;
  const difference = figure && floor ? figure.median - floor.median : null;
  const row: Beside = { label, unit: options.unit ?? 'ms', figure, floorLabel, floor, ratio, difference };
  if (options.target) {
    row.target = options.target;
    if (options.everyRun) row.everyRun = true;
    const judged = options.everyRun ? figure?.max : figure?.median;
    // Compared without dividing, so that a floor of 0 (no gap at all) still gives a verdict.
    const t = options.target;
    if (judged === undefined) row.met = null;
    else if ('atMost' in t) row.met = judged <= t.atMost;
    else row.met = !floor ? null : 'ratio' in t ? judged <= t.ratio * floor.median : judged - floor.median <= t.plus;
  }
  return row;
}

export function formatValue(unit: Unit, v: number): string {
  if (unit === '%cpu') return `${v.toFixed(1)} %`;
  if (unit === 'writes') return `${Number.isInteger(v) ? v : v.toFixed(1)} writes`;
  return Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

function formatSpread(unit: Unit, s: Spread | null): string {
  if (!s) return '-';
  const median = formatValue(unit, s.median);
  return s.n > 1 ? `${median} (${formatValue(unit, s.min)}..${formatValue(unit, s.max)})` : median;
}

const formatRatio = (r: Spread | null) => (r ? (r.n > 1 ? `x${r.median.toFixed(2)} (${r.min.toFixed(2)}..${r.max.toFixed(2)})` : `x${r.median.toFixed(2)}`) : 'x-');
const signed = (unit: Unit, d: number | null) => (d === null ? '' : `${d >= 0 ? '+' : '-'}${formatValue(unit, Math.abs(d))}`);

export function formatTarget(unit: Unit, t: Target, everyRun = false): string {
  const bound = 'ratio' in t ? `<= ${t.ratio}x` : 'plus' in t ? `<= +${formatValue(unit, t.plus)}` : `<= ${formatValue(unit, t.atMost)}`;
  return `${bound}${everyRun ? ' every run' : ''}`;
}

export const verdict = (met: boolean | null | undefined) => (met === undefined ? '' : met === null ? 'no figure' : met ? 'met' : 'MISSED');

/** One line: `label  figure (min..max)  beside <floor> floor (min..max)  x1.23 (..)  +120 ms  [target  met]`. */
export function formatBeside(b: Beside): string {
  const target = b.target ? `  target ${formatTarget(b.unit, b.target, b.everyRun)} ${verdict(b.met)}` : '';
  return `  ${b.label}: ${formatSpread(b.unit, b.figure)}  beside ${b.floorLabel}: ${formatSpread(b.unit, b.floor)}  = ${formatRatio(b.ratio)}, ${signed(b.unit, b.difference)}${target}`;
}

/** The closing table: every row with a target. */
export function formatSummary(rows: readonly Beside[]): string[] {
  const targeted = rows.filter((r) => r.target);
  const table = targeted.map((r) => [
    r.label,
    // A target for every run is judged on the worst: show it beside the median.
    r.figure ? `${formatValue(r.unit, r.figure.median)}${r.everyRun && r.figure.max !== r.figure.median ? ` (worst ${formatValue(r.unit, r.figure.max)})` : ''}` : '-',
    `${r.floorLabel} ${r.floor ? formatValue(r.unit, r.floor.median) : '-'}`,
    `${r.ratio ? `x${r.ratio.median.toFixed(2)}` : 'x-'} ${signed(r.unit, r.difference)}`.trim(),
    formatTarget(r.unit, r.target!, r.everyRun),
    verdict(r.met),
  ]);
  const head = ['figure', 'median', 'floor (median)', 'ratio, difference', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...table.map(line)];
}
