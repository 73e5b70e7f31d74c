// The pure parts of the native UDP path and the reader thread: socket
// addresses as the kernel reads and writes them, and when a reader is wanted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSockaddr } from '../../../dns/udp-native.js';
import { sockaddr } from '../../../src/lib/socket.js';
import { readerQps } from '../../../dns/readers.js';

test('sockaddr: sockaddr_in / sockaddr_in6 bytes (family LE, port BE, address)', () => {
  assert.equal(sockaddr('10.1.0.1', 53).toString('hex'), '020000350a01000100000000' + '00000000');
  const v6 = sockaddr('fd01::2', 5353);
  assert.equal(v6.length, 28);
  assert.equal(v6.toString('hex'), '0a0014e9' + '00000000' + 'fd010000000000000000000000000002' + '00000000');
  assert.throws(() => sockaddr('nope', 53), /not an IP address: nope/);
});

test('parseSockaddr: the source of a datagram, IPv4 and IPv6 (canonical text, scope dropped)', () => {
  const slot = Buffer.alloc(64);
  sockaddr('10.1.0.3', 40000).copy(slot, 32);
  assert.deepEqual(parseSockaddr(slot, 32), { address: '10.1.0.3', port: 40000 });
  const v6 = sockaddr('fe80::1', 1234);
  v6.writeUInt32LE(7, 24); // sin6_scope_id
  assert.deepEqual(parseSockaddr(v6, 0), { address: 'fe80::1', port: 1234 });
  assert.deepEqual(parseSockaddr(sockaddr('fd01:0:0::2', 53), 0), { address: 'fd01::2', port: 53 });
});

test('readerQps: default 2000 with two CPUs, off with one, 0 = always, off = never, junk = default', () => {
  assert.equal(readerQps({}, 2), 2000);
  assert.equal(readerQps({}, 1), undefined);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: '0' }, 1), 0);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: '500' }, 4), 500);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: 'off' }, 4), undefined);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: 'fast' }, 4), 2000);
});
