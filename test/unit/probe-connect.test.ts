// A probe that cannot connect says why (the socket's error), not ioredis's "Connection is closed."
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { NO_AUTH, withConnection } from '../../src/probes/connect.js';

describe('withConnection', () => {
  it('a refused port fails with ECONNREFUSED and the address', async () => {
    // A port that was just free on loopback: listen, note it, close.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await assert.rejects(withConnection({ host: '127.0.0.1', port }, NO_AUTH, (r) => r.ping()), (err: Error) => {
      assert.match(err.message, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
      return true;
    });
  });

  it('a server that closes at once fails with the close, not a hang', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      await assert.rejects(withConnection({ host: '127.0.0.1', port }, NO_AUTH, (r) => r.ping()));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
