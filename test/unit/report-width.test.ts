// Terminal widths: escape sequences take no column and are never cut in half; the live task
// list keeps each redrawn line within the terminal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import chalk from 'chalk';
import { TaskList } from '../../src/report/tasks.js';
import { cutToWidth, padVisible, visibleWidth } from '../../src/report/width.js';

const RED = '\x1b[31m';
const RESET = '\x1b[39m';
/** Every escape sequence left whole: what remains once they are removed has no ESC. */
const noBrokenEscape = (s: string) => !stripVTControlCharacters(s).includes('\x1b');

describe('visible width', () => {
  it('counts characters, not escape sequences', () => {
    assert.equal(visibleWidth(`${RED}abc${RESET}`), 3);
    assert.equal(visibleWidth('✔ ⠋ done'), 8);
    assert.equal(padVisible(`${RED}ab${RESET}`, 4), `${RED}ab${RESET}  `);
  });

  it('cuts by visible characters, keeps every escape sequence whole, those after the cut too', () => {
    const line = `${RED}abcdef${RESET} \x1b]8;;https://x\x07link\x1b]8;;\x07 ${RED}tail${RESET}`;
    for (let n = 0; n <= visibleWidth(line) + 1; n++) {
      const cut = cutToWidth(line, n);
      assert.equal(visibleWidth(cut), Math.min(n, visibleWidth(line)), `width ${n}`);
      assert.ok(noBrokenEscape(cut), `width ${n}: ${JSON.stringify(cut)}`);
      assert.equal(stripVTControlCharacters(cut), stripVTControlCharacters(line).slice(0, n));
      // The colour opened before the cut is closed after it.
      assert.equal(cut.split(RESET).length, line.split(RESET).length, `width ${n}`);
    }
    assert.equal(cutToWidth(`${RED}abc${RESET}`, 2), `${RED}ab${RESET}`);
  });

  it('never splits a character outside the basic plane', () => {
    assert.equal(cutToWidth('a😀b', 2), 'a😀');
  });
});

describe('the live task list', () => {
  it('draws each line within the terminal, escape sequences whole, whatever its width', (t) => {
    const level = chalk.level;
    chalk.level = 1;
    t.after(() => (chalk.level = level));
    for (let columns = 10; columns <= 80; columns++) {
      let written = '';
      const tasks = new TaskList({ write: (s: string) => (written += s) }, true, true, columns);
      tasks.add('a', 'deploy redis-1');
      tasks.add('b', 'wait until healthy');
      tasks.start('a');
      tasks.finish('a', 'failed', 'a detail far too long for a terminal of eighty columns, even one that wide');
      tasks.close();
      const drawn = written.split('\n').filter(Boolean);
      assert.equal(drawn.length, 4, 'two tasks, drawn when one finished and at close');
      assert.ok(written.includes('\x1b[31m'), 'coloured: the check sees escape sequences');
      for (const line of drawn) {
        assert.ok(visibleWidth(line) < columns, `${visibleWidth(line)} of ${columns} columns: ${JSON.stringify(line)}`);
        assert.ok(noBrokenEscape(line), `${columns} columns: ${JSON.stringify(line)}`);
      }
    }
  });
});
