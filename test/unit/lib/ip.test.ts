// The one IP/MAC grammar (src/lib/ip.ts): a table of texts and what they must
// become, cross-checked against node:net and ip-address so that the schemas
// (schemas/ip.ts), the netlink facade and skiff-dns cannot drift apart again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { Address4, Address6 } from 'ip-address';
import { canonicalIp, formatIp, formatMac, ipToBytes, networkOf, parseMac, prefixContains } from '../../../src/lib/ip.js';
import { cidrContains, parseCidr, parseIp, parseMac as parseMacText } from '../../../schemas/ip.js';

/** text → canonical text (inet_ntop's, as `ip` prints it), or undefined when it is not an address. */
const TABLE: Array<[string, string | undefined]> = [
  ['10.88.0.1', '10.88.0.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['01.2.3.4', undefined], // leading zero: octal to inet_aton, refused by netavark
  ['1.2.3.04', undefined],
  ['256.1.1.1', undefined],
  ['1.2.3', undefined],
  ['1.2.3.4.5', undefined],
  ['1.2.3.4 ', undefined],
  ['', undefined],
  ['::', '::'],
  ['::1', '::1'],
  ['fd00:0:0:0::1', 'fd00::1'],
  ['FD00::ABCD', 'fd00::abcd'],
  ['fd00:0000:0000::0002', 'fd00::2'],
  ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longer run wins
  ['1:0:0:1:0:0:1:1', '1::1:0:0:1:1'], // a tie: the first run
  ['1:0:1:1:1:1:1:1', '1:0:1:1:1:1:1:1'], // one zero group stays
  ['fe80::', 'fe80::'],
  ['0:0:0:0:0:ffff:102:304', '::ffff:1.2.3.4'], // v4-mapped: dotted, as inet_ntop and Rust print it
  ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
  ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ['::1.2.3.4', '::1.2.3.4'],
  ['::2', '::2'],
  ['::1:0', '::0.1.0.0'], // glibc's choice, and so ip's
  ['1::2::3', undefined],
  ['12345::', undefined],
  [':1', undefined],
  ['1:', undefined],
  ['fe80::1%eth0', undefined], // zones are stripped by the callers that accept them
  ['g::1', undefined],
  ['1:2:3:4:5:6:7:8:9', undefined],
  ['1:2:3:4:5:6:7::8', undefined],
  ['::1.2.3', undefined],
  ['::01.2.3.4', undefined],
  ['10.0.0.1/24', undefined],
];

test('the table: parse + print', () => {
  for (const [text, want] of TABLE) {
    assert.equal(canonicalIp(text), want, text);
    const b = ipToBytes(text);
    assert.equal(b === undefined ? undefined : formatIp(b), want, text);
  }
});

test('the schemas read the same grammar (schemas/ip.ts)', () => {
  for (const [text, want] of TABLE) assert.equal(parseIp(text)?.address, want, text);
});

test('validity agrees with node:net, canonical text with ip-address (but for dotted v4-mapped forms)', () => {
  for (const [text, want] of TABLE) {
    if (text.includes('%') || text.includes('/')) continue;
    assert.equal(isIP(text) !== 0, want !== undefined, `node:net on ${text}`);
    if (want === undefined || !text.includes(':') || want.includes('.')) continue;
    assert.equal(new Address6(text).correctForm(), want, `ip-address on ${text}`);
  }
  for (let i = 0; i < 2000; i++) {
    // random addresses round-trip and agree with ip-address
    const b = Buffer.from(Array.from({ length: 16 }, () => (Math.random() < 0.4 ? 0 : Math.floor(Math.random() * 256))));
    const text = formatIp(b);
    assert.deepEqual(ipToBytes(text), b, text);
    if (!text.includes('.')) assert.equal(new Address6(text).correctForm(), text);
    const v4 = formatIp(b.subarray(0, 4));
    assert.equal(new Address4(v4).correctForm(), v4);
  }
});

test('prefixes: network address and containment', () => {
  assert.equal(formatIp(networkOf(ipToBytes('10.88.7.9')!, 16)), '10.88.0.0');
  assert.equal(formatIp(networkOf(ipToBytes('10.88.7.9')!, 0)), '0.0.0.0');
  assert.equal(formatIp(networkOf(ipToBytes('fd00:1:8000:3::9')!, 33)), 'fd00:1:8000::');
  assert.equal(formatIp(networkOf(ipToBytes('fd00:1:7fff:3::9')!, 33)), 'fd00:1::');
  assert.equal(prefixContains(ipToBytes('10.88.0.0')!, 16, ipToBytes('10.88.255.1')!), true);
  assert.equal(prefixContains(ipToBytes('10.88.0.0')!, 16, ipToBytes('10.89.0.1')!), false);
  assert.equal(prefixContains(ipToBytes('10.88.0.0')!, 16, ipToBytes('::ffff:10.88.0.1')!), false, 'families never match');
  assert.equal(prefixContains(ipToBytes('fd00::')!, 64, ipToBytes('fd00::1')!), true);
  assert.equal(cidrContains(parseCidr('10.88.0.5/24')!, parseIp('10.88.0.200')!), true);
  assert.equal(parseCidr('10.88.0.5/24')!.text, '10.88.0.0/24');
  assert.equal(parseCidr('fd00::5/64')!.text, 'fd00::/64');
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08x', 'fd00::/129', '10.0.0.0', '01.0.0.0/8']) assert.equal(parseCidr(bad), undefined, bad);
});

test('MAC addresses: colon or dash, any case → lower-case colon form', () => {
  assert.equal(formatMac(parseMac('02:AB:cd:00:00:0F')!), '02:ab:cd:00:00:0f');
  assert.equal(formatMac(parseMac('02-ab-cd-00-00-0f')!), '02:ab:cd:00:00:0f');
  assert.equal(parseMacText('02-AB-cd-00-00-0f'), '02:ab:cd:00:00:0f');
  for (const bad of ['02:ab:cd:00:00', '02:ab:cd:00:00:0g', '02:ab:cd:00:00:0f:00', '', '2:ab:cd:00:00:0f']) {
    assert.equal(parseMac(bad), undefined, bad);
    assert.equal(parseMacText(bad), undefined, bad);
  }
});
