import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkOptions, type NetworkOptions } from '../../../schemas/network-options.js';
import { HOST_VETH, planBridge } from '../../../src/drivers/bridge-plan.js';
import type { PlanContext } from '../../../src/drivers/plan.js';
import { statusBlock } from '../../../src/drivers/status.js';
import { REPO } from '../../helpers/sandbox.js';

function load(name: string, fn: (o: any) => void = () => {}): NetworkOptions {
  const o = JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup', name), 'utf8'));
  fn(o);
  const r = parseNetworkOptions(JSON.stringify(o));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function ctx(opts: NetworkOptions, over: Partial<PlanContext> = {}): PlanContext {
  return {
    containerId: opts.containerId,
    containerName: opts.containerName,
    portMappings: opts.portMappings,
    dnsServers: opts.dnsServers,
    dnsAvailable: true,
    dnsPort: 53,
    rootless: false,
    systemd: false,
    ...over,
  };
}

const SAMPLE = 'podman-4.3.1-web-dualstack-port.json';

test('dual-stack sample: addresses, gateways, default routes, sysctls', () => {
  const opts = load(SAMPLE);
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.equal(p.bridge, 'podman1');
  assert.equal(p.containerIf, 'eth0');
  assert.deepEqual(p.containerAddrs, ['10.77.0.2/24', 'fd51:68a3:195b:ecd1::2/64']);
  assert.deepEqual(p.bridgeAddrs, ['10.77.0.1/24', 'fd51:68a3:195b:ecd1::1/64']);
  assert.deepEqual(p.routes, [
    { destination: '0.0.0.0/0', gateway: '10.77.0.1', metric: 100 },
    { destination: '::/0', gateway: 'fd51:68a3:195b:ecd1::1', metric: 100 },
  ]);
  assert.deepEqual(
    p.bridgeSysctls.map((s) => `${s.key}=${s.value}`),
    [
      'net/ipv4/ip_forward=1',
      'net/ipv6/conf/all/forwarding=1',
      'net/ipv4/conf/podman1/route_localnet=1',
      'net/ipv6/conf/podman1/accept_dad=0',
      'net/ipv6/conf/podman1/accept_ra=0',
      'net/ipv4/conf/podman1/rp_filter=2',
    ],
  );
  // the kernel names the host veth (veth0, veth1, …): the key is filled in at apply time
  assert.equal(p.hostVeth, undefined);
  assert.deepEqual(p.hostVethSysctls.map((s) => s.key), [`net/ipv6/conf/${HOST_VETH}/accept_dad`]);
  assert.deepEqual(
    p.containerSysctls.map((s) => `${s.key}=${s.value}`),
    ['net/ipv6/conf/eth0/autoconf=0', 'net/ipv6/conf/eth0/accept_dad=0', 'net/ipv4/conf/eth0/arp_notify=1', 'net/ipv4/conf/eth0/rp_filter=2'],
  );
  assert.equal(p.firewall?.isolate, 'strict');
  assert.equal(p.ports?.containerIpV4, '10.77.0.2');
  assert.equal(p.ports?.containerIpV6, 'fd51:68a3:195b:ecd1::2');
  assert.deepEqual(p.dns?.names, ['web', '07c1132e76a5']);
  assert.deepEqual(p.dns?.bindIps, ['10.77.0.1', 'fd51:68a3:195b:ecd1::1']);
});

test('status block matches what netavark 1.4 printed for the sample', () => {
  for (const name of ['podman-4.3.1-web-dualstack-port', 'podman-4.3.1-second-container']) {
    const opts = load(`${name}.json`);
    const expected = JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup', `${name}.expected.json`), 'utf8'));
    const p = planBridge(opts.attachments[0]!, ctx(opts));
    const mac = expected.mynet.interfaces.eth0.mac_address;
    assert.equal(JSON.stringify({ mynet: statusBlock(p, mac) }), JSON.stringify(expected));
  }
});

test('internal network: no default route, forwarding off, no ports', () => {
  const opts = load(SAMPLE, (o) => (o.network_info.mynet.internal = true));
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.deepEqual(p.routes, []);
  assert.ok(p.bridgeSysctls.some((s) => s.key === 'net/ipv4/conf/podman1/forwarding' && s.value === '0'));
  assert.ok(!p.bridgeSysctls.some((s) => s.key === 'net/ipv4/ip_forward'));
  assert.equal(p.ports, undefined);
  assert.equal(p.dns?.internal, true);
});

test('options: mtu, metric, no_default_route, isolate, outbound addresses, static mac, host veth name', () => {
  const opts = load(SAMPLE, (o) => {
    o.network_info.mynet.options = { mtu: '1400', metric: '200', isolate: 'false', outbound_addr4: '192.0.2.9' };
    o.networks.mynet.static_mac = 'AA-BB-CC-00-11-22';
    o.networks.mynet.options = { host_interface_name: 'vethweb' };
  });
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.equal(p.mtu, 1400);
  assert.equal(p.routes[0]!.metric, 200);
  assert.equal(p.firewall?.isolate, 'false');
  assert.equal(p.firewall?.outboundAddr4, '192.0.2.9');
  assert.equal(p.containerMac, 'aa:bb:cc:00:11:22');
  assert.equal(p.hostVeth, 'vethweb');

  const noRoute = load(SAMPLE, (o) => (o.network_info.mynet.options = { no_default_route: '1' }));
  assert.deepEqual(planBridge(noRoute.attachments[0]!, ctx(noRoute)).routes, []);
});

test('static routes keep type and metric', () => {
  const opts = load(SAMPLE, (o) => {
    o.network_info.mynet.routes = [
      { destination: '10.10.0.0/16', gateway: '10.77.0.254', metric: 50 },
      { destination: '10.20.0.0/16', route_type: 'blackhole' },
      { destination: 'fd00:dead::/32', route_type: 'unreachable' },
      { destination: '10.30.0.0/16', route_type: 'prohibit' },
    ];
  });
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.deepEqual(p.routes.slice(2), [
    { destination: '10.10.0.0/16', gateway: '10.77.0.254', metric: 50, type: 'unicast' },
    { destination: '10.20.0.0/16', metric: 100, type: 'blackhole' },
    { destination: 'fd00:dead::/32', metric: 100, type: 'unreachable' },
    { destination: '10.30.0.0/16', metric: 100, type: 'prohibit' },
  ]);
});

test('unmanaged mode: no bridge addresses, no sysctls, no firewall', () => {
  const opts = load(SAMPLE, (o) => (o.network_info.mynet.options = { mode: 'unmanaged' }));
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.equal(p.managed, false);
  assert.deepEqual(p.bridgeAddrs, []);
  assert.deepEqual(p.bridgeSysctls, []);
  assert.deepEqual(p.containerSysctls, []);
  assert.equal(p.firewall, undefined);
  assert.equal(p.ports, undefined);
});

test('vrf and vlan options are carried into the plan', () => {
  const opts = load(SAMPLE, (o) => (o.network_info.mynet.options = { vrf: 'vrf-blue', vlan: '42' }));
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.equal(p.vrf, 'vrf-blue');
  assert.equal(p.vlan, 42);
});

test('DNS disabled (or no DNS server binary): container dns_servers are reported instead', () => {
  const opts = load(SAMPLE, (o) => {
    o.network_info.mynet.dns_enabled = false;
    o.dns_servers = ['192.0.2.53'];
  });
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.equal(p.dns, undefined);
  assert.deepEqual(p.status.dnsServerIps, ['192.0.2.53']);
  assert.deepEqual(p.status.dnsSearchDomains, []);
  const o2 = load(SAMPLE);
  assert.equal(planBridge(o2.attachments[0]!, ctx(o2, { dnsAvailable: false })).dns, undefined);
});

test('sysctl.d file only on systemd hosts and never rootless', () => {
  const opts = load(SAMPLE);
  const p = planBridge(opts.attachments[0]!, ctx(opts, { systemd: true }));
  assert.equal(p.sysctlFile?.path, '/run/sysctl.d/10-netavark-podman1.conf');
  assert.match(p.sysctlFile!.content, /^# autogenerated by netavark\nnet\/ipv4\/ip_forward = 1\n/);
  assert.equal(planBridge(opts.attachments[0]!, ctx(opts, { systemd: true, rootless: true })).sysctlFile, undefined);
});

const badOptions: [string, Record<string, string>, RegExp][] = [
  ['mtu', { mtu: 'big' }, /options\.mtu: invalid value "big"/],
  ['isolate', { isolate: 'maybe' }, /options\.isolate: invalid value "maybe", expected "strict", "true", "false"/],
  ['mode', { mode: 'weird' }, /options\.mode/],
  ['no_default_route', { no_default_route: 'yes' }, /options\.no_default_route/],
  ['vlan', { vlan: '5000' }, /options\.vlan/],
  ['outbound_addr4', { outbound_addr4: 'fd00::1' }, /options\.outbound_addr4: .*IPv4/],
];
for (const [name, options, re] of badOptions) {
  test(`bad option ${name} names the option`, () => {
    const opts = load(SAMPLE, (o) => (o.network_info.mynet.options = options));
    assert.throws(() => planBridge(opts.attachments[0]!, ctx(opts)), re);
  });
}

test('interface names longer than 15 characters are refused', () => {
  const opts = load(SAMPLE, (o) => (o.network_info.mynet.network_interface = 'averyveryverylongbridge'));
  assert.throws(() => planBridge(opts.attachments[0]!, ctx(opts)), /longer than 15/);
});

test('dhcp IPAM: netavark\'s error on a managed bridge; unknown drivers', () => {
  const opts = load(SAMPLE, (o) => {
    o.network_info.mynet.ipam_options = { driver: 'dhcp' };
  });
  assert.throws(() => planBridge(opts.attachments[0]!, ctx(opts)), /^ConfigError: cannot use dhcp ipam driver without using the option mode=unmanaged$/);
  const other = load(SAMPLE, (o) => {
    o.network_info.mynet.ipam_options = { driver: 'someDriver' };
  });
  assert.throws(() => planBridge(other.attachments[0]!, ctx(other)), /^ConfigError: unsupported ipam driver someDriver$/);
});

test('dhcp IPAM on an unmanaged bridge: the lease comes at apply time', () => {
  const opts = load(SAMPLE, (o) => {
    o.network_info.mynet.ipam_options = { driver: 'dhcp' };
    o.network_info.mynet.options = { mode: 'unmanaged' };
    o.network_info.mynet.subnets = [];
    o.networks.mynet.static_ips = [];
  });
  const p = planBridge(opts.attachments[0]!, ctx(opts));
  assert.deepEqual([p.containerAddrs, p.bridgeAddrs, p.dhcp], [[], [], { defaultRouteMetric: 100, userDns: false }]);
});
