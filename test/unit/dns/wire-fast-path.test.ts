// The hot path (wire.ts parseQuery's one-buffer name decoding, buildReply's
// byte-by-byte writer) against the parser of record, dns-packet, on many
// random shapes: names of any case and length, A/AAAA/PTR/other types, with
// and without EDNS, 0..n answers, UDP size limits. A reply must re-encode
// through dns-packet to exactly the bytes dns-packet makes of the expected
// answer, and carry the query's question bytes unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { buildEmptyReply, buildReply, encodeName, parseQuery, RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA, TYPE_PTR } from '../../../dns/wire.js';

const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
const qtype = fc.constantFrom(...(['A', 'AAAA', 'PTR', 'MX', 'TXT', 'SRV', 'ANY'] as dnsPacket.RecordType[]));
const TYPE_NUM: Record<string, number> = { A: TYPE_A, AAAA: TYPE_AAAA, PTR: TYPE_PTR };

const queryShape = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  rd: fc.boolean(),
  name,
  type: qtype,
  // dns-packet writes 4096 for a payload size of 0
  edns: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined }),
});

function encodeQuery(s: { id: number; rd: boolean; name: string; type: dnsPacket.RecordType; edns: number | undefined }): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: s.id,
    flags: s.rd ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ type: s.type, name: s.name, class: 'IN' }],
    additionals: s.edns === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: s.edns } as dnsPacket.Answer],
  } as dnsPacket.Packet);
}

test('parseQuery reads what dns-packet wrote: lower-case name, type, class, EDNS size, question end', () => {
  fc.assert(
    fc.property(queryShape, (s) => {
      const msg = encodeQuery(s);
      const r = parseQuery(msg);
      assert.ok(r.ok);
      if (!r.ok) return;
      const d = dnsPacket.decode(msg);
      assert.equal(r.query.name, d.questions![0]!.name.toLowerCase());
      assert.equal(r.query.id, s.id);
      assert.equal(r.query.type, msg.readUInt16BE(r.query.questionEnd - 4));
      assert.equal(r.query.qclass, 1);
      assert.equal(r.query.udpSize, s.edns === undefined ? 512 : Math.max(512, s.edns));
      // the question ends where dns-packet's question section ends
      assert.equal(r.query.questionEnd, 12 + encodeName(s.name).length + 4);
    }),
    { numRuns: 2000 },
  );
});

test('a label with a literal dot or upper case keeps its escape and is lower-cased', () => {
  const msg = Buffer.from(encodeQuery({ id: 1, rd: true, name: 'ab.example', type: 'A', edns: undefined }));
  msg[13] = 0x2e; // ".B" as one label: a literal dot, an upper case B
  msg[14] = 0x42;
  const r = parseQuery(msg);
  assert.ok(r.ok && r.query.name === '\\.b.example');
});

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ptrName = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.').toLowerCase());

test('buildReply: byte for byte what dns-packet encodes for the same answer; the question is the query bytes', () => {
  fc.assert(
    fc.property(
      queryShape,
      fc.constantFrom('A', 'AAAA', 'PTR'),
      fc.array(fc.oneof(ipv4, ipv6, ptrName), { maxLength: 40 }),
      fc.constantFrom(512, 1232, 65535),
      (s, kind, raw, maxSize) => {
        const msg = encodeQuery(s);
        const r = parseQuery(msg);
        if (!r.ok) throw new Error('parse');
        const q = r.query;
        const datas =
          kind === 'A'
            ? (raw.filter((x) => typeof x !== 'string' && x.length === 4) as Uint8Array[])
            : kind === 'AAAA'
              ? (raw.filter((x) => typeof x !== 'string' && x.length === 16) as Uint8Array[])
              : (raw.filter((x) => typeof x === 'string') as string[]);
        const rdatas = datas.map((d) => (typeof d === 'string' ? encodeName(d) : Buffer.from(d)));
        const out = buildReply(msg, q, RCODE_NOERROR, TYPE_NUM[kind]!, rdatas, maxSize);
        assert.ok(out.length <= maxSize);
        const fit = out.readUInt16BE(6);
        assert.ok(fit <= rdatas.length);
        // what dns-packet makes of the answer we mean (as many as fit, TC when not all did)
        const expected: dnsPacket.Packet = {
          type: 'response',
          id: s.id,
          flags: dnsPacket.AUTHORITATIVE_ANSWER | (s.rd ? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE : 0) | (fit < rdatas.length ? dnsPacket.TRUNCATED_RESPONSE : 0),
          questions: [{ type: s.type, name: s.name, class: 'IN' }],
          answers: datas.slice(0, fit).map((d) => ({
            type: kind,
            name: s.name,
            ttl: 0,
            class: 'IN',
            data: typeof d === 'string' ? d : kind === 'A' ? [...d].join('.') : ipv6Text(d),
          })) as dnsPacket.Answer[],
        };
        assert.deepEqual(dnsPacket.encode(dnsPacket.decode(out)), dnsPacket.encode(expected));
        assert.deepEqual(out.subarray(12, q.questionEnd), msg.subarray(12, q.questionEnd), 'question copied as sent (case kept)');
        for (let i = 0, off = q.questionEnd; i < fit; i++) {
          assert.deepEqual([out[off], out[off + 1]], [0xc0, 12], 'answer names point at the question');
          off += 12 + out.readUInt16BE(off + 10);
        }
      },
    ),
    { numRuns: 1500 },
  );
});

test('buildEmptyReply (NXDOMAIN) equals dns-packet encoding of the same reply', () => {
  fc.assert(
    fc.property(queryShape, (s) => {
      const msg = encodeQuery(s);
      const r = parseQuery(msg);
      if (!r.ok) throw new Error('parse');
      const out = buildEmptyReply(msg, r.query, RCODE_NXDOMAIN, true);
      const expected = {
        type: 'response',
        id: s.id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | (s.rd ? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE : 0) | RCODE_NXDOMAIN,
        questions: [{ type: s.type, name: s.name, class: 'IN' }],
      } as dnsPacket.Packet;
      assert.deepEqual(out, dnsPacket.encode(expected));
    }),
    { numRuns: 1000 },
  );
});

function ipv6Text(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return g.join(':');
}
