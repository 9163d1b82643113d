// One text-table helper for the terminal: columns as wide as their widest cell, two spaces apart.
import { padVisible, visibleWidth } from './width.js';

/** Rows of cells under a header, each column padded to its widest cell (ANSI codes not counted). */
export function formatTable(header: string[], rows: string[][], styleRow: (line: string, row: string[]) => string = (l) => l, styleHeader: (line: string) => string = (l) => l): string[] {
  const widths = header.map((h, i) => Math.max(visibleWidth(h), ...rows.map((row) => visibleWidth(row[i] ?? ''))));
  const fmt = (row: string[]) =>
    row
      .map((c, i) => padVisible(c, widths[i]!))
      .join('  ')
      .trimEnd();
  return [styleHeader(fmt(header)), ...rows.map((row) => styleRow(fmt(row), row))];
}
