// Widths on a terminal: escape sequences (colours, cursor moves) take no column, and a cut
// never falls inside one. One column a character (what redis-ha prints has no wide characters).
import { stripVTControlCharacters } from 'node:util';

/** The columns `s` takes. */
export const visibleWidth = (s: string): number => [...stripVTControlCharacters(s)].length;

/** padEnd by visible width. */
export const padVisible = (s: string, columns: number): string => s + ' '.repeat(Math.max(0, columns - visibleWidth(s)));

/** One escape sequence at the position searched: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ST`), or ESC and one byte. */
const ESCAPE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/y;

/**
 * `s` cut to `columns` visible characters. Escape sequences count for nothing and are kept
 * whole, those after the cut too: a colour opened before the cut is still closed after it.
 */
export function cutToWidth(s: string, columns: number): string {
  let out = '';
  let width = 0;
  for (let i = 0; i < s.length; ) {
    ESCAPE.lastIndex = i;
    const escape = ESCAPE.exec(s)?.[0];
    if (escape) {
      out += escape;
      i += escape.length;
      continue;
    }
    const char = String.fromCodePoint(s.codePointAt(i)!);
    if (width < columns) {
      out += char;
      width++;
    }
    i += char.length;
  }
  return out;
}
