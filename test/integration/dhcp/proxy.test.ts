// skiff dhcp-proxy against a real DHCP server (dnsmasq) and a scripted one,
// with real macvlans and an unmanaged bridge, through `skiff setup/teardown`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needRoot, SKIFF } from '../../helpers/sandbox.js';
import { addrs, ping, type IpLink, type IpRoute } from '../../helpers/host.js';
import { getDhcpLease, releaseDhcpLease } from '../../../src/dhcp/proxy-client.js';
import { loadProxyProto, type ProtoNetworkConfig } from '../../../src/dhcp/grpc.js';
import { DhcpLab, LAN_GW, dhcpOptions, waitFor, type Proc } from './lab.js';

function macOf(out: Record<string, any>, net = 'lan'): string {
  return out[net].interfaces.eth0.mac_address as string;
}

describe('dhcp proxy with dnsmasq on the LAN', { skip: needRoot }, () => {
  let lab: DhcpLab;
  let proxy: Proc;
  before(async () => {
    lab = new DhcpLab();
    process.env.SKIFF_DHCP_PROXY_SOCKET = lab.socket;
    lab.startDnsmasq();
  });
  after(async () => {
    await lab.destroy();
  });

  test('no proxy running: netavark\'s error, and nothing is left in the container', () => {
    const c = lab.host.container();
    const r = lab.host.run('setup', c, dhcpOptions('np'));
    assert.equal(r.code, 1);
    const err = JSON.parse(r.stdout).error as string;
    assert.ok(
      err.endsWith(`unable to obtain lease: socket "${lab.socket}": No such file or directory (os error 2), is the netavark-dhcp-proxy.socket unit enabled?`),
      err,
    );
    assert.deepEqual(c.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo']);
  });

  test('two containers on one macvlan parent get different leases; hostname, DNS and route from the lease', async () => {
    proxy = await lab.startProxy();
    const c1 = lab.host.container();
    const c2 = lab.host.container();
    const in1 = dhcpOptions('one', { hostname: 'dhcp-one' });
    const in2 = dhcpOptions('two', { hostname: 'dhcp-two' });
    const o1 = lab.host.setup(c1, in1);
    const o2 = lab.host.setup(c2, in2);
    const [ip1, ip2] = [addrs(c1, 'eth0')[0]!, addrs(c2, 'eth0')[0]!];
    assert.match(ip1, /^192\.168\.77\.\d+\/24$/);
    assert.match(ip2, /^192\.168\.77\.\d+\/24$/);
    assert.notEqual(ip1, ip2);
    assert.deepEqual(o1.lan, {
      dns_search_domains: ['lan.test'],
      dns_server_ips: [LAN_GW],
      interfaces: { eth0: { mac_address: macOf(o1), subnets: [{ gateway: LAN_GW, ipnet: ip1 }] } },
    });
    const def = c1.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']);
    assert.deepEqual(def.map((r) => [r.gateway, r.metric]), [[LAN_GW, 99]]);
    assert.ok(ping(c1, LAN_GW), 'the container reaches the LAN');
    // the server saw the container's own MAC and hostname
    assert.equal(lab.serverLeases().get(macOf(o1)), ip1.split('/')[0]);
    assert.equal(lab.serverLeases().get(macOf(o2)), ip2.split('/')[0]);
    const log = readFileSync(lab.dnsmasqLog, 'utf8');
    assert.match(log, new RegExp(`DHCPACK\\(lanp\\) ${ip1.split('/')[0]!.replaceAll('.', '\\.')} ${macOf(o1)} dhcp-one`));
    assert.match(log, /DHCPACK\(lanp\) \S+ \S+ dhcp-two/);
    assert.deepEqual(lab.cachedMacs().sort(), [macOf(o1), macOf(o2)].sort());

    // teardown releases: gone from dnsmasq's lease file and from the cache
    lab.host.teardown(c1, in1);
    await waitFor('dnsmasq to drop the released lease', () => !lab.serverLeases().has(macOf(o1)));
    assert.match(readFileSync(lab.dnsmasqLog, 'utf8'), new RegExp(`DHCPRELEASE\\(lanp\\) ${ip1.split('/')[0]!.replaceAll('.', '\\.')} ${macOf(o1)}`));
    assert.deepEqual(lab.cachedMacs(), [macOf(o2)]);
    assert.deepEqual(c1.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo']);
    lab.host.teardown(c1, in1); // idempotent
    lab.host.teardown(c2, in2);
    assert.deepEqual(lab.cachedMacs(), []);
  });

  test('bad requests are gRPC errors and the proxy keeps serving', async () => {
    const c = lab.host.container();
    const good: ProtoNetworkConfig = {
      host_iface: 'lan0',
      container_iface: 'eth0',
      container_mac_addr: '02:00:00:77:00:01',
      domain_name: '',
      host_name: '',
      version: 'V4',
      ns_path: c.path,
      container_id: 'x',
    };
    const cases: [Partial<ProtoNetworkConfig>, RegExp][] = [
      [{ container_mac_addr: "not-a-mac" }, /^SkiffError: unable to obtain lease: get DHCP lease: invalid container_mac_addr "not-a-mac"/],
      [{ container_iface: "" }, /^SkiffError: unable to obtain lease: get DHCP lease: invalid container_iface ""/],
      [{ version: "V6" }, /^SkiffError: unable to obtain lease: get DHCP lease: ipv6 not yet supported$/],
      [{ ns_path: "/nonexistent/ns" }, /^SkiffError: unable to obtain lease: get DHCP lease: invalid namespace path/],
      [{}, /^SkiffError: unable to obtain lease: get DHCP lease: interface eth0 not found in /],
    ];
    for (const [over, re] of cases) await assert.rejects(getDhcpLease(lab.socket, { ...good, ...over }), re);
    await assert.rejects(releaseDhcpLease(lab.socket, { ...good, container_mac_addr: '' }), /^SkiffError: drop DHCP lease: invalid container_mac_addr ""/);
    // an unknown MAC: nothing to release, not an error
    await releaseDhcpLease(lab.socket, good);
    const input = dhcpOptions('after');
    lab.host.setup(c, input);
    lab.host.teardown(c, input);
    assert.equal(proxy.child.exitCode, null, 'still running');
  });

  test('a restarted proxy resumes its leases; SIGTERM removes the socket, not the cache', async () => {
    const c = lab.host.container();
    const input = dhcpOptions('live', { hostname: 'dhcp-live' });
    const mac = macOf(lab.host.setup(c, input));
    proxy.child.kill('SIGTERM');
    assert.equal(await proxy.exited, 0);
    assert.ok(!existsSync(lab.socket), 'socket removed');
    assert.deepEqual(lab.cachedMacs(), [mac], 'the lease stays cached');
    proxy = await lab.startProxy();
    await waitFor('the proxy to resume the lease', () => proxy.out().includes(`resumed lease`));
    lab.host.teardown(c, input);
    await waitFor('dnsmasq to drop the released lease', () => !lab.serverLeases().has(mac));
    assert.deepEqual(lab.cachedMacs(), []);
  });

  test('Clean forgets every lease (netavark: clears the cache) and answers success', async () => {
    const c = lab.host.container();
    const input = dhcpOptions('clean');
    lab.host.setup(c, input);
    assert.equal(lab.cachedMacs().length, 1);
    const { grpc, Client } = loadProxyProto();
    const client = new Client(`unix:${lab.socket}`, grpc.credentials.createInsecure());
    try {
      const res = await new Promise<unknown>((resolve, reject) =>
        (client['Clean'] as (r: object, cb: (e: Error | null, v?: unknown) => void) => void).call(client, {}, (e, v) => (e ? reject(e) : resolve(v))),
      );
      assert.deepEqual(res, { success: true });
    } finally {
      client.close();
    }
    assert.deepEqual(lab.cachedMacs(), []);
    lab.host.teardown(c, input); // nothing left to release: still fine
  });

  test('unmanaged bridge with ipam dhcp: veth on the existing bridge, lease from the LAN', async () => {
    // a bridge on the host with the LAN link as its port (no macvlan uses lan0 now)
    lab.host.ns.sh('ip', ['link', 'add', 'lanbr0', 'type', 'bridge']);
    lab.host.ns.sh('ip', ['link', 'set', 'lan0', 'master', 'lanbr0']);
    lab.host.ns.sh('ip', ['link', 'set', 'lanbr0', 'up']);
    const c = lab.host.container();
    const input = dhcpOptions('br', { driver: 'bridge', parent: 'lanbr0', network: 'lanbr', options: { mode: 'unmanaged' } });
    try {
      const out = lab.host.setup(c, input);
      assert.match(out.lanbr.interfaces.eth0.subnets[0].ipnet, /^192\.168\.77\.\d+\/24$/);
      assert.deepEqual(c.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']).map((r) => [r.gateway, r.metric]), [[LAN_GW, 100]]);
      assert.ok(ping(c, LAN_GW));
      assert.equal(lab.serverLeases().get(out.lanbr.interfaces.eth0.mac_address), out.lanbr.interfaces.eth0.subnets[0].ipnet.split('/')[0]);
      lab.host.teardown(c, input);
      assert.deepEqual(lab.cachedMacs(), []);
      assert.ok(lab.host.linkNames().includes('lanbr0'), 'an unmanaged bridge stays');
    } finally {
      lab.host.ns.sh('ip', ['link', 'set', 'lan0', 'nomaster']);
      lab.host.ns.sh('ip', ['link', 'del', 'lanbr0']);
    }
  });

  test('managed bridge and ipvlan with ipam dhcp: netavark\'s errors', () => {
    const c = lab.host.container();
    const managed = lab.host.run('setup', c, dhcpOptions('mb', { driver: 'bridge', parent: 'skdhcpbr0' }));
    assert.equal(JSON.parse(managed.stdout).error, 'cannot use dhcp ipam driver without using the option mode=unmanaged');
    const ipvlan = lab.host.run('setup', c, dhcpOptions('iv', { driver: 'ipvlan' }));
    assert.equal(JSON.parse(ipvlan.stdout).error, 'ipam driver dhcp is not supported with ipvlan');
  });

  test('activity timeout: an idle proxy without leases exits and removes its socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dhcp-idle-'));
    const idle = await lab.startProxy(['-a', '1'], dir);
    assert.equal(await idle.exited, 0);
    assert.match(idle.out(), /timeout met: exiting after 1 secs of inactivity/);
    assert.ok(!existsSync(join(dir, 'nv-proxy.sock')));
  });

  test('socket activation: serves on fd 3 and leaves systemd\'s socket in place', { skip: spawnSync('sh', ['-c', 'command -v systemd-socket-activate']).status === 0 ? false : 'systemd-socket-activate missing' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dhcp-sa-'));
    const sock = join(dir, 'nv-proxy.sock');
    const act = lab.startRaw(lab.host.ns, 'systemd-socket-activate', ['-l', sock, '-E', 'SKIFF_LOG=info', process.execPath, SKIFF, 'dhcp-proxy', '--dir', dir, '-a', '0']);
    await waitFor('the activation socket', () => existsSync(sock));
    const c = lab.host.container();
    const input = dhcpOptions('sa');
    const prev = process.env.SKIFF_DHCP_PROXY_SOCKET;
    process.env.SKIFF_DHCP_PROXY_SOCKET = sock;
    try {
      lab.host.setup(c, input);
      lab.host.teardown(c, input);
    } finally {
      process.env.SKIFF_DHCP_PROXY_SOCKET = prev;
    }
    act.child.kill('SIGTERM');
    await act.exited;
    assert.match(act.out(), /fd 3 \(socket activation\)/);
    assert.ok(existsSync(sock), 'the socket belongs to systemd');
  });
});

describe('dhcp proxy renewal (scripted server)', { skip: needRoot }, () => {
  let lab: DhcpLab;
  before(() => {
    lab = new DhcpLab();
    process.env.SKIFF_DHCP_PROXY_SOCKET = lab.socket;
  });
  after(async () => {
    await lab.destroy();
  });

  test('a NAK at renewal → a new lease with another address and gateway, applied in the container', async () => {
    const stub = lab.startStub([
      // T1 = 4 s: long enough for setup to apply the first lease on a loaded machine
      { ip: '192.168.77.150', mask: '255.255.255.0', gateway: LAN_GW, leaseTime: 8 },
      { ip: '192.168.77.160', mask: '255.255.255.0', gateway: '192.168.77.2', leaseTime: 3600 },
    ]);
    const proxy = await lab.startProxy();
    try {
      const c = lab.host.container();
      const input = dhcpOptions('renew', { hostname: 'dhcp-renew' });
      const out = lab.host.setup(c, input);
      assert.deepEqual(addrs(c, 'eth0'), ['192.168.77.150/24']);
      assert.equal(out.lan.interfaces.eth0.subnets[0].gateway, LAN_GW);
      // at T1 renewing is NAKed, DORA gets the second lease
      await waitFor('the new address in the container', () => addrs(c, 'eth0').join() === '192.168.77.160/24', 20_000).catch((e: Error) => {
        throw new Error(`${e.message}\nserver:\n${stub.out()}\nproxy:\n${proxy.out()}`);
      });
      await waitFor('the new default route', () => c.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']).some((r) => r.gateway === '192.168.77.2'));
      assert.deepEqual(c.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']).map((r) => [r.gateway, r.metric]), [['192.168.77.2', 99]]);
      const cached = JSON.parse(readFileSync(lab.leaseCache, 'utf8')) as Record<string, { lease: { yiaddr: string } }>;
      assert.equal(cached[macOf(out)]!.lease.yiaddr, '192.168.77.160');
      // the stub's log arrives through a pipe: wait for it rather than read it once
      await waitFor('the NAK in the server log', () => /"what":"nak","ip":"192.168.77.150"/.test(stub.out()), 10_000);
      // like the stub's, the proxy's log comes through a pipe and may trail the change it reports
      await waitFor('the proxy to log the change', () => /ip or gateway for mac \S+ changed, update address/.test(proxy.out()), 10_000);
      lab.host.teardown(c, input);
      await waitFor('the release at the server', () => /"what":"release","ip":"192.168.77.160"/.test(stub.out()));
    } finally {
      proxy.child.kill('SIGTERM');
      stub.child.kill('SIGKILL');
      await Promise.all([proxy.exited, stub.exited]);
    }
  });

  test('activity timeout waits while a lease is held; a container gone without teardown is dropped at renewal', async () => {
    const stub = lab.startStub([{ ip: '192.168.77.170', mask: '255.255.255.0', gateway: LAN_GW, leaseTime: 6 }]);
    const proxy = await lab.startProxy(['-a', '2']);
    const c = lab.host.container();
    const out = lab.host.setup(c, dhcpOptions('gone'));
    const mac = macOf(out);
    // past the activity timeout, and renewed at T1 (3 s) while the interface exists
    await waitFor('a renewal', () => /"what":"renew"/.test(stub.out()), 20_000);
    assert.equal(proxy.child.exitCode, null, 'a proxy holding a lease stays');
    assert.deepEqual(lab.cachedMacs(), [mac]);
    // the engine lost the container: its interface disappears without a teardown
    c.sh('ip', ['link', 'del', 'eth0']);
    await waitFor('the proxy to drop the lease', () => lab.cachedMacs().length === 0, 20_000);
    const dropped = new RegExp(`dropping the lease of mac ${mac}: interface eth0 with MAC ${mac} is gone`);
    await waitFor('the proxy to log the drop', () => dropped.test(proxy.out()), 10_000);
    // now idle and without leases: the activity timeout ends it
    assert.equal(await proxy.exited, 0);
    assert.ok(!existsSync(lab.socket));
    stub.child.kill('SIGKILL');
    await stub.exited;
  });
});
