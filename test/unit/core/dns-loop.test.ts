// The DNS loop check setup and `setup --dry-run` run before anything is made:
// a container or network DNS server that is one of the gateways being set up
// would make the DNS server forward queries to itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetworkOptions, type NetworkOptions } from '../../../schemas/network-options.js';
import { planBridge } from '../../../src/drivers/bridge-plan.js';
import type { PlanContext } from '../../../src/drivers/plan.js';
import { checkDnsLoop } from '../../../src/core/dns.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { options, type NetSpec } from '../../helpers/options.js';

const N1: NetSpec = { name: 'n1', bridge: 'br1', subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }], dns: true };
const N2: NetSpec = { name: 'n2', bridge: 'br2', subnets: [{ subnet: 'fd00:9::/64', gateway: 'fd00:9::1' }], dns: true };

function check(opts: Record<string, unknown>): void {
  const r = parseNetworkOptions(JSON.stringify(opts));
  if (!r.ok) throw new Error(r.error);
  const o: NetworkOptions = r.value;
  const ctx: PlanContext = {
    containerId: o.containerId, containerName: o.containerName, portMappings: o.portMappings, dnsServers: o.dnsServers,
    dnsAvailable: true, dnsPort: 53, rootless: false, systemd: false,
  };
  checkDnsLoop(o.attachments.map((a) => planBridge(a, ctx)), o);
}

const LOOP = /^dns server (\S+) is the gateway of network (\S+), which would cause aardvark-dns to forward queries to itself$/;

test('servers that are not our gateways pass', () => {
  assert.doesNotThrow(() => check(options('c', [{ net: N1, ips: ['10.0.0.2'] }], { dns_servers: ['192.0.2.53'] })));
  assert.doesNotThrow(() => check(options('c', [{ net: { ...N1, network_dns_servers: ['10.0.0.2'] }, ips: ['10.0.0.3'] }])));
});

test('a container DNS server that is a gateway is refused, naming the network', () => {
  assert.throws(
    () => check(options('c', [{ net: N1, ips: ['10.0.0.2'] }, { net: N2, ips: ['fd00:9::2'] }], { dns_servers: ['fd00:9::1'] })),
    (e: unknown) => e instanceof ConfigError && LOOP.exec(e.message)?.slice(1).join(' ') === 'fd00:9::1 n2',
  );
});

test("a network's DNS server that is the gateway of another network in the same call is refused", () => {
  assert.throws(
    () => check(options('c', [{ net: { ...N2, name: 'n3', network_dns_servers: ['10.0.0.1'] }, ips: ['fd00:9::3'] }, { net: N1, ips: ['10.0.0.4'] }])),
    (e: unknown) => e instanceof ConfigError && LOOP.exec(e.message)?.slice(1).join(' ') === '10.0.0.1 n1',
  );
});
