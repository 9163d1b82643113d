// A fake Redis master on 127.0.0.1 speaking RESP2, for a race no real server shows on demand: a
// client whose connection drops after its SET was answered and before its WAIT was, so that the
// client (ioredis resends a command in flight) gets the WAIT answered on its next connection.
// The first connection answers SET and is closed when a WAIT arrives; every later connection
// answers WAIT with 1 (a replica acknowledged what that connection wrote: nothing).
import { createServer, type Socket } from 'node:net';
import { bulk, parse } from './resp.js';

export interface FakeMaster {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startFakeMaster(): Promise<FakeMaster> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    const connection = ++accepted;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (data) => {
      const { commands, rest } = parse(pending + data.toString('latin1'));
      pending = rest;
      for (const [name = ''] of commands) {
        const cmd = name.toUpperCase();
        if (cmd === 'HELLO') socket.write("-ERR unknown command 'HELLO'\r\n"); // RESP2, as Redis 5
        else if (cmd === 'INFO') socket.write(bulk('# Server\r\nloading:0\r\n'));
        else if (cmd === 'CONFIG') socket.write(`*2\r\n${bulk('replica-announce-ip')}${bulk(`fake-${connection}`)}`);
        else if (cmd === 'WAIT' && connection === 1) socket.destroy();
        else if (cmd === 'WAIT') socket.write(':1\r\n');
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake master: no port');
  return {
    port: address.port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
