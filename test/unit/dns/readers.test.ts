// The pure parts of the reader thread's plumbing: where /proc/net/udp{,6}
// puts a socket, and when a reader is wanted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inodeOf, procAddress } from '../../../dns/socket-fd.js';
import { readerQps } from '../../../dns/readers.js';

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  110: 0100010A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0
  111: 0100010A:E2A4 0100FA0A:0035 01 00000000:00000000 00:00000000 00000000     0        0 4343 2 0000000000000000 0
  112: 0100020A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4444 2 0000000000000000 0
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  300: 000001FD000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 5151 2 0000000000000000 0
`;

test('procAddress: IPv4 and IPv6 as the kernel prints them (32-bit words, host order)', () => {
  assert.equal(procAddress('10.1.0.1'), '0100010A');
  assert.equal(procAddress('fd01::1'), '000001FD000000000000000001000000');
  assert.equal(procAddress('::1'), '00000000000000000000000001000000');
  assert.throws(() => procAddress('nope'), /not an IP address: nope/);
});

test('inodeOf: the unconnected socket on ip:port, not a connected one, not another port', () => {
  assert.equal(inodeOf(UDP, '10.1.0.1', 53), 4242);
  assert.equal(inodeOf(UDP, '10.2.0.1', 53), 4444);
  assert.equal(inodeOf(UDP, '10.1.0.1', 58020), undefined); // connected (st 01): an upstream socket
  assert.equal(inodeOf(UDP, '10.3.0.1', 53), undefined);
  assert.equal(inodeOf(UDP6, 'fd01::1', 53), 5151);
});

test('readerQps: default 2000 with two CPUs, off with one, 0 = always, off = never, junk = default', () => {
  assert.equal(readerQps({}, 2), 2000);
  assert.equal(readerQps({}, 1), undefined);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: '0' }, 1), 0);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: '500' }, 4), 500);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: 'off' }, 4), undefined);
  assert.equal(readerQps({ SKIFF_DNS_READER_QPS: 'fast' }, 4), 2000);
});
