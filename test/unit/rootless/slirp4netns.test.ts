import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { slirpAddresses, slirpArgs } from '../../../src/rootless/slirp4netns.js';
import { opts, slirpFull, slirpOld } from './fixtures.js';

const SOCK = '/run/user/1000/skiff/rootless/k.sock';
const NS = '/run/user/1000/netns/netns-1234';
const s = (o: Parameters<typeof opts>[0] = {}) => opts({ backend: 'slirp4netns', ...o });

describe('slirpArgs', () => {
  // Expected lines follow containers/common's slirp4netns.go, with the API socket always on.
  const cases: { name: string; o: Parameters<typeof opts>[0]; sandbox?: boolean; f?: typeof slirpFull; want: string }[] = [
    {
      name: 'defaults, as root in our user namespace (sandbox on)',
      o: {},
      sandbox: true,
      want: `--disable-host-loopback --mtu=65520 --enable-sandbox --enable-seccomp --enable-ipv6 -c -r 3 --api-socket ${SOCK} --netns-type=path ${NS} tap0`,
    },
    {
      name: 'plain user: no sandbox (its setegid(0) would fail)',
      o: {},
      sandbox: false,
      want: `--disable-host-loopback --mtu=65520 --enable-ipv6 -c -r 3 --api-socket ${SOCK} --netns-type=path ${NS} tap0`,
    },
    {
      name: 'every option',
      o: { mtu: 1500, cidr: '10.5.0.0/24', ipv6: true, outboundAddr4: '192.0.2.10', outboundAddr6: '2001:db8::10', hostLoopback: true, userns: '/proc/42/ns/user', interface: 'eth0' },
      sandbox: false,
      want: `--mtu=1500 --cidr=10.5.0.0/24 --enable-ipv6 --outbound-addr=192.0.2.10 --outbound-addr6=2001:db8::10 -c -r 3 --api-socket ${SOCK} --netns-type=path --userns-path=/proc/42/ns/user ${NS} eth0`,
    },
    {
      name: 'ipv4 only',
      o: { ipv6: false },
      sandbox: false,
      want: `--disable-host-loopback --mtu=65520 -c -r 3 --api-socket ${SOCK} --netns-type=path ${NS} tap0`,
    },
    {
      name: 'old slirp4netns: hardening skipped silently',
      o: { ipv6: false },
      sandbox: true,
      f: slirpOld,
      want: `--disable-host-loopback --mtu=65520 -c -r 3 --api-socket ${SOCK} --netns-type=path ${NS} tap0`,
    },
    {
      name: 'extra args go before the fixed tail',
      o: { ipv6: false, extraArgs: ['--disable-dns'] },
      sandbox: false,
      want: `--disable-host-loopback --mtu=65520 --disable-dns -c -r 3 --api-socket ${SOCK} --netns-type=path ${NS} tap0`,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(slirpArgs(s(c.o), c.f ?? slirpFull, SOCK, c.sandbox ?? false).args.join(' '), c.want);
    });
  }

  it('names the interface it configures', () => {
    assert.equal(slirpArgs(s(), slirpFull, SOCK).interface, 'tap0');
    assert.equal(slirpArgs(s({ interface: 'eth0' }), slirpFull, SOCK).interface, 'eth0');
  });

  it('refuses requested options the installed slirp4netns lacks, naming them', () => {
    assert.throws(() => slirpArgs(s({ ipv6: false, cidr: '10.5.0.0/24' }), slirpOld, SOCK), /slirp4netns \(slirp4netns version 0\.3\.0\) has no --cidr/);
    assert.throws(() => slirpArgs(s(), slirpOld, SOCK), /has no --enable-ipv6.*--no-ipv6/);
    assert.throws(() => slirpArgs(s({ ipv6: false, outboundAddr4: '192.0.2.1' }), slirpOld, SOCK), /has no --outbound-addr/);
  });
});

describe('slirpAddresses', () => {
  it('default network', () => {
    assert.deepEqual(slirpAddresses(), { network: '10.0.2.0', prefixLength: 24, guest: '10.0.2.100', gateway: '10.0.2.2', dns: '10.0.2.3' });
  });
  it('custom network', () => {
    assert.deepEqual(slirpAddresses('172.30.4.0/22'), { network: '172.30.4.0', prefixLength: 22, guest: '172.30.4.100', gateway: '172.30.4.2', dns: '172.30.4.3' });
  });
});
