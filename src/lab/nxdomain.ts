// The lab's resolver: answers every DNS query with NXDOMAIN ("no such name"), at once.
// Why: the host's resolver is out of reach from the lab's namespaces, and Docker's embedded DNS
// drops a query it cannot forward instead of failing it, so every name it does not know (a
// swarm task not yet healthy, e.g. a Sentinel peer at start; redis #12753) cost the client a
// 10 s timeout, during which Sentinel, resolving its peers, blocks and fails its healthcheck.
// Real swarms get a fast NXDOMAIN from their upstream; this gives the lab the same.
// Run as its own process by lab up (startLabDns), killed by lab down like every lab process.
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The reply to one query: its id and question, QR + RD copied + RA, rcode 3; undefined for what is not a query. */
export function nxdomainReply(query: Buffer): Buffer | undefined {
  if (query.length < 12 || (query[2]! & 0x80) !== 0) return undefined;
  const qdcount = query.readUInt16BE(4);
  // Walk the question names to copy the question section (labels, no compression in queries).
  let offset = 12;
  for (let q = 0; q < qdcount; q++) {
    while (offset < query.length && query[offset] !== 0) offset += query[offset]! + 1;
    offset += 5; // the zero byte, QTYPE, QCLASS
    if (offset > query.length) return undefined;
  }
  const reply = Buffer.alloc(offset);
  query.copy(reply, 0, 0, offset);
  reply[2] = 0x80 | (query[2]! & 0x79); // QR, opcode, RD
  reply[3] = 0x80 | 3; // RA, NXDOMAIN
  reply.writeUInt16BE(qdcount, 4);
  reply.writeUInt32BE(0, 6); // no answers, no authority
  reply.writeUInt16BE(0, 10); // no additional
  return reply;
}

export function serveNxdomain(address: string, port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, peer) => {
    const reply = nxdomainReply(msg);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => resolve(socket));
  });
}

/** Starts the responder as a detached process; `cwd` under a lab root marks it as the lab's. */
export function startLabDns(address: string, pidFile: string, cwd: string): void {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), address, pidFile], { cwd, detached: true, stdio: 'ignore' });
  child.unref();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [address = '10.77.0.1', pidFile] = process.argv.slice(2);
  await serveNxdomain(address, 53);
  if (pidFile) writeFileSync(pidFile, `${process.pid}\n`);
}
