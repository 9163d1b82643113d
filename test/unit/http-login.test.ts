// fetchText's login: the password before a rotation's switch is tried only after a 401.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fetchText } from '../../src/probes/http.js';

describe('HTTP login (fetchText)', () => {
  it('a 401 with the current password is tried again with the previous one; without it, the 401 stands', async (t) => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const pw = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':')[1] ?? '';
      seen.push(pw);
      res.writeHead(pw === 'old' ? 200 : 401).end(pw === 'old' ? 'ok' : 'no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`;
    assert.equal(await fetchText(url, 2000, { username: 'stats', password: 'new', previousPassword: 'old' }), 'ok');
    assert.deepEqual(seen, ['new', 'old'], 'the new one first');
    await assert.rejects(fetchText(url, 2000, { username: 'stats', password: 'new' }), /answered HTTP 401/);
  });
});
