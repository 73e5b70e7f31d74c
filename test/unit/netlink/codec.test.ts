// The pure half of the netlink facade: framing, attributes, message bodies,
// parsers, IP/MAC text. The kernel's side is covered by test/integration/netlink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressRequest, formatIp, formatMac, ifinfomsg, linkAttr, linkIndex, linkMaster, parseAddress, parseCidr, parseIp, parseLink, parseMac,
  parseRoute, routeRequest, sameRoute, validIfName,
} from '../../../src/netlink/rtmsg.js';
import { attr, decodeAttrs, decodeMessages, encodeMessage, errnoName, errnoText, errorCode, nest, u32 } from '../../../src/netlink/wire.js';

const ip6 = (s: string): string => formatIp(parseIp(s).bytes);

test('parseIp/parseCidr/parseMac throw for the facade (the grammar itself: test/unit/lib/ip.test.ts)', () => {
  assert.throws(() => parseIp('01.2.3.4'), /invalid IP address "01.2.3.4"/);
  assert.equal(ip6('FD00::ABCD'), 'fd00::abcd');
  assert.equal(parseIp('10.0.0.1').family, 4);
  assert.equal(parseIp('::').family, 6);
});

test('parseCidr: prefix bounds, bare address is a host prefix', () => {
  assert.deepEqual({ ...parseCidr('10.0.0.0/8'), bytes: undefined }, { family: 4, prefix: 8, bytes: undefined });
  assert.equal(parseCidr('10.0.0.1').prefix, 32);
  assert.equal(parseCidr('fd00::1').prefix, 128);
  assert.equal(parseCidr('::/0').prefix, 0);
  for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/8x']) {
    assert.throws(() => parseCidr(bad), /invalid prefix length/, bad);
  }
});

test('MAC text <-> bytes', () => {
  assert.equal(formatMac(parseMac('02:AB:cd:00:00:0F')), '02:ab:cd:00:00:0f');
  for (const bad of ['02:ab:cd:00:00', '02:ab:cd:00:00:0g', '']) assert.throws(() => parseMac(bad), /invalid MAC/);
});

test('validIfName follows dev_valid_name()', () => {
  assert.equal(validIfName('eth0'), 'eth0');
  assert.equal(validIfName('a'.repeat(15)), 'a'.repeat(15));
  assert.throws(() => validIfName('a'.repeat(16)), /longer than 15/);
  for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b']) assert.throws(() => validIfName(bad), /invalid interface name/, bad);
});

test('messages: encode, then decode several from one datagram', () => {
  const one = encodeMessage(18, 0x305, 7, Buffer.from([1, 2, 3])); // 19 bytes: the next one starts padded
  const two = encodeMessage(3, 2, 8, Buffer.alloc(4));
  const msgs = decodeMessages(Buffer.concat([one, Buffer.alloc(1), two]));
  assert.deepEqual(msgs.map((m) => [m.type, m.flags, m.seq, m.payload.length]), [[18, 0x305, 7, 3], [3, 2, 8, 4]]);
  assert.equal(one.readUInt32LE(0), 19);
  assert.throws(() => decodeMessages(Buffer.concat([one.subarray(0, 17)])), /malformed/);
});

test('NLMSG_ERROR payload: negative errno in, positive out', () => {
  const p = Buffer.alloc(20);
  p.writeInt32LE(-17, 0);
  assert.equal(errorCode(p), 17);
  assert.equal(errnoName(17), 'EEXIST');
  assert.equal(errnoText(17), 'File exists (os error 17)');
  assert.equal(errnoText(95), 'Operation not supported (os error 95)');
  assert.equal(errnoName(4242), 'E4242');
});

test('attributes: 4-byte alignment, nested flag set on nests and masked on read', () => {
  const a = attr(3, Buffer.from('br0\0'));
  assert.equal(a.length, 8);
  const odd = attr(1, Buffer.from([1, 2, 3, 4, 5, 6]));
  assert.equal(odd.length, 12);
  assert.equal(odd.readUInt16LE(0), 10);
  const n = nest(18, u32(1, 5));
  assert.equal(n.readUInt16LE(2), 18 | 0x8000);
  const parsed = decodeAttrs(Buffer.concat([odd, n, a]));
  assert.deepEqual([...parsed.keys()], [1, 18, 3]);
  assert.equal(decodeAttrs(parsed.get(18)!).get(1)?.readUInt32LE(0), 5);
});

test('linkMaster finds IFLA_MASTER without decoding the rest; none, or a truncated list, gives undefined; linkIndex the ifindex', () => {
  const head = ifinfomsg({ index: 7 });
  assert.equal(linkMaster(Buffer.concat([head, linkAttr.name('skveth0'), linkAttr.mtu(1500), linkAttr.master(3)])), 3);
  assert.equal(linkMaster(Buffer.concat([head, linkAttr.name('lo')])), undefined);
  const cut = Buffer.concat([head, linkAttr.name('skveth0'), linkAttr.master(3)]);
  assert.equal(linkMaster(cut.subarray(0, cut.length - 2)), undefined);
  assert.equal(linkIndex(Buffer.concat([head, linkAttr.master(3)])), 7);
});

test('parseLink reads what linkAttr writes (a kernel reply has the same shape)', () => {
  const msg = Buffer.concat([
    ifinfomsg({ index: 7, flags: 1 }),
    linkAttr.name('skbr0'),
    linkAttr.mtu(1400),
    linkAttr.mac('02:00:00:00:00:01'),
    linkAttr.master(3),
    linkAttr.info('veth', linkAttr.vethPeer(linkAttr.name('eth0'))),
  ]);
  assert.deepEqual(parseLink(msg), { index: 7, name: 'skbr0', kind: 'veth', mac: '02:00:00:00:00:01', mtu: 1400, up: true, master: 3 });
  assert.deepEqual(parseLink(Buffer.concat([ifinfomsg({ index: 1 }), linkAttr.name('lo')])), {
    index: 1, name: 'lo', kind: undefined, mac: undefined, mtu: 0, up: false, master: undefined,
  });
});

test('parseLink: a VRF\'s table; a veth peer (IFLA_LINK) also when its index in the other namespace is ours', () => {
  const vrf = Buffer.concat([ifinfomsg({ index: 5 }), linkAttr.name('test-vrf'), linkAttr.info('vrf', u32(1, 100))]);
  assert.equal(parseLink(vrf).vrfTable, 100);
  const veth = (peer: number, netnsid: boolean): Buffer =>
    Buffer.concat([ifinfomsg({ index: 3 }), linkAttr.name('eth0'), linkAttr.parent(peer), ...(netnsid ? [u32(37, 0)] : []), linkAttr.info('veth')]);
  assert.equal(parseLink(veth(3, true)).peerIndex, 3);
  assert.equal(parseLink(veth(3, false)).peerIndex, undefined, 'IFLA_LINK = own index: no peer');
  assert.equal(parseLink(veth(9, false)).peerIndex, 9);
});

test('addressRequest: v4 gets a broadcast, v6 gets IFA_F_NODAD; parseAddress reads it back', () => {
  const v4 = addressRequest({ linkIndex: 4, cidr: '10.88.0.1/16' });
  assert.equal(v4.readUInt8(0), 2);
  assert.equal(v4.readUInt8(1), 16);
  assert.equal(formatIp(decodeAttrs(v4.subarray(8)).get(4)!), '10.88.255.255');
  assert.deepEqual(parseAddress(v4), { family: 4, linkIndex: 4, cidr: '10.88.0.1/16' });
  const v6 = addressRequest({ linkIndex: 4, cidr: 'fd00:0::1/64' });
  assert.equal(v6.readUInt8(2), 0x02);
  assert.deepEqual(parseAddress(v6), { family: 6, linkIndex: 4, cidr: 'fd00::1/64' });
  assert.equal(decodeAttrs(addressRequest({ linkIndex: 1, cidr: '10.0.0.1/32' }).subarray(8)).has(4), false);
});

test('routeRequest: scope, type, and the attributes iproute2 would send', () => {
  const onLink = routeRequest({ destination: '10.0.0.0/8', linkIndex: 2 }, 'add');
  assert.deepEqual([...onLink.subarray(0, 8)], [2, 8, 0, 0, 254, 4, 253, 1]);
  const viaGw = routeRequest({ destination: '0.0.0.0/0', gateway: '10.0.0.1', metric: 100 }, 'add');
  assert.equal(viaGw.readUInt8(6), 0);
  const a = decodeAttrs(viaGw.subarray(12));
  assert.equal(a.has(1), false, 'a default route carries no RTA_DST');
  assert.equal(formatIp(a.get(5)!), '10.0.0.1');
  assert.equal(a.get(6)?.readUInt32LE(0), 100);
  const bh = routeRequest({ destination: '2001:db8::/32', type: 'blackhole' }, 'add');
  assert.deepEqual([bh.readUInt8(0), bh.readUInt8(1), bh.readUInt8(7)], [10, 32, 6]);
  assert.equal(routeRequest({ destination: '10.0.0.0/8', type: 'prohibit' }, 'delete').readUInt8(6), 255);
  assert.throws(() => routeRequest({ destination: '10.0.0.0/8', type: 'unreachable', gateway: '10.0.0.1' }, 'add'), /takes no gateway/);
  assert.throws(() => routeRequest({ destination: '::/0', gateway: '10.0.0.1' }, 'add'), /not in the family/);
});

test('parseRoute: one route per nexthop, other tables and cached routes dropped', () => {
  const hdr = (o: { family?: number; dst?: number; table?: number; type?: number; flags?: number }): Buffer => {
    const b = Buffer.alloc(12);
    b.writeUInt8(o.family ?? 10, 0);
    b.writeUInt8(o.dst ?? 0, 1);
    b.writeUInt8(o.table ?? 254, 4);
    b.writeUInt8(o.type ?? 1, 7);
    b.writeUInt32LE(o.flags ?? 0, 8);
    return b;
  };
  const nexthop = (ifindex: number, gw: string): Buffer => {
    const attrs = attr(5, parseIp(gw).bytes);
    const b = Buffer.alloc(8);
    b.writeUInt16LE(8 + attrs.length, 0);
    b.writeInt32LE(ifindex, 4);
    return Buffer.concat([b, attrs]);
  };
  const mp = Buffer.concat([hdr({}), u32(15, 254), u32(6, 100), attr(9, Buffer.concat([nexthop(3, 'fd00::1'), nexthop(4, 'fd00::2')]))]);
  assert.deepEqual(parseRoute(mp), [
    { family: 6, table: 254, destination: '::/0', type: 'unicast', gateway: 'fd00::1', linkIndex: 3, metric: 100 },
    { family: 6, table: 254, destination: '::/0', type: 'unicast', gateway: 'fd00::2', linkIndex: 4, metric: 100 },
  ]);
  assert.deepEqual(parseRoute(Buffer.concat([hdr({ table: 255 })])), []);
  assert.equal(parseRoute(Buffer.concat([hdr({ table: 100 })]), 100).length, 1, 'another table when asked for (a VRF\'s)');
  assert.deepEqual(parseRoute(Buffer.concat([hdr({}), u32(15, 255)])), [], 'RTA_TABLE wins over rtm_table');
  assert.deepEqual(parseRoute(hdr({ flags: 0x200 })), []);
  assert.deepEqual(parseRoute(hdr({ type: 2 })), [], 'local routes are not modelled');
  assert.deepEqual(parseRoute(hdr({ family: 128 })), []);
  assert.deepEqual(parseRoute(Buffer.concat([hdr({ family: 2, dst: 24, type: 6 }), attr(1, Buffer.from([192, 0, 2, 0]))])), [
    { family: 4, table: 254, destination: '192.0.2.0/24', type: 'blackhole' },
  ]);
});

test('sameRoute: spelling-insensitive, and the kernel default metrics', () => {
  const have = { family: 6 as const, table: 254, destination: 'fd92::/64', type: 'unicast' as const, gateway: 'fd91::fe', linkIndex: 2, metric: 1024 };
  assert.ok(sameRoute(have, { destination: 'fd92:0::/64', gateway: 'FD91::FE' }));
  assert.ok(sameRoute(have, { destination: 'fd92::/64', gateway: 'fd91::fe', linkIndex: 2, metric: 1024 }));
  assert.ok(!sameRoute(have, { destination: 'fd92::/64', gateway: 'fd91::fe', linkIndex: 3 }));
  assert.ok(!sameRoute(have, { destination: 'fd92::/64', gateway: 'fd91::fe', metric: 100 }));
  assert.ok(!sameRoute(have, { destination: 'fd92::/64', type: 'blackhole' }));
  const v4 = { family: 4 as const, table: 254, destination: '10.0.0.0/8', type: 'blackhole' as const };
  assert.ok(sameRoute(v4, { destination: '10.0.0.0/8', type: 'blackhole' }));
  assert.ok(sameRoute(v4, { destination: '10.0.0.0/8', type: 'blackhole', metric: 0 }));
});
