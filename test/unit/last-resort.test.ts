// The CLI's last resort for an error nothing caught: reported as a bug (what, the message),
// the command stopped once as on Ctrl-C (so that it heals), exit 70 whatever the command said.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LastResort } from '../../src/commands/last-resort.js';
import { EXIT } from '../../src/errors.js';
import { stripAnsi } from '../helpers/cli.js';

function lastResort(verbose = false) {
  let text = '';
  let stops = 0;
  const r = new LastResort({ stderr: { write: (s: string) => (text += s) }, stop: () => stops++, verbose });
  return { r, text: () => stripAnsi(text), stops: () => stops };
}

describe('LastResort', () => {
  it('without an error, the exit code is the command’s', () => {
    const { r, stops } = lastResort();
    for (const code of [EXIT.ok, EXIT.failed, EXIT.interrupted]) assert.equal(r.exitCode(code), code);
    assert.equal(stops(), 0);
  });

  it('an unhandled rejection: says it is a bug with the message, stops the command once, exit 70 even if the command ended 0 or 130', () => {
    const { r, text, stops } = lastResort();
    r.handle('unhandledRejection', new Error('Connection is closed.'));
    assert.equal(stops(), 1);
    assert.match(text(), /^redis-ha: internal error \(a bug in redis-ha; please report it\): a promise was rejected with nothing to handle it: Connection is closed\.\n/);
    assert.match(text(), /stopping at the next safe point, as on Ctrl-C, so that the command undoes what it changed \(test-failover heals every injected fault\); exit code 70/);
    assert.match(text(), /run again with --verbose for the stack/);
    assert.equal(r.exitCode(EXIT.ok), EXIT.internal);
    assert.equal(r.exitCode(EXIT.interrupted), EXIT.internal);
    assert.equal(EXIT.internal, 70);
  });

  it('a second error is reported too but does not stop again; --verbose prints the stack; non-Errors are named', () => {
    const { r, text, stops } = lastResort(true);
    const err = new Error('first');
    r.handle('uncaughtException', err);
    r.handle('unhandledRejection', 'a string reason');
    assert.equal(stops(), 1);
    assert.deepEqual(r.errors, [
      { origin: 'uncaughtException', message: 'first' },
      { origin: 'unhandledRejection', message: 'a string reason' },
    ]);
    assert.match(text(), /an exception was thrown with nothing to catch it: first\n/);
    assert.ok(text().includes(err.stack!.split('\n')[1]!), 'the stack is printed');
    assert.match(text(), /a promise was rejected with nothing to handle it: a string reason\n {2}\(still stopping\)/);
  });
});
