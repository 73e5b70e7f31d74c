// Situations real hosts are in: another firewall with a DROP forward policy
// (what Docker leaves behind), IPv6 subnets, and many short-lived containers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { e2eBackend, firewallSkip, needTools, IMAGE, LINK, PodmanHost, podmanSkip, waitFor } from '../helpers/podman.js';
import { ctrAddrs, ctrRoutes, ctrV4, expectResolves } from './lib.js';

const skip = podmanSkip() || firewallSkip() || needTools('iptables', 'socat');

describe('e2e: coexistence and edge cases', { skip }, () => {
  let ph: PodmanHost;
  let server: ChildProcess | undefined;
  before(async () => {
    ph = await PodmanHost.start('ecox');
    // Docker's footprint: iptables-nft filter FORWARD with policy DROP, set before Podman runs.
    const r = ph.inHost('iptables', ['-P', 'FORWARD', 'DROP']);
    assert.equal(r.code, 0, r.stderr);
    ph.ok(['network', 'create', '--subnet', '10.41.0.0/24', 'cnet']);
    ph.runDetached({ name: 'cweb', args: ['--network', 'cnet', '-p', '8080:80'], cmd: ['httpd', '-f', '-p', '80', '-h', '/www'] });
    ph.runDetached({ name: 'cpeer', args: ['--network', 'cnet'] });
  });
  after(async () => {
    if (server?.pid !== undefined) server.kill('SIGKILL');
    await ph?.destroy();
  });

  test('with a DROP forward policy (Docker-style): published port from outside', {
    skip: e2eBackend() === 'reference' ? 'netavark 1.4 does not accept new DNATed connections past a foreign FORWARD DROP' : false,
  }, async () => {
    const r = await waitFor(() => {
      const x = ph.outside.run('timeout', ['5', 'busybox', 'wget', '-qO-', `http://${LINK.host4}:8080/`]);
      return x.code === 0 ? x.stdout.trim() : undefined;
    });
    assert.equal(r, 'hello from skiff e2e');
  });

  test('with a DROP forward policy (Docker-style): outbound to the outside machine', async () => {
    server = spawn('ip', ['netns', 'exec', ph.outside.name, 'socat', 'TCP-LISTEN:8090,reuseaddr,fork', 'SYSTEM:echo $SOCAT_PEERADDR'], { stdio: 'ignore' });
    const out = await waitFor(() => {
      const r = ph.exec('cpeer', `timeout 5 nc ${LINK.outside4} 8090 </dev/null`);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    }, 10_000, 200);
    assert.equal(out, LINK.host4);
  });

  test('only an IPv6 subnet given: address, default route, AAAA by name, v6 outbound', async () => {
    // Podman 4.3.1 adds an IPv4 subnet of its own to such a network; only the v6 side is checked here.
    ph.ok(['network', 'create', '--ipv6', '--subnet', 'fd00:41::/64', 'v6only']);
    ph.runDetached({ name: 'six1', args: ['--network', 'v6only'] });
    ph.runDetached({ name: 'six2', args: ['--network', 'v6only'] });
    const addrs = ctrAddrs(ph, 'six1');
    assert.ok(addrs.some((a) => a.family === 'inet6' && a.local.startsWith('fd00:41::')), JSON.stringify(addrs));
    assert.ok(ctrRoutes(ph, 'six1', '-6').some((r) => r.dst === 'default' && r.gateway === 'fd00:41::1'));
    const six2 = ctrAddrs(ph, 'six2').find((a) => a.family === 'inet6')!.local;
    await expectResolves(ph, 'six1', 'six2', [six2], { type: 'aaaa' });
    assert.equal(ph.exec('six1', `ping -6 -c1 -W2 ${six2}`).code, 0);
    assert.equal(ph.exec('six1', `ping -6 -c1 -W2 ${LINK.outside6}`).code, 0, 'IPv6 outbound (masqueraded)');
    ph.ok(['rm', '-f', '-t0', 'six1', 'six2']);
    ph.ok(['network', 'rm', 'v6only']);
  });

  test('churn: 10 short-lived containers one after another leave nothing behind', async () => {
    const links = ph.hostLinks().length;
    for (let i = 0; i < 10; i++) {
      const r = ph.podman(['run', '--rm', '--network', 'cnet', IMAGE, 'sh', '-c', 'ping -c1 -W2 cweb >/dev/null && echo ok']);
      assert.equal(r.stdout.trim(), 'ok', `run ${i}: ${r.stderr}`);
    }
    assert.equal(ph.hostLinks().length, links, 'one veth per run, all removed');
    await expectResolves(ph, 'cpeer', 'cweb', [ctrV4(ph, 'cweb')]);
  });
});
