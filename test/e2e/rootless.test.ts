// Rootless Podman 4.3.1 on a bridge network: Podman creates its rootless-netns
// (slirp4netns) and runs the backend there with --rootless=true. Names,
// reachability, a published port (Podman's rootlessport), and a clean
// teardown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { IMAGE, LINK, needTools, PodmanHost, podmanSkip, waitFor, type RootlessPodman } from '../helpers/podman.js';

const skip = podmanSkip() || needTools('setpriv', 'slirp4netns', 'socat');

describe('e2e: rootless podman on a bridge network', { skip }, () => {
  let ph: PodmanHost;
  let rl: RootlessPodman;
  let server: ChildProcess | undefined;
  before(async () => {
    ph = await PodmanHost.start('erl');
    rl = ph.rootless();
    rl.ok(['network', 'create', '--subnet', '10.31.0.0/24', 'rlnet']);
    rl.ok(['run', '-d', '--name', 'rweb', '--network', 'rlnet', '-p', '8089:80', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www']);
    rl.ok(['run', '-d', '--name', 'rcli', '--network', 'rlnet', IMAGE, 'sleep', '3600']);
  });
  after(async () => {
    if (server?.pid !== undefined) server.kill('SIGKILL');
    await ph?.destroy();
  });

  test('the backend runs rootless: --rootless=true, DNS daemon under the rootless runroot', () => {
    const daemons = ph.processesUsingDir().filter((p) => /aardvark|skiff-dns/.test(p.cmdline));
    assert.ok(daemons.length >= 1, 'a DNS daemon serves the rootless network');
    if (ph.backend === 'skiff') assert.ok(daemons.some((p) => !p.cmdline.includes('/usr/lib/podman')), daemons.map((p) => p.cmdline).join('\n'));
  });

  test('containers resolve and reach each other by name', async () => {
    const ok = await waitFor(() => rl.exec('rcli', 'nslookup rweb 10.31.0.1 >/dev/null && ping -c1 -W2 rweb >/dev/null && echo ok').stdout.trim() === 'ok', 3000, 200);
    assert.ok(ok, rl.exec('rcli', 'nslookup rweb 10.31.0.1; ping -c1 -W2 rweb').stdout);
    assert.equal(rl.exec('rcli', 'timeout 5 wget -qO- http://rweb/').stdout.trim(), 'hello from skiff e2e');
  });

  test('a published port is reachable from the outside machine', async () => {
    const body = await waitFor(() => {
      const r = ph.outside.run('timeout', ['5', 'busybox', 'wget', '-qO-', `http://${LINK.host4}:8089/`]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    });
    assert.equal(body, 'hello from skiff e2e');
  });

  test('outbound TCP from a rootless container reaches the outside machine (from the host address)', async () => {
    // TCP, not ping: slirp4netns needs unprivileged ICMP sockets (ping_group_range) for echo
    server = spawn('ip', ['netns', 'exec', ph.outside.name, 'socat', 'TCP-LISTEN:8090,reuseaddr,fork', 'SYSTEM:echo $SOCAT_PEERADDR'], { stdio: 'ignore' });
    const out = await waitFor(() => {
      const r = rl.exec('rcli', `timeout 5 nc ${LINK.outside4} 8090 </dev/null`);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    }, 10_000, 200);
    assert.equal(out, LINK.host4);
  });

  test('rm and network rm leave no DNS daemon behind', async () => {
    rl.ok(['rm', '-f', '-t0', 'rweb', 'rcli']);
    rl.ok(['network', 'rm', 'rlnet']);
    const gone = await waitFor(() => ph.processesUsingDir().every((p) => !/aardvark|skiff-dns/.test(p.cmdline)), 5000);
    assert.ok(gone, JSON.stringify(ph.processesUsingDir()));
  });
});
