import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DhcpPacketError,
  MessageType,
  Opt,
  decodeDhcp,
  encodeDhcp,
  maskToPrefix,
  messageType,
  optIp,
  optText,
  optU32,
  optU8,
  readIps,
  readText,
  readU32,
} from '../../../src/dhcp/packet.js';
import { leaseFromAck } from '../../../src/dhcp/client.js';
import { validateConfig, ProxyError, toProtoLease } from '../../../src/dhcp/proxy.js';
import { leaseChange } from '../../../src/dhcp/netns-update.js';
import type { ProtoNetworkConfig } from '../../../src/dhcp/grpc.js';

const MAC = '02:42:ac:11:00:02';

function ack(extra: [number, Uint8Array][] = [], yiaddr = '192.168.1.50') {
  return decodeDhcp(
    encodeDhcp({
      op: 2,
      xid: 0xdeadbeef,
      yiaddr,
      siaddr: '192.168.1.1',
      chaddr: MAC,
      options: [[Opt.MESSAGE_TYPE, optU8(MessageType.ACK)], [Opt.SERVER_ID, optIp('192.168.1.1')], ...extra],
    }),
  );
}

test('encode → decode keeps the header fields and options', () => {
  const buf = encodeDhcp({
    xid: 0x01020304,
    broadcast: true,
    secs: 3,
    ciaddr: '10.0.0.9',
    chaddr: MAC.toUpperCase(),
    options: [
      [Opt.MESSAGE_TYPE, optU8(MessageType.REQUEST)],
      [Opt.HOST_NAME, optText('web1')],
      [Opt.CLIENT_ID, Uint8Array.of(0, 0x61, 0x62)],
    ],
  });
  assert.ok(buf.length >= 300, 'padded to the BOOTP minimum');
  // fixed layout: op, htype, hlen, xid, flags, magic cookie
  assert.deepEqual([buf[0], buf[1], buf[2]], [1, 1, 6]);
  assert.equal(buf.readUInt32BE(4), 0x01020304);
  assert.equal(buf.readUInt16BE(10), 0x8000);
  assert.equal(buf.readUInt32BE(236), 0x63825363);
  const m = decodeDhcp(buf);
  assert.equal(m.op, 1);
  assert.equal(m.xid, 0x01020304);
  assert.equal(m.secs, 3);
  assert.equal(m.broadcast, true);
  assert.equal(m.ciaddr, '10.0.0.9');
  assert.equal(m.chaddr, MAC);
  assert.equal(messageType(m), MessageType.REQUEST);
  assert.equal(readText(m, Opt.HOST_NAME), 'web1');
  assert.deepEqual([...m.options.get(Opt.CLIENT_ID)!], [0, 0x61, 0x62]);
});

test('long options are split into 255-byte pieces and joined again (RFC 3396)', () => {
  const long = 'x'.repeat(300);
  const m = decodeDhcp(encodeDhcp({ xid: 1, chaddr: MAC, options: [[Opt.DOMAIN_NAME, optText(long)]] }));
  assert.equal(readText(m, Opt.DOMAIN_NAME), long);
});

test('options in the file/sname fields count when option 52 says so', () => {
  const buf = encodeDhcp({ op: 2, xid: 1, chaddr: MAC, options: [[Opt.OVERLOAD, optU8(1)]] });
  // file field (offset 108): router option then END
  buf.set([Opt.ROUTER, 4, 10, 0, 0, 1, Opt.END], 108);
  assert.deepEqual(readIps(decodeDhcp(buf), Opt.ROUTER), ['10.0.0.1']);
});

test('malformed messages are DhcpPacketErrors saying what is wrong', () => {
  assert.throws(() => decodeDhcp(new Uint8Array(100)), (e: unknown) => e instanceof DhcpPacketError && /shorter than the 240 byte header/.test(e.message));
  const good = encodeDhcp({ xid: 1, chaddr: MAC, options: [] });
  const noCookie = Buffer.from(good);
  noCookie.writeUInt32BE(0, 236);
  assert.throws(() => decodeDhcp(noCookie), /magic cookie/);
  const badOp = Buffer.from(good);
  badOp[0] = 7;
  assert.throws(() => decodeDhcp(badOp), /op: 7/);
  const truncated = Buffer.from(good.subarray(0, 244));
  truncated.set([Opt.ROUTER, 8, 1, 2], 240);
  assert.throws(() => decodeDhcp(truncated), /option 3 at offset 240 runs past the end/);
  assert.throws(() => readU32(decodeDhcp(encodeDhcp({ xid: 1, chaddr: MAC, options: [[Opt.LEASE_TIME, optU8(1)]] })), Opt.LEASE_TIME), /option 51: length 1, expected 4/);
  assert.throws(() => encodeDhcp({ xid: 1, chaddr: 'nope', options: [] }), /chaddr: invalid MAC/);
  assert.throws(() => encodeDhcp({ xid: 1, chaddr: MAC, ciaddr: '1.2.3', options: [] }), /ciaddr: invalid IPv4/);
});

test('lease from an ACK: all fields, T1/T2 defaults of RFC 2131', () => {
  const l = leaseFromAck(
    ack([
      [Opt.LEASE_TIME, optU32(3600)],
      [Opt.SUBNET_MASK, optIp('255.255.255.0')],
      [Opt.ROUTER, Uint8Array.of(192, 168, 1, 1, 192, 168, 1, 2)],
      [Opt.DNS, optIp('192.168.1.53')],
      [Opt.DOMAIN_NAME, Uint8Array.of(0x6c, 0x61, 0x6e, 0)],
    ]),
    1000,
  );
  assert.deepEqual(l, {
    yiaddr: '192.168.1.50',
    subnetMask: '255.255.255.0',
    gateways: ['192.168.1.1', '192.168.1.2'],
    dnsServers: ['192.168.1.53'],
    ntpServers: [],
    domainName: 'lan',
    hostName: '',
    broadcast: '',
    mtu: 0,
    siaddr: '192.168.1.1',
    srvId: '192.168.1.1',
    leaseTime: 3600,
    t1: 1800,
    t2: 3150,
    boundAt: 1000,
  });
  assert.throws(() => leaseFromAck(ack()), /without a lease time/);
  assert.throws(() => leaseFromAck(ack([[Opt.LEASE_TIME, optU32(60)]], '0.0.0.0')), /without an address/);
  assert.equal(leaseFromAck(ack([[Opt.LEASE_TIME, optU32(60)]], '10.1.2.3')).subnetMask, '255.0.0.0', 'classful mask when none is sent');
});

test('netmask to prefix length', () => {
  assert.deepEqual(['255.255.255.0', '255.255.240.0', '255.255.255.255', '0.0.0.0'].map(maskToPrefix), [24, 20, 32, 0]);
  assert.throws(() => maskToPrefix('255.0.255.0'), /not contiguous/);
});

test('proxy requests are validated as netavark does', () => {
  const nc: ProtoNetworkConfig = {
    host_iface: 'eth0',
    container_iface: 'eth0',
    container_mac_addr: '02:42:AC:11:00:02',
    domain_name: '',
    host_name: 'h',
    version: 'V4',
    ns_path: '/run/netns/x',
    container_id: 'abc',
  };
  assert.equal(validateConfig(nc), MAC);
  const bad = (o: Partial<ProtoNetworkConfig>, re: RegExp, status = 'INVALID_ARGUMENT') =>
    assert.throws(() => validateConfig({ ...nc, ...o }), (e: unknown) => e instanceof ProxyError && e.status === status && re.test(e.message));
  bad({ container_mac_addr: 'zz' }, /invalid container_mac_addr "zz"/);
  bad({ container_mac_addr: '' }, /invalid container_mac_addr ""/);
  bad({ version: 'V6' }, /^ipv6 not yet supported$/);
  bad({ version: 7 }, /^invalid protocol version$/);
  bad({ container_iface: '' }, /invalid container_iface ""/);
  bad({ container_iface: 'a/b' }, /invalid container_iface/);
  bad({ ns_path: '' }, /ns_path is empty/);
});

test('proto lease: request domain wins, changes are detected', () => {
  const l = leaseFromAck(ack([[Opt.LEASE_TIME, optU32(60)], [Opt.DOMAIN_NAME, optText('srv')]]));
  assert.equal(toProtoLease(l, MAC, '').domain_name, 'srv');
  assert.equal(toProtoLease(l, MAC, 'mine').domain_name, 'mine');
  assert.equal(toProtoLease(l, MAC, '').mac_address, MAC);
  assert.deepEqual(leaseChange(l, l), { addressChanged: false, gatewayChanged: false });
  assert.deepEqual(leaseChange(l, { ...l, yiaddr: '192.168.1.51', gateways: ['192.168.1.9'] }), { addressChanged: true, gatewayChanged: true });
});
