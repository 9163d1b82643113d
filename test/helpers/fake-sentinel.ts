// A fake Sentinel on 127.0.0.1 speaking RESP2, for the one race no real server can be made
// to show on demand: a subscriber connection that reconnects and resends its SUBSCRIBE, and
// is closed while that reply is due. The first subscriber connection gets its replies and is
// then dropped; every later SUBSCRIBE is held (never answered) and announced by `held`.
import { createServer, type Socket } from 'node:net';
import { bulk, parse } from './resp.js';

export interface FakeSentinel {
  port: number;
  /** Resolves when a SUBSCRIBE arrives on a connection after the dropped one, left unanswered. */
  held: Promise<string[]>;
  close(): Promise<void>;
}

export async function startFakeSentinel(): Promise<FakeSentinel> {
  const sockets = new Set<Socket>();
  let dropped = false;
  let announce: (channels: string[]) => void = () => {};
  const held = new Promise<string[]>((resolve) => (announce = resolve));
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (data) => {
      const { commands, rest } = parse(pending + data.toString('latin1'));
      pending = rest;
      for (const [name = '', ...args] of commands) {
        const cmd = name.toUpperCase();
        if (cmd === 'HELLO') socket.write("-ERR unknown command 'HELLO'\r\n"); // RESP2, as Redis 5
        else if (cmd === 'INFO') socket.write(bulk('# Server\r\nloading:0\r\n'));
        else if (cmd === 'SENTINEL') socket.write('*-1\r\n');
        else if (cmd === 'PING') socket.write('+PONG\r\n');
        else if (cmd === 'SUBSCRIBE' && dropped) announce(args);
        else if (cmd === 'SUBSCRIBE') {
          args.forEach((channel, i) => socket.write(`*3\r\n${bulk('subscribe')}${bulk(channel)}:${i + 1}\r\n`));
          dropped = true;
          setTimeout(() => socket.destroy(), 50);
        } else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake Sentinel: no port');
  return {
    port: address.port,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
