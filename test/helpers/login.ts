// AUTH on a raw connection, as a client that is about to log in: 'ok', or the error code
// (WRONGPASS). Not ioredis: it opens with HELLO, which an anonymous connection cannot send when
// the default user is off.
import { connect } from 'node:net';

export function login(host: string, port: number, username: string, password: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (v: string) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(2000, () => done('timeout'));
    socket.on('error', (e) => done(`error ${e.message}`));
    socket.on('connect', () => socket.write(`AUTH ${username} ${password}\r\n`));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+OK') ? 'ok' : reply.slice(1).split(' ')[0]!);
    });
  });
}
