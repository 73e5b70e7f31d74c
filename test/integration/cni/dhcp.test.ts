// skiff-cni with the reference `dhcp` IPAM plugin: its daemon runs in the
// sandbox node (socket in the node's private directory, `daemonSocketPath`),
// a dnsmasq DHCP server sits in a "LAN" namespace behind the bridge's uplink
// port, and the container's address comes from that server. The DHCP client
// runs on the container's interface, so Skiff creates the interface first and
// adds the addresses once IPAM has answered.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needRoot, waitFor, type Netns } from '../../helpers/sandbox.js';
import { addrsOf, CniNode, REF_DIR, type NetConf } from './lib.js';

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => existsSync(p));
const skip = needRoot || (!existsSync(`${REF_DIR}/dhcp`) ? `needs the reference dhcp plugin (${REF_DIR}/dhcp)` : !DNSMASQ ? 'needs dnsmasq (dnsmasq-base)' : false);

describe('skiff-cni with dhcp IPAM', { skip }, () => {
  let node: CniNode;
  let lan: Netns;
  let dir: string;
  const procs: ChildProcess[] = [];
  const socket = () => join(dir, 'dhcp.sock');

  before(async () => {
    node = new CniNode('cnq');
    lan = node.container('cnl');
    dir = join(node.stateDir, '..', 'dhcp');
    node.ns.sh('mkdir', ['-p', dir]);
    // the bridge exists with an uplink port to the LAN (as a node's uplink would be): Skiff joins it, never removes it
    node.ns.sh('ip', ['link', 'add', 'cni8', 'type', 'bridge']);
    node.ns.sh('ip', ['link', 'set', 'cni8', 'up']);
    node.ns.sh('ip', ['link', 'add', 'upl0', 'type', 'veth', 'peer', 'name', 'lan0', 'netns', lan.name]);
    node.ns.sh('ip', ['link', 'set', 'upl0', 'master', 'cni8', 'up']);
    lan.sh('ip', ['addr', 'add', '192.168.77.1/24', 'dev', 'lan0']);
    lan.sh('ip', ['link', 'set', 'lan0', 'up']);
    writeFileSync(join(dir, 'leases'), '');
    const dnsmasq = spawn('ip', ['netns', 'exec', lan.name, DNSMASQ!, '--keep-in-foreground', '--no-daemon', '--conf-file=/dev/null', '--port=0',
      '--no-resolv', '--no-hosts', '--interface=lan0', '--bind-interfaces', '--dhcp-range=192.168.77.50,192.168.77.60,255.255.255.0,1h',
      '--dhcp-option=3,192.168.77.1', `--dhcp-leasefile=${join(dir, 'leases')}`, '--log-dhcp', `--log-facility=${join(dir, 'dnsmasq.log')}`], { stdio: 'ignore' });
    procs.push(dnsmasq);
    // nsenter, not `ip netns exec`: the daemon must see container namespaces created after it starts
    const daemon = spawn('nsenter', [`--net=${node.ns.path}`, `${REF_DIR}/dhcp`, 'daemon', '-socketpath', socket(), '-resendmax', '8s'], { stdio: 'ignore' });
    procs.push(daemon);
    assert.equal(await waitFor(() => existsSync(socket())), true, 'the dhcp daemon opened its socket');
  });

  after(() => {
    for (const p of procs) if (p.pid !== undefined && p.exitCode === null) p.kill('SIGTERM');
    node.destroy();
  });

  const conf = (over: NetConf = {}): NetConf => ({
    cniVersion: '1.0.0',
    name: 'dhcpnet',
    type: 'skiff',
    bridge: 'cni8',
    ipam: { type: 'dhcp', daemonSocketPath: socket() },
    ...over,
  });

  test('ADD gets its address from the LAN DHCP server; CHECK; DEL releases the lease and keeps the uplink bridge', async () => {
    const c = node.container();
    const a = { containerId: 'dhcp-1', netns: c.path };
    const res = node.ok('ADD', conf(), a);
    assert.equal(res.ips.length, 1);
    assert.match(res.ips[0].address, /^192\.168\.77\.(5\d|60)\/24$/);
    assert.equal(res.ips[0].gateway, '192.168.77.1');
    assert.equal(res.ips[0].interface, 2);
    const ip = res.ips[0].address.split('/')[0];
    assert.deepEqual(addrsOf(c, 'eth0'), [res.ips[0].address]);
    assert.ok(res.routes.some((r: { dst: string; gw?: string }) => r.dst === '0.0.0.0/0' && r.gw === '192.168.77.1'), JSON.stringify(res.routes));
    assert.equal(c.ipJson<{ gateway: string }[]>(['-4', 'route', 'show', 'default'])[0]?.gateway, '192.168.77.1');
    assert.equal(c.run('ping', ['-c1', '-W2', '192.168.77.1']).code, 0, 'the LAN is reached');
    const mac = res.interfaces[2].mac as string;
    assert.match(readFileSync(join(dir, 'leases'), 'utf8'), new RegExp(`${mac} ${ip.replaceAll('.', '\\.')} `), 'dnsmasq holds the lease');

    const chk = node.exec('CHECK', { ...conf(), prevResult: res }, a);
    assert.equal(chk.code, 0, chk.stdout + chk.stderr);

    node.ok('DEL', conf(), a);
    assert.equal(await waitFor(() => !readFileSync(join(dir, 'leases'), 'utf8').includes(mac)), true, 'the lease was released');
    assert.match(readFileSync(join(dir, 'dnsmasq.log'), 'utf8'), new RegExp(`DHCPRELEASE\\(lan0\\) ${ip.replaceAll('.', '\\.')} ${mac}`));
    assert.deepEqual(node.linkNames(), ['cni8', 'lo', 'upl0']);
    node.ok('DEL', conf(), a);
  });

  test('IPAM failing after the interface exists undoes the interface (no daemon on the socket)', () => {
    const c = node.container();
    const r = node.exec('ADD', conf({ ipam: { type: 'dhcp', daemonSocketPath: join(dir, 'nobody.sock') } }), { containerId: 'dhcp-none', netns: c.path });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.json.msg, /^dhcp ADD: /);
    assert.deepEqual(c.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname), ['lo'], 'the container interface went again');
    assert.deepEqual(node.linkNames(), ['cni8', 'lo', 'upl0'], 'the host veth too; the bridge stays');
  });
});
