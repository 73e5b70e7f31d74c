// macvlan/ipvlan plan (src/drivers/vlan-plan.ts): input as the engine sends it,
// parsed by the real NetworkOptions parser, then the plan checked field by field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetworkOptions } from '../../../schemas/network-options.js';
import { planVlan, MACVLAN_MODE, IPVLAN_MODE } from '../../../src/drivers/vlan-plan.js';
import type { PlanContext } from '../../../src/drivers/plan.js';

const ctx: PlanContext = {
  containerId: 'a'.repeat(64),
  containerName: 'ctr',
  portMappings: [],
  dnsServers: ['9.9.9.9'],
  dnsAvailable: true,
  dnsPort: 53,
  rootless: false,
  systemd: false,
};

function attachment(network: Record<string, unknown>, perNetwork: Record<string, unknown> = {}) {
  const r = parseNetworkOptions(
    JSON.stringify({
      container_id: 'a'.repeat(64),
      container_name: 'ctr',
      networks: { mv: { interface_name: 'eth0', static_ips: ['192.168.1.50'], ...perNetwork } },
      network_info: {
        mv: {
          name: 'mv',
          id: 'b'.repeat(64),
          driver: 'macvlan',
          network_interface: 'enp1s0',
          subnets: [{ subnet: '192.168.1.0/24', gateway: '192.168.1.1' }],
          ipv6_enabled: false,
          internal: false,
          dns_enabled: false,
          ipam_options: { driver: 'host-local' },
          ...network,
        },
      },
    }),
  );
  if (!r.ok) throw new Error(r.error);
  return r.value.attachments[0]!;
}

describe('planVlan', () => {
  it('macvlan defaults: bridge mode, metric 99, default route, autoconf off', () => {
    const p = planVlan(attachment({}), ctx);
    assert.deepEqual(
      { ...p, attachment: undefined },
      {
        driver: 'macvlan',
        attachment: undefined,
        parent: 'enp1s0',
        containerIf: 'eth0',
        mode: MACVLAN_MODE.bridge,
        mtu: undefined,
        containerMac: undefined,
        bcCutoff: undefined,
        containerAddrs: ['192.168.1.50/24'],
        routes: [{ destination: '0.0.0.0/0', gateway: '192.168.1.1', metric: 99 }],
        containerSysctls: [{ key: 'net/ipv6/conf/eth0/autoconf', value: '0', optional: true }],
        dhcp: undefined,
        status: { subnets: [{ ipnet: '192.168.1.50/24', gateway: '192.168.1.1' }], dnsServerIps: [], dnsSearchDomains: [] },
      },
    );
  });

  const modes: [string, string, number][] = [
    ['macvlan', 'bridge', 4],
    ['macvlan', 'private', 1],
    ['macvlan', 'vepa', 2],
    ['macvlan', 'passthru', 8],
    ['macvlan', 'source', 16],
    ['ipvlan', 'l2', 0],
    ['ipvlan', 'l3', 1],
    ['ipvlan', 'l3s', 2],
  ];
  for (const [driver, mode, number] of modes) {
    it(`${driver} mode ${mode} → kernel mode ${number}`, () => {
      assert.equal(planVlan(attachment({ driver, options: { mode } }), ctx).mode, number);
    });
  }
  it('ipvlan defaults to l2', () => assert.equal(planVlan(attachment({ driver: 'ipvlan' }), ctx).mode, IPVLAN_MODE.l2));

  it('options: mtu, metric, bclim, static MAC (macvlan)', () => {
    const p = planVlan(attachment({ options: { mtu: '1400', metric: '50', bclim: '-1' } }, { static_mac: 'AA-BB-CC-DD-EE-01' }), ctx);
    assert.equal(p.mtu, 1400);
    assert.equal(p.bcCutoff, -1);
    assert.equal(p.containerMac, 'aa:bb:cc:dd:ee:01');
    assert.deepEqual(p.routes, [{ destination: '0.0.0.0/0', gateway: '192.168.1.1', metric: 50 }]);
  });
  it('ipvlan ignores static MAC and bclim (links share the parent MAC)', () => {
    const p = planVlan(attachment({ driver: 'ipvlan', options: { bclim: '5' } }, { static_mac: 'aa:bb:cc:dd:ee:01' }), ctx);
    assert.equal(p.containerMac, undefined);
    assert.equal(p.bcCutoff, undefined);
  });
  it('mtu 0 means the kernel default', () => assert.equal(planVlan(attachment({ options: { mtu: '0' } }), ctx).mtu, undefined));
  it('no_default_route and internal drop default routes, keep static routes', () => {
    const routes = [
      { destination: '10.10.0.0/16', gateway: '192.168.1.254' },
      { destination: '10.20.0.0/16', route_type: 'blackhole', metric: 7 },
    ];
    const expected = [
      { destination: '10.10.0.0/16', gateway: '192.168.1.254', metric: 99, type: 'unicast' },
      { destination: '10.20.0.0/16', metric: 7, type: 'blackhole' },
    ];
    assert.deepEqual(planVlan(attachment({ routes, options: { no_default_route: 'true' } }), ctx).routes, expected);
    assert.deepEqual(planVlan(attachment({ routes, internal: true }), ctx).routes, expected);
  });
  it('dual stack: one default route per family', () => {
    const p = planVlan(
      attachment(
        { subnets: [{ subnet: '192.168.1.0/24', gateway: '192.168.1.1' }, { subnet: 'fd00:1::/64', gateway: 'fd00:1::1' }] },
        { static_ips: ['192.168.1.50', 'fd00:1::50'] },
      ),
      ctx,
    );
    assert.deepEqual(p.containerAddrs, ['192.168.1.50/24', 'fd00:1::50/64']);
    assert.deepEqual(p.routes, [
      { destination: '0.0.0.0/0', gateway: '192.168.1.1', metric: 99 },
      { destination: '::/0', gateway: 'fd00:1::1', metric: 99 },
    ]);
  });
  it('no parent means the default-route interface', () => {
    assert.equal(planVlan(attachment({ network_interface: '' }), ctx).parent, undefined);
  });
  it('ipam none: no addresses, no routes', () => {
    const p = planVlan(attachment({ subnets: [], ipam_options: { driver: 'none' } }, { static_ips: [] }), ctx);
    assert.deepEqual([p.containerAddrs, p.routes], [[], []]);
  });

  it('ipam dhcp: no addresses planned, a default route at the network metric once leased', () => {
    const p = planVlan(attachment({ subnets: [], ipam_options: { driver: 'dhcp' } }, { static_ips: [] }), ctx);
    assert.deepEqual([p.containerAddrs, p.routes, p.dhcp], [[], [], { defaultRouteMetric: 99, userDns: true }], 'the container has its own DNS servers');
  });
  it('ipam dhcp with no_default_route: no route from the lease', () => {
    const p = planVlan(attachment({ subnets: [], options: { no_default_route: 'true' }, ipam_options: { driver: 'dhcp' } }, { static_ips: [] }), ctx);
    assert.equal(p.dhcp?.defaultRouteMetric, undefined);
  });

  const errors: [string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    ['bad macvlan mode', { options: { mode: 'l3' } }, {}, /network_info\.mv\.options\.mode: invalid value "l3"/],
    ['bad ipvlan mode', { driver: 'ipvlan', options: { mode: 'bridge' } }, {}, /network_info\.mv\.options\.mode: invalid value "bridge"/],
    ['bad bclim', { options: { bclim: 'x' } }, {}, /network_info\.mv\.options\.bclim: invalid value "x"/],
    ['bad mtu', { options: { mtu: 'big' } }, {}, /network_info\.mv\.options\.mtu/],
    ['dhcp on ipvlan', { driver: 'ipvlan', subnets: [], ipam_options: { driver: 'dhcp' } }, { static_ips: [] }, /ConfigError: ipam driver dhcp is not supported with ipvlan$/],
    ['no static ips', {}, { static_ips: [] }, /^ConfigError: no static ips provided$/],
  ];
  for (const [name, network, per, re] of errors) {
    it(`rejects: ${name}`, () => assert.throws(() => planVlan(attachment(network, per), ctx), re));
  }
});
