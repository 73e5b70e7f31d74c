import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkOptions } from '../../../schemas/network-options.js';
import { REPO } from '../../helpers/sandbox.js';

const sample = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup/podman-4.3.1-web-dualstack-port.json'), 'utf8')) as Record<string, unknown>;

function errorOf(input: unknown): string {
  const r = parseNetworkOptions(typeof input === 'string' ? input : JSON.stringify(input));
  assert.equal(r.ok, false, 'expected a parse error');
  return r.ok ? '' : r.error;
}

function mutate(fn: (o: any) => void): Record<string, unknown> {
  const o = sample();
  fn(o);
  return o;
}

test('parses the Podman 4.3.1 sample (map form)', () => {
  const r = parseNetworkOptions(JSON.stringify(sample()));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.value.containerName, 'web');
  assert.equal(r.value.attachments.length, 1);
  const a = r.value.attachments[0]!;
  assert.equal(a.name, 'mynet');
  assert.deepEqual(a.staticIps, ['10.77.0.2', 'fd51:68a3:195b:ecd1::2']);
  assert.deepEqual(a.aliases, ['07c1132e76a5']);
  assert.equal(r.value.portMappings[0]!.host_port, 18080);
});

test('accepts the Podman 6 array form and keeps its order', () => {
  const o = sample() as any;
  const per = o.networks.mynet;
  o.network_info.other = { ...o.network_info.mynet, name: 'other', network_interface: 'podman2', subnets: [{ subnet: '10.99.0.0/24', gateway: '10.99.0.1' }] };
  o.networks = [
    { name: 'other', interface_name: 'eth1', static_ips: ['10.99.0.5'] },
    { name: 'mynet', ...per },
  ];
  const r = parseNetworkOptions(JSON.stringify(o));
  assert.ok(r.ok, r.ok ? '' : r.error);
  if (r.ok) assert.deepEqual(r.value.attachments.map((a) => a.name), ['other', 'mynet']);
});

test('ignores unknown fields', () => {
  const r = parseNetworkOptions(JSON.stringify({ ...sample(), something_new: { x: 1 } }));
  assert.ok(r.ok);
});

const bad: [string, unknown, RegExp][] = [
  ['malformed JSON', '{"container_id": ', /JSON Decoding error/],
  ['missing container_id', mutate((o) => delete o.container_id), /container_id: missing field/],
  ['missing network_info entry', mutate((o) => delete o.network_info.mynet), /network info for network mynet not found/],
  ['bad CIDR', mutate((o) => (o.network_info.mynet.subnets[0].subnet = '10.77.0.0/33')), /network_info\.mynet\.subnets\[0\]\.subnet: "10\.77\.0\.0\/33" is not a valid CIDR/],
  ['bad IP', mutate((o) => (o.networks.mynet.static_ips[0] = '10.77.0.300')), /networks\.mynet\.static_ips\[0\]: "10\.77\.0\.300" is not a valid IP/],
  ['IP outside its subnet', mutate((o) => (o.networks.mynet.static_ips[0] = '10.78.0.2')), /networks\.mynet\.static_ips\[0\]: 10\.78\.0\.2 is not in any subnet of network mynet/],
  ['gateway outside subnet', mutate((o) => (o.network_info.mynet.subnets[0].gateway = '10.1.0.1')), /subnets\[0\]\.gateway: gateway 10\.1\.0\.1 is not in subnet 10\.77\.0\.0\/24/],
  ['empty interface name', mutate((o) => (o.networks.mynet.interface_name = '')), /networks\.mynet\.interface_name: must not be empty/],
  ['bad MAC', mutate((o) => (o.networks.mynet.static_mac = 'zz:00:00:00:00:00')), /static_mac: "zz:00:00:00:00:00" is not a MAC/],
  ['overlapping subnets', mutate((o) => o.network_info.mynet.subnets.push({ subnet: '10.77.0.128/25' })), /overlaps with subnets\[0\]/],
  ['unicast route without gateway', mutate((o) => (o.network_info.mynet.routes = [{ destination: '10.10.0.0/16' }])), /routes\[0\]\.gateway: a unicast route needs a gateway/],
  ['blackhole route with gateway', mutate((o) => (o.network_info.mynet.routes = [{ destination: '10.10.0.0/16', gateway: '10.77.0.1', route_type: 'blackhole' }])), /a blackhole route cannot have a gateway/],
  ['bad port', mutate((o) => (o.port_mappings[0].host_port = 70000)), /port_mappings\[0\]\.host_port/],
  ['networks empty', mutate((o) => (o.networks = {})), /at least one network/],
  ['wrong type', mutate((o) => (o.network_info.mynet.internal = 'yes')), /^network_info\.mynet\.internal: Invalid input: expected boolean, received string$/],
  ['wrong type, not missing', mutate((o) => (o.container_id = 5)), /^container_id: Invalid input: expected string, received number$/],
  ['null, not missing', mutate((o) => (o.container_name = null)), /^container_name: Invalid input: expected string, received null$/],
];
for (const [name, input, re] of bad) {
  test(`rejects ${name} with an error naming the field`, () => {
    assert.match(errorOf(input), re);
  });
}

test('drops invalid aliases with a warning', () => {
  const r = parseNetworkOptions(JSON.stringify(mutate((o) => (o.networks.mynet.aliases = ['ok', 'bad name', '', 'a,b']))));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.value.attachments[0]!.aliases, ['ok']);
  assert.equal(r.value.warnings.length, 3);
});
