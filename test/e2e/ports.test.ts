// Published ports reached from another machine (the outside netns) and from
// the host itself, the client address the container sees, and outbound
// masquerade.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { e2eBackend, firewallSkip, needTools, LINK, PodmanHost, podmanSkip, waitFor } from '../helpers/podman.js';

const skip = podmanSkip() || firewallSkip() || needTools('socat');

// busybox has no UDP server; socat from the machine is bind-mounted read-only.
const SOCAT_MOUNTS = ['-v', '/usr/bin/socat:/usr/bin/socat:ro', '-v', '/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro', '-v', '/lib64:/lib64:ro'];
const UDP_PORTS = [9000, 9001, 9002];

describe('e2e: published ports and outbound NAT', { skip }, () => {
  let ph: PodmanHost;
  let server: ChildProcess | undefined;
  let server6: ChildProcess | undefined;
  before(async () => {
    ph = await PodmanHost.start('eprt');
    ph.ok(['network', 'create', '--ipv6', '--subnet', '10.71.0.0/24', '--subnet', 'fd00:71::/64', 'pnet']);
    const udp = UDP_PORTS.map((p) => `socat -u UDP-RECV:${p} OPEN:/tmp/u${p},creat,append &`).join(' ');
    ph.runDetached({
      name: 'pweb',
      args: ['--network', 'pnet', '-p', '8080:80', '-p', '127.0.0.1:8081:80', '-p', '9000-9002:9000-9002/udp', ...SOCAT_MOUNTS],
      cmd: ['sh', '-c', `${udp} exec httpd -f -p 80 -h /www`],
    });
    ph.runDetached({ name: 'ppeer', args: ['--network', 'pnet'] });
  });
  after(async () => {
    for (const srv of [server, server6]) if (srv?.pid !== undefined) srv.kill('SIGKILL');
    await ph?.destroy();
  });

  const wgetFrom = (ctr: string, url: string): string => {
    const r = ph.exec(ctr, `timeout 5 wget -qO- ${url}`);
    return r.code === 0 ? r.stdout.trim() : `exit ${r.code}: ${r.stderr.trim()}`;
  };

  const wget = (from: 'outside' | 'host', url: string): { code: number; body: string } => {
    const args = ['5', 'busybox', 'wget', '-qO-', url];
    const r = from === 'outside' ? ph.outside.run('timeout', args) : ph.inHost('timeout', args);
    return { code: r.code, body: r.stdout.trim() };
  };

  test('-p 8080:80 from the outside: the page, and the container sees the client address', async () => {
    const r = await waitFor(() => {
      const x = wget('outside', `http://${LINK.host4}:8080/`);
      return x.code === 0 ? x : undefined;
    });
    assert.equal(r?.body, 'hello from skiff e2e');
    const who = wget('outside', `http://${LINK.host4}:8080/cgi-bin/ip`);
    assert.equal(who.code, 0);
    // busybox httpd listens on a dual-stack socket: IPv4 peers show as [::ffff:a.b.c.d]
    assert.equal(who.body.replace(/^\[::ffff:(.*)\]$/, '$1'), LINK.outside4, 'DNAT only: no source NAT on the way in');
  });

  test('-p 8080:80 over IPv6 from the outside (dual-stack network)', async () => {
    const r = await waitFor(() => {
      const x = wget('outside', `http://[${LINK.host6}]:8080/cgi-bin/ip`);
      return x.code === 0 ? x : undefined;
    });
    assert.equal(r?.body, `[${LINK.outside6}]`);
  });

  test('-p 8080:80 from the host itself', () => {
    const r = wget('host', `http://${LINK.host4}:8080/`);
    assert.equal(r.code, 0);
    assert.equal(r.body, 'hello from skiff e2e');
  });

  test('hairpin: a container reaches a published port through the host address', {
    skip: e2eBackend() === 'reference' ? 'netavark 1.4 times out on hairpin to a published port here (Skiff masquerades DNATed same-network traffic)' : false,
  }, () => {
    assert.equal(wgetFrom('ppeer', `http://${LINK.host4}:8080/`), 'hello from skiff e2e', 'peer -> host:8080');
    assert.equal(wgetFrom('pweb', `http://${LINK.host4}:8080/`), 'hello from skiff e2e', 'the publisher itself -> host:8080');
  });

  test('the host reaches a port published on all addresses through 127.0.0.1', () => {
    const r = ph.inHost('timeout', ['5', 'busybox', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'hello from skiff e2e');
  });

  test('-p 127.0.0.1:8081:80: reachable on the host loopback only', () => {
    const r = wget('host', 'http://127.0.0.1:8081/');
    assert.equal(r.code, 0, 'host -> 127.0.0.1:8081');
    assert.equal(r.body, 'hello from skiff e2e');
    assert.notEqual(wget('outside', `http://${LINK.host4}:8081/`).code, 0, 'must not be published on other addresses');
  });

  test('-p 9000-9002:9000-9002/udp: every port of the range delivers', async () => {
    for (const p of UDP_PORTS) {
      const r = ph.outside.run('sh', ['-c', `echo dgram${p} | socat -u - UDP:${LINK.host4}:${p}`]);
      assert.equal(r.code, 0, r.stderr);
    }
    for (const p of UDP_PORTS) {
      const got = await waitFor(() => ph.exec('pweb', `cat /tmp/u${p} 2>/dev/null`).stdout.includes(`dgram${p}`), 5000);
      assert.ok(got, `udp ${p} did not arrive in the container`);
    }
  });

  test('podman network reload restores forwarding after the ruleset was flushed', async () => {
    const flush = ph.inHost('nft', ['flush', 'ruleset']);
    assert.equal(flush.code, 0, flush.stderr);
    assert.notEqual(wget('outside', `http://${LINK.host4}:8080/`).code, 0, 'flushed: the port must be dead');
    const reload = ph.podman(['network', 'reload', 'pweb']);
    assert.equal(reload.code, 0, reload.stderr);
    const r = await waitFor(() => {
      const x = wget('outside', `http://${LINK.host4}:8080/cgi-bin/ip`);
      return x.code === 0 ? x : undefined;
    });
    assert.equal(r?.body.replace(/^\[::ffff:(.*)\]$/, '$1'), LINK.outside4);
  });

  test('`netavark firewall-reload` (Skiff) restores forwarding from its state files', { skip: e2eBackend() === 'reference' ? 'netavark 1.4 has no firewall-reload' : false }, async () => {
    assert.equal(ph.inHost('nft', ['flush', 'ruleset']).code, 0);
    assert.notEqual(wget('outside', `http://${LINK.host4}:8080/`).code, 0, 'flushed: the port must be dead');
    const r = ph.inHost(join(ph.helpers, 'netavark'), ['--config', '/run/containers/networks', 'firewall-reload']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ok = await waitFor(() => wget('outside', `http://${LINK.host4}:8080/`).code === 0);
    assert.ok(ok, 'port 8080 forwards again after firewall-reload');
  });

  test('outbound: a server outside sees the host address (masquerade)', async () => {
    server = spawn('ip', ['netns', 'exec', ph.outside.name, 'socat', 'TCP-LISTEN:8090,reuseaddr,fork', 'SYSTEM:echo $SOCAT_PEERADDR'], {
      stdio: 'ignore',
    });
    const out = await waitFor(() => {
      const r = ph.exec('pweb', `timeout 5 nc ${LINK.outside4} 8090 </dev/null`);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    }, 10_000, 200);
    assert.equal(out, LINK.host4);
  });

  test('outbound over IPv6: masqueraded to the host address', async () => {
    server6 = spawn('ip', ['netns', 'exec', ph.outside.name, 'socat', 'TCP6-LISTEN:8091,reuseaddr,fork', 'SYSTEM:echo $SOCAT_PEERADDR'], {
      stdio: 'ignore',
    });
    const out = await waitFor(() => {
      const r = ph.exec('pweb', `timeout 5 nc ${LINK.outside6} 8091 </dev/null`);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    }, 10_000, 200);
    // socat prints the full form (2001:0db8:...); compare canonical forms
    const canon = (a: string): string => new URL(`http://[${a.replace(/^\[(.*)\]$/, '$1')}]/`).hostname;
    assert.equal(out && canon(out), canon(LINK.host6));
  });
});
