// The pure part of ADD: a CNI configuration plus an IPAM result become a
// bridge-driver plan and a CNI result, in the format of the config's version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetConf } from '../../../src/cni/config.js';
import { parseCniEnv, parseCniArgs } from '../../../src/cni/env.js';
import { mergeResults, parseResult, renderResult, type Result } from '../../../src/cni/result.js';
import { buildResult, hostVethName, networkId, planCni } from '../../../src/cni/translate.js';
import { REPO } from '../../helpers/sandbox.js';

const DIR = join(REPO, 'test/fixtures/cni');
const text = (f: string) => readFileSync(join(DIR, f), 'utf8');
const env = parseCniEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/c1', CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' });

function ipamResult(): Result {
  const r = parseResult(JSON.parse(text('host-local.result.json')));
  assert.ok(r.ok);
  return r.value;
}

test('host-local result: gateway on the bridge, address and route in the container, ports and masquerade', () => {
  const conf = parseNetConf(text('bridge-host-local.conf.json'));
  const { plan, ips, routes } = planCni(conf, env, ipamResult());
  assert.equal(plan.bridge, 'cni0');
  assert.equal(plan.managed, true);
  assert.deepEqual(plan.bridgeAddrs, ['10.22.0.1/16']);
  assert.deepEqual(plan.containerAddrs, ['10.22.0.5/16']);
  assert.equal(plan.containerIf, 'eth0');
  assert.equal(plan.hostVeth, hostVethName('c1', 'eth0', 'mynet'));
  assert.match(plan.hostVeth, /^veth[0-9a-f]{10}$/);
  // the IPAM route without gw goes via the gateway; no second default route from the driver
  assert.deepEqual(routes, [{ dst: '0.0.0.0/0', gw: '10.22.0.1' }]);
  assert.deepEqual(plan.routes.map((r) => [r.destination, r.gateway]), [['0.0.0.0/0', '10.22.0.1']]);
  assert.equal(ips[0]!.interface, 2);
  assert.equal(plan.firewall?.networkId, networkId('mynet'));
  assert.deepEqual(plan.firewall?.subnets, ['10.22.0.0/16']);
  assert.equal(plan.firewall?.masquerade, true);
  assert.equal(plan.firewall?.isolate, 'false');
  assert.deepEqual(plan.ports?.portMappings, [{ host_ip: '', host_port: 8080, container_port: 80, range: 1, protocol: 'tcp' }]);
  assert.equal(plan.ports?.containerIpV4, '10.22.0.5');
});

test('flannel delegate: isDefaultGateway implies isGateway, mtu, no masquerade, cluster CIDR without NAT, subnet from ranges', () => {
  const conf = parseNetConf(text('flannel-delegate.conf.json'));
  assert.equal(conf.isGateway, true);
  const ipam = parseResult({ cniVersion: '0.3.1', ips: [{ version: '4', address: '10.244.1.7/24' }], routes: [{ dst: '10.244.0.0/16' }] });
  assert.ok(ipam.ok);
  const { plan, routes } = planCni(conf, env, ipam.value);
  assert.equal(plan.bridge, 'cni0');
  assert.equal(plan.mtu, 1450);
  // no gateway from IPAM: the first host of the subnet, as the reference plugin computes it
  assert.deepEqual(plan.bridgeAddrs, ['10.244.1.1/24']);
  assert.deepEqual(routes, [
    { dst: '10.244.0.0/16', gw: '10.244.1.1' },
    { dst: '0.0.0.0/0', gw: '10.244.1.1' },
  ]);
  assert.equal(plan.firewall?.masquerade, false);
  assert.deepEqual(plan.firewall?.noNatDestinations, ['10.244.0.0/16']);
  assert.deepEqual(plan.firewall?.subnets, ['10.244.1.0/24']);
});

test('no IPAM: an L2-only attachment with no addresses and no routes', () => {
  const conf = parseNetConf('{"cniVersion":"1.0.0","name":"l2","type":"skiff","bridge":"br-l2"}');
  const { plan, ips, routes } = planCni(conf, env, undefined);
  assert.deepEqual(plan.containerAddrs, []);
  assert.deepEqual(plan.bridgeAddrs, []);
  assert.deepEqual(ips, []);
  assert.deepEqual(routes, []);
  assert.equal(plan.ports, undefined);
});

test('runtimeConfig.mac sets the container MAC; isolate maps onto the driver option', () => {
  const conf = parseNetConf('{"cniVersion":"1.0.0","name":"n","type":"skiff","isolate":"strict","runtimeConfig":{"mac":"AA-BB-CC-DD-EE-0F"}}');
  const { plan } = planCni(conf, env, undefined);
  assert.equal(plan.containerMac, 'aa:bb:cc:dd:ee:0f');
  assert.equal(plan.firewall?.isolate, 'strict');
});

test('result: 1.0.0 format, and 0.4.0 with "version" on each IP', () => {
  const conf = parseNetConf(text('bridge-host-local.conf.json'));
  const p = planCni(conf, env, ipamResult());
  const r = buildResult(conf, p, { bridge: '02:00:00:00:00:01', hostVeth: '02:00:00:00:00:02', container: '02:00:00:00:00:03' }, '/run/netns/c1', undefined);
  assert.deepEqual(renderResult(r, '1.0.0'), {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'cni0', mac: '02:00:00:00:00:01' },
      { name: p.hostVeth, mac: '02:00:00:00:00:02' },
      { name: 'eth0', mac: '02:00:00:00:00:03', sandbox: '/run/netns/c1' },
    ],
    ips: [{ interface: 2, address: '10.22.0.5/16', gateway: '10.22.0.1' }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.22.0.1' }],
    dns: {},
  });
  const old = renderResult(r, '0.4.0') as { ips: unknown[] };
  assert.deepEqual(old.ips, [{ version: '4', interface: 2, address: '10.22.0.5/16', gateway: '10.22.0.1' }]);
});

test('DNS: runtimeConfig.dns wins over the config, which wins over IPAM', () => {
  const conf = parseNetConf(
    '{"cniVersion":"1.0.0","name":"n","type":"skiff","dns":{"nameservers":["10.0.0.10"]},"runtimeConfig":{"dns":{"nameservers":["10.96.0.10"],"search":["svc.cluster.local"]}}}',
  );
  const p = planCni(conf, env, undefined);
  const r = buildResult(conf, p, { bridge: undefined, hostVeth: undefined, container: undefined }, '/run/netns/c1', { nameservers: ['1.1.1.1'] });
  assert.deepEqual(r.dns, { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] });
});

test('chaining: our part is appended to prevResult and our IP indexes move up', () => {
  const prev = parseResult({
    interfaces: [{ name: 'lo0', sandbox: '/run/netns/c1' }],
    ips: [{ address: '192.168.5.2/24', interface: 0 }],
    routes: [{ dst: '192.168.0.0/16', gw: '192.168.5.1' }],
    dns: { nameservers: ['192.168.5.1'] },
  });
  assert.ok(prev.ok);
  const conf = parseNetConf(text('bridge-host-local.conf.json'));
  const p = planCni(conf, env, ipamResult());
  const ours = buildResult(conf, p, { bridge: undefined, hostVeth: undefined, container: undefined }, '/run/netns/c1', undefined);
  const m = mergeResults(prev.value, ours);
  assert.deepEqual(m.interfaces.map((i) => i.name), ['lo0', 'cni0', p.hostVeth, 'eth0']);
  assert.deepEqual(m.ips.map((i) => [i.ip, i.interface]), [['192.168.5.2', 0], ['10.22.0.5', 3]]);
  assert.equal(m.routes.length, 2);
  assert.deepEqual(m.dns, { nameservers: ['192.168.5.1'] });
});

test('config: defaults of the reference bridge plugin, GC lists under either key', () => {
  const c = parseNetConf('{"cniVersion":"1.1.0","name":"n","type":"skiff","cni.dev/attachments":[{"containerID":"a","ifname":"eth0"}]}');
  assert.equal(c.bridge, 'cni0');
  assert.equal(c.isGateway, false);
  assert.equal(c.ipMasq, false);
  assert.equal(c.isolate, 'false');
  assert.deepEqual([...c.validAttachments!], ['a/eth0']);
  const d = parseNetConf('{"cniVersion":"1.1.0","name":"n","type":"skiff","cni.dev/valid-attachments":[]}');
  assert.equal(d.validAttachments?.size, 0);
  assert.equal(parseNetConf('{"cniVersion":"1.1.0","name":"n","type":"skiff"}').validAttachments, undefined);
});

test('CNI_ARGS: pairs split on ";" and the first "="', () => {
  assert.deepEqual(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.0.0.5'), { IgnoreUnknown: '1', K8S_POD_NAME: 'web', IP: '10.0.0.5' });
  assert.deepEqual(parseCniArgs(''), {});
  assert.deepEqual(parseCniArgs('A=b=c'), { A: 'b=c' });
});

test('dnsAliases: K8S_POD_NAME, the listed names and runtimeConfig.aliases of this network, once each', async () => {
  const { dnsNames } = await import('../../../src/cni/dns.js');
  const conf = parseNetConf('{"cniVersion":"1.0.0","name":"n","type":"skiff","dnsAliases":["api","web"],"runtimeConfig":{"aliases":{"n":["web","db"],"other":["x"]}}}');
  assert.equal(conf.dnsAliases, true);
  const e = parseCniEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web1' });
  assert.deepEqual(dnsNames(conf, e), ['web1', 'api', 'web', 'db']);
  assert.equal(parseNetConf('{"cniVersion":"1.0.0","name":"n","type":"skiff"}').dnsAliases, false);
});

test('parseNetConf names the field of a bad config: "missing field" only when it is absent', () => {
  const msg = (conf: unknown): string => {
    try {
      parseNetConf(JSON.stringify(conf));
    } catch (e) {
      return (e as Error).message;
    }
    return 'parsed';
  };
  assert.match(msg({ cniVersion: '1.0.0', type: 'skiff' }), /^name: missing field$/);
  const wrongType = msg({ cniVersion: '1.0.0', name: 5, type: 'skiff' });
  assert.match(wrongType, /^name: /);
  assert.doesNotMatch(wrongType, /missing field/);
});
