// Podman + skiff dhcp-proxy: a macvlan network with IPAM dhcp on a sandbox LAN
// served by dnsmasq. Podman 4.3.1 will not create such a network, but loads the
// file a newer Podman writes and hands it to the backend unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needTools, PodmanHost, podmanSkip, waitFor } from '../helpers/podman.js';
import { createNetns, killChildren, SKIFF, type Netns } from '../helpers/sandbox.js';
import { ctrRoutes, ctrV4 } from './lib.js';

const skip = podmanSkip() || needTools('dnsmasq') || (process.env.SKIFF_E2E_BACKEND === 'reference' ? 'skiff only: the reference is netavark 1.4' : false);
const LAN_GW = '192.168.79.1';

describe('e2e: podman run on a DHCP macvlan network', { skip }, () => {
  let ph: PodmanHost;
  let lan: Netns;
  const children: ChildProcess[] = [];
  let proxyOut = '';
  const leases = () => (existsSync(join(ph.dir, 'dnsmasq.leases')) ? readFileSync(join(ph.dir, 'dnsmasq.leases'), 'utf8') : '');

  before(async () => {
    ph = await PodmanHost.start('edh');
    lan = createNetns('edl');
    ph.host.sh('ip', ['link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lanp', 'netns', lan.name]);
    ph.host.sh('ip', ['link', 'set', 'lan0', 'up']);
    lan.sh('ip', ['link', 'set', 'lanp', 'up']);
    lan.sh('ip', ['addr', 'add', `${LAN_GW}/24`, 'dev', 'lanp']);
    children.push(
      spawn('ip', ['netns', 'exec', lan.name, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--interface=lanp', '--bind-interfaces',
        '--dhcp-range=192.168.79.50,192.168.79.99,2m', `--dhcp-option=option:router,${LAN_GW}`, '--no-ping', '--user=root', '--pid-file=',
        `--dhcp-leasefile=${join(ph.dir, 'dnsmasq.leases')}`, '--log-dhcp', `--log-facility=${join(ph.dir, 'dnsmasq.log')}`], { stdio: 'ignore' }),
    );
    // the proxy sees Podman's netns mounts only from the holder's mount namespace; default socket path
    const proxy = spawn('nsenter', ['-t', String(ph.holderPid), '--mount', '--net', process.execPath, SKIFF, 'dhcp-proxy', '-a', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stdout.on('data', (d: Buffer) => (proxyOut += d.toString()));
    proxy.stderr.on('data', (d: Buffer) => (proxyOut += d.toString()));
    children.push(proxy);
    assert.ok(await waitFor(() => ph.inHost('test', ['-S', '/run/podman/nv-proxy.sock']).code === 0, 20_000), `the proxy did not start: ${proxyOut}`);
    // the file a newer `podman network create -d macvlan -o parent=lan0 lan` writes
    writeFileSync(
      join(ph.dir, 'netconf', 'lan.json'),
      JSON.stringify({
        name: 'lan',
        id: '7e0c2b0b5f1d4b4a8a0a3c2a1d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70',
        driver: 'macvlan',
        network_interface: 'lan0',
        created: '2026-12-01T00:00:00Z',
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        ipam_options: { driver: 'dhcp' },
      }),
    );
  });
  after(async () => {
    await ph?.destroy();
    await killChildren(children);
    lan?.destroy();
  });

  test('podman run gets its address from dnsmasq and reaches the LAN; podman rm releases it', async () => {
    ph.runDetached({ name: 'dhcp-e2e', args: ['--network', 'lan'] });
    const ip = ctrV4(ph, 'dhcp-e2e');
    assert.match(ip, /^192\.168\.79\.\d+$/);
    assert.deepEqual(ctrRoutes(ph, 'dhcp-e2e', '-4').filter((r) => r.dst === 'default').map((r) => r.gateway), [LAN_GW]);
    assert.equal(ph.exec('dhcp-e2e', `ping -c1 -W2 ${LAN_GW}`).code, 0, 'the container reaches a host on the LAN');
    const inspect = ph.inspect<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> } }>('dhcp-e2e');
    assert.equal(inspect.NetworkSettings.Networks.lan?.IPAddress, ip);
    // Podman 4.3 sends no container_hostname: the container name goes out as the DHCP host name
    assert.match(leases(), new RegExp(`${ip.replaceAll('.', '\\.')} dhcp-e2e`));
    ph.ok(['rm', '-f', '-t0', 'dhcp-e2e']);
    assert.ok(await waitFor(() => !leases().includes(ip)), `dnsmasq still has ${ip}: ${leases()}`);
    // spawnSync calls above block the event loop: give the proxy's output a chance to arrive
    assert.ok(await waitFor(() => /released lease/.test(proxyOut)), proxyOut);
  });
});
