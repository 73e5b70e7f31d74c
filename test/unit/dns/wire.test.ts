import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { buildEmptyReply, buildHeaderReply, buildReply, encodeName, parseQuery, scanResponse, RCODE_NXDOMAIN, TYPE_A } from '../../../dns/wire.js';
import { reverseNameToIp } from '../../../dns/ip.js';
import { formatIp, ipToBytes as parseIp } from '../../../src/lib/ip.js';

const query = (name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}): Buffer =>
  dnsPacket.encode({ type: 'query', id: 0xbeef, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }], ...extra } as dnsPacket.Packet);

test('parses the question, lower-cased, without trailing dot', () => {
  const r = parseQuery(query('WeB.DNS.Podman', 'AAAA'));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.query.name, 'web.dns.podman');
  assert.equal(r.query.type, 28);
  assert.equal(r.query.udpSize, 512);
});

test('EDNS payload size is read from OPT', () => {
  const r = parseQuery(query('a', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer] }));
  assert.ok(r.ok && r.query.udpSize === 1232);
});

test('reply built from the query decodes as a proper answer with TTL 0', () => {
  const q = query('web', 'A');
  const r = parseQuery(q);
  assert.ok(r.ok);
  if (!r.ok) return;
  const out = dnsPacket.decode(buildReply(q, r.query, 0, TYPE_A, [parseIp('10.0.0.2')!, parseIp('10.0.0.3')!]));
  assert.equal(out.id, 0xbeef);
  assert.equal(out.type, 'response');
  assert.equal(out.flag_rd, true);
  assert.equal(out.flag_ra, true);
  assert.equal(out.flag_aa, true);
  assert.deepEqual(out.answers?.map((a) => [a.name, a.type, (a as { ttl?: number }).ttl, (a as { data: unknown }).data]), [
    ['web', 'A', 0, '10.0.0.2'],
    ['web', 'A', 0, '10.0.0.3'],
  ]);
});

test('too many answers for UDP: as many as fit, with TC', () => {
  const q = query('many');
  const r = parseQuery(q);
  if (!r.ok) throw new Error('parse');
  const many = Array.from({ length: 100 }, (_, i) => parseIp(`10.0.${i}.1`)!);
  const buf = buildReply(q, r.query, 0, TYPE_A, many, 512);
  assert.ok(buf.length <= 512);
  const out = dnsPacket.decode(buf);
  assert.equal(out.flag_tc, true);
  assert.ok((out.answers?.length ?? 0) > 10);
});

test('PTR rdata and NXDOMAIN replies decode', () => {
  const q = query('2.0.0.10.in-addr.arpa', 'PTR');
  const r = parseQuery(q);
  if (!r.ok) throw new Error('parse');
  const out = dnsPacket.decode(buildReply(q, r.query, 0, 12, [encodeName('web')]));
  assert.equal((out.answers?.[0] as { data: string }).data, 'web');
  const nx = dnsPacket.decode(buildEmptyReply(q, r.query, RCODE_NXDOMAIN, true));
  assert.equal((nx as { rcode?: string }).rcode, "NXDOMAIN");
  assert.equal(nx.questions?.[0]?.name, '2.0.0.10.in-addr.arpa');
});

test('malformed queries: drop, FORMERR or NOTIMP, never a throw', () => {
  assert.deepEqual(parseQuery(Buffer.alloc(5)), { ok: false, reply: 'drop' });
  const resp = Buffer.from(query('a'));
  resp[2] = resp[2]! | 0x80;
  assert.deepEqual(parseQuery(resp), { ok: false, reply: 'drop' }, 'responses are never answered');
  const truncated = query('truncated.example').subarray(0, 20);
  assert.deepEqual(parseQuery(truncated), { ok: false, reply: 'formerr' });
  const twoQ = Buffer.from(query('a'));
  twoQ[5] = 2;
  assert.deepEqual(parseQuery(twoQ), { ok: false, reply: 'formerr' });
  const notify = Buffer.from(query('a'));
  notify[2] = (notify[2]! & 0x87) | (4 << 3);
  assert.deepEqual(parseQuery(notify), { ok: false, reply: 'notimp' });
  const fe = dnsPacket.decode(buildHeaderReply(truncated, 1));
  assert.equal((fe as { rcode?: string }).rcode, "FORMERR");
  assert.equal(fe.id, 0xbeef);
});

test('fuzz: random and truncated packets never throw', () => {
  const base = query('fuzz.example.com', 'AAAA', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as dnsPacket.Answer] });
  for (let i = 0; i < 20000; i++) {
    let b: Buffer;
    if (i % 3 === 0) b = randomBytes(i % 80);
    else if (i % 3 === 1) b = base.subarray(0, i % (base.length + 1));
    else {
      b = Buffer.from(base);
      b[i % b.length] = randomBytes(1)[0]!;
    }
    parseQuery(b);
    scanResponse(b);
  }
});

test('reverse names → addresses (the IP text grammar is tested in test/unit/lib/ip.test.ts)', () => {
  assert.equal(formatIp(reverseNameToIp('4.3.2.1.in-addr.arpa')!), '1.2.3.4');
  assert.equal(formatIp(reverseNameToIp('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa')!), 'fd00::1');
  assert.equal(reverseNameToIp('3.2.1.in-addr.arpa'), undefined);
  assert.equal(reverseNameToIp('1.2.3.400.in-addr.arpa'), undefined);
});
