import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { ReplyCache } from '../../../dns/cache.js';
import { scanResponse } from '../../../dns/wire.js';

function reply(opts: { rcode?: string; answers?: dnsPacket.Answer[]; authorities?: dnsPacket.Answer[] }): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    rcode: opts.rcode ?? 'NOERROR',
    questions: [{ type: 'A', name: 'example.com' }],
    answers: opts.answers ?? [],
    authorities: opts.authorities ?? [],
  } as dnsPacket.Packet);
}

const soa = (ttl: number, minimum: number): dnsPacket.Answer =>
  ({
    type: 'SOA',
    name: 'com',
    ttl,
    data: { mname: 'a.com', rname: 'b.com', serial: 1, refresh: 1, retry: 1, expire: 1, minimum },
  }) as dnsPacket.Answer;

test('positive answers live for the smallest answer TTL and are served aged', () => {
  let now = 1_000_000;
  const c = new ReplyCache({ now: () => now });
  const r = reply({ answers: [{ type: 'A', name: 'example.com', ttl: 30, data: '192.0.2.1' }, { type: 'A', name: 'example.com', ttl: 10, data: '192.0.2.2' }] });
  c.put('k', r, scanResponse(r)!);
  const hit = c.get('k', 0x1234)!;
  assert.equal(hit.readUInt16BE(0), 0x1234);
  now += 4_000;
  const aged = dnsPacket.decode(c.get('k', 1)!);
  assert.deepEqual(aged.answers?.map((a) => (a as { ttl?: number }).ttl), [26, 6]);
  now += 6_000;
  assert.equal(c.get('k', 1), undefined, 'expired at the smallest TTL');
});

test('NXDOMAIN and NODATA are cached for min(SOA ttl, SOA minimum)', () => {
  let now = 0;
  const c = new ReplyCache({ now: () => now });
  const nx = reply({ rcode: 'NXDOMAIN', authorities: [soa(900, 5)] });
  assert.equal(scanResponse(nx)!.cacheTtl, 5);
  c.put('nx', nx, scanResponse(nx)!);
  const nodata = reply({ authorities: [soa(3, 60)] });
  assert.equal(scanResponse(nodata)!.cacheTtl, 3);
  c.put('nodata', nodata, scanResponse(nodata)!);
  now += 3_000;
  assert.ok(c.get('nx', 1));
  assert.equal(c.get('nodata', 1), undefined);
  now += 2_000;
  assert.equal(c.get('nx', 1), undefined);
});

test('not cached: SERVFAIL, negative without SOA, TTL 0', () => {
  const c = new ReplyCache();
  for (const r of [
    reply({ rcode: 'SERVFAIL' }),
    reply({ rcode: 'NXDOMAIN' }),
    reply({ answers: [{ type: 'A', name: 'example.com', ttl: 0, data: '192.0.2.1' }] }),
  ]) {
    c.put('k', r, scanResponse(r)!);
    assert.equal(c.size, 0);
  }
});

test('oldest entry goes when full', () => {
  const c = new ReplyCache({ maxEntries: 2 });
  const r = reply({ answers: [{ type: 'A', name: 'example.com', ttl: 60, data: '192.0.2.1' }] });
  for (const k of ['a', 'b', 'c']) c.put(k, r, scanResponse(r)!);
  assert.equal(c.get('a', 1), undefined);
  assert.ok(c.get('c', 1));
});

test('replies whose OPT carries options (cookies) are not cached', () => {
  const c = new ReplyCache();
  const r = dnsPacket.encode({
    type: 'response',
    id: 7,
    questions: [{ type: 'A', name: 'example.com' }],
    answers: [{ type: 'A', name: 'example.com', ttl: 60, data: '192.0.2.1' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: 10, data: Buffer.alloc(16, 1) }] } as unknown as dnsPacket.Answer],
  } as dnsPacket.Packet);
  const scan = scanResponse(r)!;
  assert.equal(scan.ednsOptions, true);
  c.put('k', r, scan);
  assert.equal(c.size, 0);
  assert.notEqual(ReplyCache.key(['a'], 'n', 1, 1), ReplyCache.key(['a'], 'n', 1, 1, 1232));
});
