// The lab's resolver answers every query NXDOMAIN at once (a real UDP round trip on 127.0.0.1).
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { nxdomainReply, serveNxdomain } from '../../src/lab/nxdomain.js';

// id 0x1234, RD, one question: zzz.example A IN
const QUERY = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x7a, 0x7a, 0x7a, 7, ...Buffer.from('example'), 0, 0, 1, 0, 1]);

describe('lab resolver (NXDOMAIN)', () => {
  it('replies with the id and question, QR, RD copied, RA, rcode 3, no records', () => {
    const r = nxdomainReply(QUERY)!;
    assert.equal(r.readUInt16BE(0), 0x1234);
    assert.equal(r[2], 0x81);
    assert.equal(r[3], 0x83);
    assert.deepEqual([r.readUInt16BE(4), r.readUInt16BE(6), r.readUInt16BE(8), r.readUInt16BE(10)], [1, 0, 0, 0]);
    assert.deepEqual(r.subarray(12), QUERY.subarray(12));
  });

  it('ignores responses and truncated packets', () => {
    assert.equal(nxdomainReply(Buffer.from([0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0])), undefined);
    assert.equal(nxdomainReply(Buffer.from([1, 2, 3])), undefined);
    assert.equal(nxdomainReply(QUERY.subarray(0, 20)), undefined);
  });

  it('answers over UDP', async () => {
    const server = await serveNxdomain('127.0.0.1', 0);
    const client = createSocket('udp4');
    try {
      const reply = await new Promise<Buffer>((resolve) => {
        client.once('message', resolve);
        client.send(QUERY, server.address().port, '127.0.0.1');
      });
      assert.equal(reply[3]! & 0x0f, 3);
    } finally {
      client.close();
      server.close();
    }
  });
});
