#!/usr/bin/env node
// A deliberately fast upstream for the DNS benchmark: answers every A query
// with 192.0.2.1 (TTL 60) straight from the query bytes, so the server under
// test, not the upstream, is what gets measured. Usage: dns-upstream.mjs <ip>
import { createSocket } from 'node:dgram';

const ip = process.argv[2] ?? '127.0.0.1';
const s = createSocket('udp4');
s.on('message', (m, r) => {
  if (m.length < 12) return;
  let off = 12;
  while (off < m.length && m[off] !== 0) off += m[off] + 1;
  const qEnd = off + 5;
  if (qEnd > m.length) return;
  const isA = m[off + 1] === 0 && m[off + 2] === 1;
  const out = Buffer.alloc(qEnd + (isA ? 16 : 0));
  m.copy(out, 0, 0, qEnd);
  out[2] = 0x81;
  out[3] = 0x80;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(isA ? 1 : 0, 6);
  out.writeUInt32BE(0, 8);
  if (isA) {
    out.set([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1], qEnd);
  }
  s.send(out, r.port, r.address);
});
s.bind(53, ip, () => {
  try {
    s.setRecvBufferSize(4 << 20);
  } catch {
    /* rmem_max */
  }
  process.stdout.write('ready\n');
});
