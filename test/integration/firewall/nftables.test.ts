// Packets through the nftables driver: published ports (v4, v6, ranges, host
// ip, localhost, hairpin), source preservation, masquerade, DNS port, internal
// networks, isolation modes, coexistence with foreign drop policies, reload
// after a flush, and a teardown that leaves no trace. All inside namespaces
// this file creates (see lab.ts); the driver runs inside the "host" namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { needRoot, type Netns } from '../../helpers/sandbox.js';
import type { FirewallNetwork, Isolation, PortForward } from '../../../firewall/firewall.js';
import { Lab } from './lab.js';

const A: FirewallNetwork = {
  networkId: 'a'.repeat(64),
  networkName: 'neta',
  bridge: 'skbr0',
  subnets: ['10.88.0.0/24', 'fd00:88::/64'],
  gateways: ['10.88.0.1', 'fd00:88::1'],
  isolate: 'strict',
  internal: false,
  dnsPort: 5353,
  dnsEnabled: true,
};
const B: FirewallNetwork = { ...A, networkId: 'b'.repeat(64), networkName: 'netb', bridge: 'skbr1', subnets: ['10.89.0.0/24'], gateways: ['10.89.0.1'] };
const I: FirewallNetwork = { ...A, networkId: 'c'.repeat(64), networkName: 'neti', bridge: 'skbr2', subnets: ['10.90.0.0/24'], gateways: ['10.90.0.1'], internal: true, isolate: 'false' };

const C1_ID = '1'.repeat(64);
const c1Ports: PortForward = {
  containerId: C1_ID,
  network: A,
  containerIpV4: '10.88.0.2',
  containerIpV6: 'fd00:88::2',
  portMappings: [
    { host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' },
    { host_ip: '0.0.0.0', container_port: 53, host_port: 5300, range: 2, protocol: 'udp' },
    { host_ip: '::', container_port: 443, host_port: 8443, range: 1, protocol: 'tcp' },
    { host_ip: '192.0.2.1', container_port: 9000, host_port: 9000, range: 1, protocol: 'tcp,udp' },
    { host_ip: '2001:db8::99', container_port: 9001, host_port: 9001, range: 1, protocol: 'tcp' },
  ],
};

// Docker's part (iptables-nft `filter FORWARD` policy DROP) is made with iptables
// itself when it is installed, so the test also proves Docker's tooling still
// parses the chain after our accept rule is in it.
const HAVE_IPTABLES = existsSync('/usr/sbin/iptables-nft');
const FOREIGN = `${HAVE_IPTABLES ? '' : 'table ip filter {\n  chain FORWARD { type filter hook forward priority 0; policy drop; }\n}\n'}table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname "lo" accept
    meta l4proto ipv6-icmp accept
  }
}
`;

function addForeignPolicies(host: Netns): void {
  if (HAVE_IPTABLES) {
    host.sh('iptables-nft', ['-P', 'FORWARD', 'DROP']);
    host.sh('iptables-nft', ['-N', 'DOCKER-USER']);
    host.sh('iptables-nft', ['-A', 'FORWARD', '-j', 'DOCKER-USER']);
  }
  const r = host.run('nft', ['-f', '-'], { input: FOREIGN });
  assert.equal(r.code, 0, r.stderr);
}

describe('nftables driver with real packets', { skip: needRoot, concurrency: false }, () => {
  let lab: Lab;
  let c1: Netns, c2: Netns, c3: Netns, c4: Netns, c5: Netns;

  before(async () => {
    lab = new Lab();
    // a host whose admin (or Docker) drops forwarded and input traffic by default
    addForeignPolicies(lab.host);
    for (const n of [A, B, I]) lab.bridge(n);
    c1 = lab.container(A, '10.88.0.2', 'fd00:88::2');
    c2 = lab.container(A, '10.88.0.3', 'fd00:88::3');
    c3 = lab.container(B, '10.89.0.2');
    c4 = lab.container(I, '10.90.0.2');
    c5 = lab.container(I, '10.90.0.3');
    await Promise.all([
      lab.serve(c1, [80, 53, 54, 443, 9000, 9001]),
      lab.serve(c2, [80]),
      lab.serve(c3, [80]),
      lab.serve(c5, [80]),
      lab.serve(lab.out, [7000]),
      lab.serve(lab.host, [5353]), // stands in for skiff-dns on the gateways
    ]);
    for (const n of [A, B, I]) lab.setupNetwork(n);
    lab.setupPorts(c1Ports);
  });
  after(() => lab?.destroy());

  it('published port from another host: DNAT, client address preserved (v4 and v6)', () => {
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 8080, 'm'), 'm|192.0.2.2|80');
    assert.equal(lab.talk(lab.out, 'tcp', '2001:db8::1', 8080, 'm'), 'm|2001:db8::2|80');
  });

  it('udp range on 0.0.0.0: each host port to its own container port, IPv4 only', () => {
    assert.equal(lab.talk(lab.out, 'udp', '192.0.2.1', 5300), 'hi|192.0.2.2|53');
    assert.equal(lab.talk(lab.out, 'udp', '192.0.2.1', 5301), 'hi|192.0.2.2|54');
    assert.equal(lab.talk(lab.out, 'udp', '2001:db8::1', 5300), undefined);
  });

  it('host_ip "::" is IPv6 only; a literal host ip only on that address; family mismatch skipped', () => {
    assert.equal(lab.talk(lab.out, 'tcp', '2001:db8::1', 8443), 'hi|2001:db8::2|443');
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 8443), undefined);
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 9000), 'hi|192.0.2.2|9000');
    assert.equal(lab.talk(lab.out, 'udp', '192.0.2.1', 9000), 'hi|192.0.2.2|9000');
    assert.equal(lab.talk(c2, 'tcp', '10.88.0.1', 9000), undefined, 'not published on the gateway address');
  });

  it('from the host itself (OUTPUT path) and from 127.0.0.1', () => {
    assert.match(lab.talk(lab.host, 'tcp', '192.0.2.1', 8080) ?? '', /^hi\|192\.0\.2\.1\|80$/);
    assert.match(lab.talk(lab.host, 'tcp', '127.0.0.1', 8080) ?? '', /^hi\|10\.88\.0\.1\|80$/);
  });

  it('hairpin: containers of the same network, and the container itself, via the host address', () => {
    assert.equal(lab.talk(c2, 'tcp', '192.0.2.1', 8080), 'hi|10.88.0.1|80');
    assert.equal(lab.talk(c1, 'tcp', '192.0.2.1', 8080), 'hi|10.88.0.1|80');
    assert.equal(lab.talk(c2, 'tcp', '2001:db8::1', 8080), 'hi|fd00:88::1|80');
  });

  it('outbound traffic is masqueraded to the host address (v4 and v6)', () => {
    assert.equal(lab.talk(c1, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000');
    assert.equal(lab.talk(c1, 'udp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000');
    assert.equal(lab.talk(c1, 'tcp', '2001:db8::2', 7000), 'hi|2001:db8::1|7000');
  });

  it('DNS on gateway:53 reaches the DNS port (5353), through a foreign input drop policy', () => {
    assert.equal(lab.talk(c1, 'udp', '10.88.0.1', 53), 'hi|10.88.0.2|5353');
    assert.equal(lab.talk(c1, 'tcp', '10.88.0.1', 53), 'hi|10.88.0.2|5353');
    assert.equal(lab.talk(c1, 'udp', 'fd00:88::1', 53), 'hi|fd00:88::2|5353');
  });

  it('internal network: no way out, but DNS on its gateway works', () => {
    assert.equal(lab.talk(c4, 'tcp', '192.0.2.2', 7000), undefined);
    assert.equal(lab.talk(c4, 'udp', '10.90.0.1', 53), 'hi|10.90.0.2|5353');
    // containers of the internal network still reach each other (bridged; with
    // br_netfilter loaded that traffic passes the forward hook too)
    assert.equal(lab.talk(c4, 'tcp', '10.90.0.3', 80), 'hi|10.90.0.2|80');
    assert.equal(lab.talk(c4, 'tcp', '10.88.0.2', 80), undefined);
  });

  it('published ports stay reachable across isolated networks', () => {
    // masqueraded like any traffic leaving network B for another subnet (as netavark does)
    assert.equal(lab.talk(c3, 'tcp', '192.0.2.1', 8080), 'hi|10.88.0.1|80');
  });

  it('outbound_addr4: SNAT to that address instead of masquerade', () => {
    lab.host.sh('ip', ['addr', 'add', '192.0.2.5/24', 'dev', 'hout']);
    lab.setupNetwork({ ...B, outboundAddr4: '192.0.2.5' });
    assert.equal(lab.talk(c3, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.5|7000');
    lab.setupNetwork(B); // the changed input replaces the snat element with masquerade again
    assert.equal(lab.talk(c3, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000');
  });

  it('user_forward: admin rules run first and survive our updates', () => {
    lab.host.sh('nft', ['add', 'rule', 'inet', 'skiff', 'user_forward', 'ip', 'saddr', '10.88.0.2', 'ip', 'daddr', '192.0.2.2', 'drop']);
    lab.setupNetwork(A); // refills our chains; must not touch the user chain
    assert.equal(lab.talk(c1, 'tcp', '192.0.2.2', 7000), undefined);
    assert.equal(lab.talk(c2, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000');
    lab.host.sh('nft', ['flush', 'chain', 'inet', 'skiff', 'user_forward']);
    assert.equal(lab.talk(c1, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000');
  });

  const isolation: Array<[Isolation, Isolation, boolean, boolean]> = [
    // A, B, A→B works, B→A works
    ['strict', 'strict', false, false],
    ['true', 'true', false, false],
    ['true', 'false', true, true],
    ['strict', 'false', false, false],
    ['false', 'false', true, true],
  ];
  for (const [ia, ib, ab, ba] of isolation) {
    it(`isolation A=${ia} B=${ib}: A→B ${ab ? 'open' : 'blocked'}, B→A ${ba ? 'open' : 'blocked'}`, () => {
      lab.setupNetwork({ ...A, isolate: ia });
      lab.setupNetwork({ ...B, isolate: ib });
      assert.equal(lab.talk(c1, 'tcp', '10.89.0.2', 80) !== undefined, ab);
      assert.equal(lab.talk(c3, 'tcp', '10.88.0.2', 80) !== undefined, ba);
    });
  }

  it('nft flush ruleset breaks it; firewall-reload restores it (and the foreign accepts)', () => {
    lab.setupNetwork(A);
    lab.setupNetwork(B);
    lab.host.sh('nft', ['flush', 'ruleset']);
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 8080), undefined);
    lab.setupNetwork(A); // a next container on a known network notices the missing table and rebuilds it
    assert.match(lab.host.sh('nft', ['list', 'chain', 'inet', 'skiff', 'forward']), /jump user_forward/);
    addForeignPolicies(lab.host);
    lab.fw('reload');
    lab.fw('reload'); // idempotent
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 8080), 'hi|192.0.2.2|80');
    assert.equal(lab.talk(c1, 'udp', '10.88.0.1', 53), 'hi|10.88.0.2|5353');
    const foreign = lab.host.sh('nft', ['list', 'chain', 'ip', 'filter', 'FORWARD']);
    assert.equal(foreign.split('skiff:').length - 1, 1, 'exactly one accept rule in the foreign chain');
    if (HAVE_IPTABLES) assert.match(lab.host.sh('iptables-nft', ['-S', 'FORWARD']), /-m mark --mark 0x1000000\/0x1000000 .*-j ACCEPT/);
  });

  it('teardown removes exactly the container, then the networks leave no trace', () => {
    lab.fw('teardown-ports', { ...c1Ports, portMappings: [] }); // saved state decides what goes
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 8080), undefined);
    assert.equal(lab.talk(c1, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000', 'the network stays while containers remain');
    lab.fw('teardown-network', { network: B, complete: true });
    lab.fw('teardown-network', { network: I, complete: true });
    assert.equal(lab.talk(c1, 'tcp', '192.0.2.2', 7000), 'hi|192.0.2.1|7000');
    lab.fw('teardown-network', { network: A, complete: true });
    const ruleset = lab.host.sh('nft', ['-j', 'list', 'ruleset']);
    assert.ok(!ruleset.includes('"skiff"'), 'table inet skiff is gone');
    assert.ok(!ruleset.includes('skiff:'), 'the foreign accept rules are gone');
    assert.ok(ruleset.includes('"FORWARD"'), 'foreign tables are untouched');
  });
});
