// podman network create variants, then podman run on them: the container's
// address, routes, MTU and resolv.conf, and the host side (bridge address).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallSkip, LINK, PodmanHost, podmanSkip } from '../helpers/podman.js';
import { ctrAddrs, ctrMtu, ctrRoutes, ctrV4, expectResolves, resolvConf } from './lib.js';

const skip = podmanSkip();

describe('e2e: podman network create + run', { skip }, () => {
  let ph: PodmanHost;
  before(async () => {
    ph = await PodmanHost.start('enet');
  });
  after(async () => {
    await ph?.destroy();
  });

  test('the selected backend is the one Podman runs', () => {
    ph.ok(['network', 'create', '--subnet', '10.90.0.0/24', 'probe']);
    ph.runDetached({ name: 'probe1', args: ['--network', 'probe'] });
    const daemons = ph.dnsDaemons().map((p) => p.cmdline);
    if (ph.backend === 'reference') {
      assert.ok(daemons.some((c) => c.includes('/usr/lib/podman/aardvark-dns')), daemons.join('\n'));
    } else {
      assert.ok(daemons.some((c) => /skiff-dns\.cjs|bin\/aardvark-dns/.test(c) && !c.includes('/usr/lib/podman')), daemons.join('\n'));
      assert.match(ph.nftRuleset(), /table inet skiff/);
    }
    ph.ok(['rm', '-f', '-t0', 'probe1']);
    ph.ok(['network', 'rm', 'probe']);
  });

  test('IPv4 network with custom subnet and gateway', () => {
    ph.ok(['network', 'create', '--subnet', '10.91.0.0/24', '--gateway', '10.91.0.254', 'v4net']);
    ph.runDetached({ name: 'v4c', args: ['--network', 'v4net'] });
    const addrs = ctrAddrs(ph, 'v4c');
    const v4 = addrs.filter((a) => a.family === 'inet');
    assert.equal(v4.length, 1, JSON.stringify(addrs));
    assert.match(v4[0]!.local, /^10\.91\.0\.\d+$/);
    assert.notEqual(v4[0]!.local, '10.91.0.254');
    assert.equal(v4[0]!.prefixlen, 24);
    const routes = ctrRoutes(ph, 'v4c', '-4');
    assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === '10.91.0.254'), JSON.stringify(routes));
    const rc = resolvConf(ph, 'v4c');
    assert.equal(rc.nameservers[0], '10.91.0.254', rc.text);
    assert.ok(rc.search.includes('dns.podman'), rc.text);
    // the host side: a bridge holding the gateway address
    const hostAddrs = ph.ipJson<{ ifname: string; addr_info: { local: string }[] }[]>(['addr', 'show']);
    assert.ok(hostAddrs.some((l) => l.addr_info.some((a) => a.local === '10.91.0.254')), 'gateway address on a host bridge');
    // podman's own view agrees with the kernel's
    const info = ph.inspect<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> } }>('v4c');
    assert.equal(info.NetworkSettings.Networks.v4net?.IPAddress, v4[0]!.local);
    assert.equal(info.NetworkSettings.Networks.v4net?.Gateway, '10.91.0.254');
  });

  test('dual-stack network: both families, both default routes', async () => {
    ph.ok(['network', 'create', '--ipv6', '--subnet', '10.92.0.0/24', '--subnet', 'fd00:92::/64', 'dsnet']);
    ph.runDetached({ name: 'dsc', args: ['--network', 'dsnet'] });
    const addrs = ctrAddrs(ph, 'dsc');
    assert.ok(addrs.some((a) => a.family === 'inet' && a.local.startsWith('10.92.0.')), JSON.stringify(addrs));
    assert.ok(addrs.some((a) => a.family === 'inet6' && a.local.startsWith('fd00:92::') && a.prefixlen === 64), JSON.stringify(addrs));
    assert.ok(ctrRoutes(ph, 'dsc', '-4').some((r) => r.dst === 'default' && r.gateway === '10.92.0.1'));
    assert.ok(ctrRoutes(ph, 'dsc', '-6').some((r) => r.dst === 'default' && r.gateway === 'fd00:92::1'));
    const rc = resolvConf(ph, 'dsc');
    assert.equal(rc.nameservers[0], '10.92.0.1', rc.text);
    // AAAA of a peer on the same dual-stack network
    ph.runDetached({ name: 'dsc2', args: ['--network', 'dsnet'] });
    const v6 = ctrAddrs(ph, 'dsc2').find((a) => a.family === 'inet6')?.local;
    assert.ok(v6, 'dsc2 has a global IPv6 address');
    await expectResolves(ph, 'dsc', 'dsc2', [v6], { type: 'aaaa' });
    // the v6 gateway answers pings (the bridge has it)
    const p = ph.exec('dsc', 'ping -6 -c1 -W2 fd00:92::1');
    assert.equal(p.code, 0, p.stdout + p.stderr);
  });

  test('--internal: no default route, names still resolve', async () => {
    ph.ok(['network', 'create', '--internal', '--subnet', '10.93.0.0/24', 'intnet']);
    ph.runDetached({ name: 'int1', args: ['--network', 'intnet'] });
    ph.runDetached({ name: 'int2', args: ['--network', 'intnet'] });
    const routes = ctrRoutes(ph, 'int1', '-4');
    assert.ok(!routes.some((r) => r.dst === 'default'), `no default route expected: ${JSON.stringify(routes)}`);
    assert.ok(routes.some((r) => r.dst === '10.93.0.0/24'));
    const rc = resolvConf(ph, 'int1');
    assert.equal(rc.nameservers[0], '10.93.0.1', rc.text);
    const ip2 = ctrV4(ph, 'int2');
    await expectResolves(ph, 'int1', 'int2', [ip2]);
    assert.equal(ph.exec('int1', `ping -c1 -W2 ${ip2}`).code, 0, 'peers on the internal network reach each other');
    // nothing leaves: not the outside machine, not even with an explicit route via the bridge
    assert.notEqual(ph.exec('int1', `ping -c1 -W1 ${LINK.outside4}`).code, 0, 'internal network reached the outside');
    const viaGw = ph.exec('int1', `ip route add ${LINK.outside4}/32 via 10.93.0.1 2>&1; ping -c1 -W1 ${LINK.outside4}`);
    assert.notEqual(viaGw.code, 0, 'internal network must not be forwarded/NATed to the outside');
  });

  test('--ip and --mac-address: the static address and MAC are the ones configured', () => {
    ph.runDetached({ name: 'v4static', args: ['--network', 'v4net', '--ip', '10.91.0.50', '--mac-address', '92:d0:c6:0a:29:33'] });
    assert.equal(ctrAddrs(ph, 'v4static').find((a) => a.family === 'inet')?.local, '10.91.0.50');
    assert.equal(ph.ok(['exec', 'v4static', 'cat', '/sys/class/net/eth0/address']), '92:d0:c6:0a:29:33');
    assert.equal(ph.exec('v4static', 'ping -c1 -W2 v4c').code, 0);
  });

  test('--disable-dns: no podman DNS in resolv.conf, no DNS config for the network', () => {
    ph.ok(['network', 'create', '--disable-dns', '--subnet', '10.94.0.0/24', 'nodnsnet']);
    ph.runDetached({ name: 'nodns', args: ['--network', 'nodnsnet'] });
    const rc = resolvConf(ph, 'nodns');
    assert.ok(!rc.nameservers.includes('10.94.0.1'), rc.text);
    assert.ok(!rc.search.includes('dns.podman'), rc.text);
    assert.ok(!ph.stateFiles().some((f) => f.endsWith('/nodnsnet')), ph.stateFiles().join(' '));
  });

  test('-o mtu=1400: container and bridge use it', () => {
    ph.ok(['network', 'create', '-o', 'mtu=1400', '--subnet', '10.95.0.0/24', 'mtunet']);
    ph.runDetached({ name: 'mtuc', args: ['--network', 'mtunet'] });
    assert.equal(ctrMtu(ph, 'mtuc'), 1400);
    const bridge = ph.ipJson<{ ifname: string; mtu: number; addr_info: { local: string }[] }[]>(['addr', 'show']).find((l) =>
      l.addr_info.some((a) => a.local === '10.95.0.1'),
    );
    assert.equal(bridge?.mtu, 1400);
  });

  test('macvlan on the outside link: the container is a peer of the outside machine', () => {
    ph.ok(['network', 'create', '-d', 'macvlan', '-o', 'parent=eo0', '--subnet', '203.0.113.0/24', '--gateway', LINK.host4, 'mvnet']);
    ph.runDetached({ name: 'mvc', args: ['--network', 'mvnet', '--ip', '203.0.113.50'] });
    const addrs = ctrAddrs(ph, 'mvc');
    assert.ok(addrs.some((a) => a.local === '203.0.113.50' && a.prefixlen === 24), JSON.stringify(addrs));
    const p = ph.exec('mvc', `ping -c1 -W2 ${LINK.outside4}`);
    assert.equal(p.code, 0, `macvlan container -> outside: ${p.stdout}${p.stderr}`);
    // the outside machine sees it directly on the link
    assert.equal(ph.outside.run('ping', ['-c1', '-W2', '203.0.113.50']).code, 0);
    ph.ok(['rm', '-f', '-t0', 'mvc']);
    assert.ok(!ph.hostLinks().some((l) => l.startsWith('mv') || l.startsWith('macvlan')), ph.hostLinks().join(' '));
    ph.ok(['network', 'rm', 'mvnet']);
  });

  test('-o isolate=true: containers on two isolated networks cannot reach each other', { skip: firewallSkip() }, () => {
    ph.ok(['network', 'create', '-o', 'isolate=true', '--subnet', '10.96.0.0/24', 'isoa']);
    ph.ok(['network', 'create', '-o', 'isolate=true', '--subnet', '10.97.0.0/24', 'isob']);
    ph.runDetached({ name: 'isoa1', args: ['--network', 'isoa'] });
    ph.runDetached({ name: 'isoa2', args: ['--network', 'isoa'] });
    ph.runDetached({ name: 'isob1', args: ['--network', 'isob'] });
    const a2 = ctrAddrs(ph, 'isoa2').find((a) => a.family === 'inet')!.local;
    const b1 = ctrAddrs(ph, 'isob1').find((a) => a.family === 'inet')!.local;
    assert.equal(ph.exec('isoa1', `ping -c1 -W2 ${a2}`).code, 0, 'same isolated network still works');
    assert.notEqual(ph.exec('isoa1', `ping -c1 -W1 ${b1}`).code, 0, 'isolated networks must not reach each other');
    assert.notEqual(ph.exec('isob1', `ping -c1 -W1 ${a2}`).code, 0, 'isolated networks must not reach each other');
  });
});
