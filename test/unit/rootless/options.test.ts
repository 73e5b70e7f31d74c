import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortInput, parseRootlessOptions, netnsPath } from '../../../src/rootless/options.js';
import { ConfigError } from '../../../src/lib/errors.js';

const NS = '/proc/42/ns/net';
const pm = (o: Record<string, unknown> = {}) => ({ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp', ...o });

describe('parsePortInput', () => {
  it('empty input means no ports', () => {
    assert.deepEqual(parsePortInput(''), []);
    assert.deepEqual(parsePortInput('  \n'), []);
    assert.deepEqual(parsePortInput('{}'), []);
    assert.deepEqual(parsePortInput('{"port_mappings":null}'), []);
  });
  it('fills podman defaults', () => {
    assert.deepEqual(parsePortInput('{"port_mappings":[{"container_port":80,"host_port":8080}]}'), [pm()]);
  });
  it('names the JSON path of a bad field', () => {
    assert.throws(() => parsePortInput('{"port_mappings":[{"container_port":80,"host_port":"x"}]}'), (e: Error) => e instanceof ConfigError && /stdin: port_mappings\[0\]\.host_port/.test(e.message));
    assert.throws(() => parsePortInput('{"port_mappings":[{"container_port":80,"host_port":70000}]}'), /port_mappings\[0\]\.host_port/);
  });
  it('rejects text that is not JSON', () => {
    assert.throws(() => parsePortInput('port 80'), /stdin: not valid JSON/);
  });
});

describe('parseRootlessOptions', () => {
  it('defaults: pasta, IPv6 on, host loopback off', () => {
    const o = parseRootlessOptions(NS, {}, []);
    assert.equal(o.backend, 'pasta');
    assert.equal(o.ipv6, true);
    assert.equal(o.hostLoopback, false);
    assert.equal(o.netns, NS);
    assert.deepEqual(o.ports, []);
  });
  it('a bare name is a /run/netns namespace', () => {
    assert.equal(netnsPath('ctr1'), '/run/netns/ctr1');
    assert.throws(() => netnsPath(''), /NETNS: must not be empty/);
  });
  it('takes every option', () => {
    const o = parseRootlessOptions(NS, { backend: 'slirp4netns', mtu: '1500', ipv6: true, outboundAddr: ['192.0.2.1', '2001:db8::1'], hostLoopback: true, cidr: '10.9.0.0/24', userns: '/proc/42/ns/user', interface: 'eth0', helperArg: ['--disable-dns'], debug: true }, [pm({ protocol: 'tcp,udp' })]);
    assert.deepEqual(o, {
      backend: 'slirp4netns', netns: NS, ipv6: true, hostLoopback: true, debug: true, extraArgs: ['--disable-dns'], userns: '/proc/42/ns/user', mtu: 1500,
      outboundAddr4: '192.0.2.1', outboundAddr6: '2001:db8::1', cidr: '10.9.0.0/24', interface: 'eth0',
      ports: [
        { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, range: 1 },
        { proto: 'udp', hostIp: '', hostPort: 8080, containerPort: 80, range: 1 },
      ],
    });
  });
  const bad: [string, Parameters<typeof parseRootlessOptions>[1], RegExp, unknown[]?][] = [
    ['unknown backend', { backend: 'vpnkit' }, /--backend: unknown backend "vpnkit"/],
    ['mtu not a number', { mtu: 'big' }, /--mtu: "big" must be a number from 68 to 65520/],
    ['mtu too small', { mtu: '40' }, /--mtu/],
    ['outbound not an IP', { outboundAddr: ['eth0'] }, /--outbound-addr: "eth0" is not an IP address/],
    ['two IPv4 outbound', { outboundAddr: ['192.0.2.1', '192.0.2.2'] }, /at most one IPv4/],
    ['IPv6 outbound without IPv6', { outboundAddr: ['2001:db8::1'], ipv6: false }, /IPv6 is disabled/],
    ['dns-forward on slirp4netns', { backend: 'slirp4netns', dnsForward: '10.0.2.3' }, /--dns-forward: pasta only/],
    ['dns-forward not an IP', { dnsForward: 'dns' }, /--dns-forward: "dns"/],
    ['cidr on pasta', { cidr: '10.0.2.0/24' }, /--cidr: slirp4netns only/],
    ['cidr too small for .100', { backend: 'slirp4netns', cidr: '10.0.2.0/26' }, /--cidr: .*\/1 to \/25/],
    ['cidr not a network', { backend: 'slirp4netns', cidr: '10.0.2.0' }, /--cidr/],
    ['interface name too long', { interface: 'a-very-long-interface' }, /--interface/],
    ['map-guest-addr on slirp4netns', { backend: 'slirp4netns', mapGuestAddr: '10.0.2.2' }, /--map-guest-addr: pasta only/],
    ['sctp', {}, /port_mappings\[0\]\.protocol: sctp cannot be published rootless/, [pm({ protocol: 'sctp' })]],
    ['unknown protocol', {}, /port_mappings\[0\]\.protocol: unsupported protocol "icmp"/, [pm({ protocol: 'icmp' })]],
    ['random host port', {}, /host_port: 0 \(a random port\)/, [pm({ host_port: 0 })]],
    ['range past 65535', {}, /range: 10 ports from 65530/, [pm({ host_port: 65530, range: 10 })]],
    ['host ip not an IP', {}, /host_ip: "localhost" is not an IP address/, [pm({ host_ip: 'localhost' })]],
    ['IPv6 host ip on slirp4netns', { backend: 'slirp4netns' }, /slirp4netns publishes on IPv4 addresses only/, [pm({ host_ip: '::1' })]],
  ];
  for (const [name, flags, re, ports] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseRootlessOptions(NS, flags, (ports ?? []) as never), (e: Error) => e instanceof ConfigError && re.test(e.message));
    });
  }
});
