// One text-table helper for the terminal: columns as wide as their widest cell, two spaces apart.

/** Rows of cells under a header, each column padded to its widest cell (ANSI codes not counted). */
export function formatTable(header: string[], rows: string[][], styleRow: (line: string, row: string[]) => string = (l) => l, styleHeader: (line: string) => string = (l) => l): string[] {
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((row) => width(row[i] ?? ''))));
  const fmt = (row: string[]) =>
    row
      .map((c, i) => c + ' '.repeat(Math.max(0, widths[i]! - width(c))))
      .join('  ')
      .trimEnd();
  return [styleHeader(fmt(header)), ...rows.map((row) => styleRow(fmt(row), row))];
}
