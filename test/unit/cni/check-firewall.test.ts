// The pure part of CHECK's firewall comparison: which elements ADD added for
// an attachment (config + prevResult), how `nft -j list table` output reads,
// and which difference is reported first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetConf } from '../../../src/cni/config.js';
import { parseCniEnv } from '../../../src/cni/env.js';
import { parseResult, type Result } from '../../../src/cni/result.js';
import { elementText, expectedNetworkElements, firewallDifference, tableElements } from '../../../src/cni/check-firewall.js';

const env = parseCniEnv({ CNI_COMMAND: 'CHECK', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/c1', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' });
const conf = (over: Record<string, unknown> = {}) =>
  parseNetConf(
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'cbr0',
      type: 'skiff',
      bridge: 'cni9',
      isGateway: true,
      ipMasq: true,
      clusterCIDR: '10.244.0.0/16',
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:1::/64' }]] },
      ...over,
    }),
  );
function prev(): Result {
  const r = parseResult({
    cniVersion: '1.0.0',
    interfaces: [{ name: 'cni9' }, { name: 'vethabc' }, { name: 'eth0', sandbox: '/run/netns/c1' }],
    ips: [
      { address: '10.244.1.2/24', gateway: '10.244.1.1', interface: 2 },
      { address: 'fd00:1::2/64', gateway: 'fd00:1::1', interface: 2 },
    ],
  });
  assert.ok(r.ok);
  return r.value;
}

/** What `nft -j list table inet skiff` prints for these sets. */
function listing(sets: Record<string, unknown[]>, maps: Record<string, [unknown, unknown][]> = {}): unknown {
  return {
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'skiff' } },
      ...Object.entries(sets).map(([name, elem]) => ({ set: { family: 'inet', table: 'skiff', name, elem } })),
      ...Object.entries(maps).map(([name, elem]) => ({ map: { family: 'inet', table: 'skiff', name, elem } })),
    ],
  };
}
const pfx = (addr: string, len: number) => ({ prefix: { addr, len } });
const full = () =>
  listing({
    bridges: ['cni9'],
    bridge_self: [{ concat: ['cni9', 'cni9'] }],
    nets4: [pfx('10.244.1.0', 24)],
    nets6: [pfx('fd00:1::', 64)],
    same4: [{ concat: [pfx('10.244.1.0', 24), pfx('10.244.1.0', 24)] }, { concat: [pfx('10.244.1.0', 24), pfx('10.244.0.0', 16)] }],
    same6: [{ concat: [pfx('fd00:1::', 64), pfx('fd00:1::', 64)] }],
    masq4: [pfx('10.244.1.0', 24)],
    masq6: [pfx('fd00:1::', 64)],
  });
const without = (l: unknown, set: string, text: string): unknown => {
  const o = structuredClone(l) as { nftables: { set?: { name: string; elem: unknown[] } }[] };
  for (const x of o.nftables) if (x.set?.name === set) x.set.elem = x.set.elem.filter((e) => elementText(e) !== text);
  return o;
};

test('elementText: prefixes, plain addresses, concatenations, ranges and decorated elements compare as one text', () => {
  assert.equal(elementText(pfx('10.244.1.0', 24)), '10.244.1.0/24');
  assert.equal(elementText(pfx('10.244.1.7', 24)), '10.244.1.0/24');
  assert.equal(elementText('10.0.0.1'), '10.0.0.1/32');
  assert.equal(elementText(pfx('10.0.0.1', 32)), '10.0.0.1/32');
  assert.equal(elementText(pfx('FD00:1:0::', 64)), 'fd00:1::/64');
  assert.equal(elementText({ concat: ['cni9', 'udp', 53] }), 'cni9 . udp . 53');
  assert.equal(elementText({ range: ['10.0.0.1', '10.0.0.9'] }), '10.0.0.1/32-10.0.0.9/32');
  assert.equal(elementText({ elem: { val: pfx('10.1.0.0', 16), comment: 'x' } }), '10.1.0.0/16');
});

test('expected elements: bridge, subnets of both families, masquerade, no-NAT inside the network and to clusterCIDR', () => {
  const got = expectedNetworkElements(conf(), env, prev(), 2, 53).map((e) => `${e.set} ${elementText(e.key)}`);
  for (const want of [
    'bridges cni9',
    'nets4 10.244.1.0/24',
    'nets6 fd00:1::/64',
    'masq4 10.244.1.0/24',
    'masq6 fd00:1::/64',
    'same4 10.244.1.0/24 . 10.244.1.0/24',
    'same4 10.244.1.0/24 . 10.244.0.0/16',
  ]) {
    assert.ok(got.includes(want), `${want} in ${got.join(', ')}`);
  }
  assert.ok(!got.some((g) => g.startsWith('dns_in')), 'no DNS without dnsAliases');
  const noMasq = expectedNetworkElements(conf({ ipMasq: false }), env, prev(), 2, 53).map((e) => e.set);
  assert.ok(!noMasq.includes('masq4') && !noMasq.includes('masq6'));
  // only the IPs on our container interface count: another plugin's address is not ours
  assert.equal(expectedNetworkElements(conf(), env, prev(), 0, 53).filter((e) => e.set === 'masq4').length, 1, 'ipam ranges still cover the network');
});

test('firewallDifference: nothing when all is there; the first missing element named by what it does', () => {
  const c = conf();
  const exp = expectedNetworkElements(c, env, prev(), 2, 53);
  assert.equal(firewallDifference(c, exp, [], tableElements(full())), undefined);
  assert.equal(
    firewallDifference(c, exp, [], tableElements(without(full(), 'masq4', '10.244.1.0/24'))),
    'masquerade (ipMasq) of 10.244.1.0/24 is not in the firewall (set inet skiff masq4)',
  );
  assert.equal(
    firewallDifference(c, exp, [], tableElements(without(full(), 'same4', '10.244.1.0/24 . 10.244.0.0/16'))),
    'no-NAT destination 10.244.0.0/16 for 10.244.1.0/24 (clusterCIDR) is not in the firewall (set inet skiff same4)',
  );
  assert.equal(
    firewallDifference(c, exp, [], tableElements(without(full(), 'bridges', 'cni9'))),
    'bridge cni9 is not in the firewall (set inet skiff bridges)',
  );
  assert.match(firewallDifference(c, exp, [], tableElements(without(full(), 'masq6', 'fd00:1::/64'))) ?? '', /masquerade \(ipMasq\) of fd00:1::\/64/);
});

test('firewallDifference: masquerade of our subnet while ipMasq is false is a difference', () => {
  const c = conf({ ipMasq: false });
  const exp = expectedNetworkElements(c, env, prev(), 2, 53);
  assert.equal(firewallDifference(c, exp, [], tableElements(without(without(full(), 'masq4', 'x'), 'masq6', 'fd00:1::/64'))), 'subnet 10.244.1.0/24 is masqueraded though ipMasq is false (set inet skiff masq4)');
  assert.equal(firewallDifference(c, exp, [], tableElements(without(without(full(), 'masq4', '10.244.1.0/24'), 'masq6', 'fd00:1::/64'))), undefined);
});

test('firewallDifference: port forwards are compared with their map values', () => {
  const c = conf();
  const exp = expectedNetworkElements(c, env, prev(), 2, 53);
  const ports = [{ set: 'dnat_any_addr4', key: { concat: ['tcp', 8080] }, value: '10.244.1.2' }];
  const ok = listing({}, { dnat_any_addr4: [[{ concat: ['tcp', 8080] }, '10.244.1.2']] }) as { nftables: unknown[] };
  const merged = { nftables: [...(full() as { nftables: unknown[] }).nftables, ...ok.nftables.slice(2)] };
  assert.equal(firewallDifference(c, exp, ports, tableElements(merged)), undefined);
  const wrong = listing({}, { dnat_any_addr4: [[{ concat: ['tcp', 8080] }, '10.244.1.3']] }) as { nftables: unknown[] };
  const bad = { nftables: [...(full() as { nftables: unknown[] }).nftables, ...wrong.nftables.slice(2)] };
  assert.match(firewallDifference(c, exp, ports, tableElements(bad)) ?? '', /^port forward dnat_any_addr4.* is missing from the firewall$/);
});
