// fetchText's login: the password before a rotation's switch is tried only after a 401.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
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

describe('fetchText against a server that hangs up or stalls', () => {
  // In a process of its own, with nothing else on its event loop: a fetch that undici leaves
  // pending must end in an error, never in Node's exit 13 (unsettled top-level await) with no
  // word, which is how `deploy full` ended while Prometheus's published port hung up on it.
  const probeIn = async (url: string, attempts: number) => {
    const module = new URL('../../src/probes/http.js', import.meta.url).href;
    const script = [
      `import { fetchText } from ${JSON.stringify(module)};`,
      `const errors = new Set();`,
      `for (let i = 0; i < ${attempts}; i++) { try { await fetchText(${JSON.stringify(url)}, 300); } catch (e) { errors.add(e.message.replace(/\\d+/g, 'N')); } }`,
      `console.log('done: ' + [...errors].join('; '));`,
    ].join('\n');
    const { spawn } = await import('node:child_process');
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
  };
  const listen = async (t: import('node:test').TestContext, server: import('node:net').Server) => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/-/ready`;
  };

  // What docker-proxy does on a published port while the container's own port is not up yet.
  it('accepts and closes the connection at once: every probe fails, the process goes on (Node ended it with exit 13 before)', async (t) => {
    const url = await listen(t, createNetServer((socket) => socket.destroy()));
    const { code, out } = await probeIn(url, 30);
    assert.equal(code, 0, `exit ${code} (13: Node's unsettled top-level await); output: ${out}`);
    assert.match(out, /^done: ./m);
  });

  for (const [what, handler] of [
    ['sends no answer', () => undefined],
    ['sends its headers, then stalls in the body', (res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-length': '100' }).write('partial')],
  ] as const) {
    it(`${what}: the probe fails with the timeout, in its time, and the process goes on`, async (t) => {
      const server = createServer((_req, res) => void handler(res));
      t.after(() => server.closeAllConnections());
      const url = await listen(t, server);
      const { code, out } = await probeIn(url, 1);
      assert.equal(code, 0, `exit ${code}; output: ${out}`);
      assert.match(out, /did not answer within N ms/); // digits are N in the summary
    });
  }
});
