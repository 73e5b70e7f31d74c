// Names Podman does not know: forwarded to the host's resolver (a stub DNS
// server on the outside machine), never for *.dns.podman or internal networks,
// and what happens when the upstream is down. Plus pods: one netns shared by
// several containers, published through the pod.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { e2eBackend, IMAGE, LINK, PodmanHost, podmanSkip, waitFor } from '../helpers/podman.js';
import { ctrV4, expectResolves, FIRST_NS, resolves } from './lib.js';

const skip = podmanSkip();
const STUB = fileURLToPath(new URL('./stub-dns.js', import.meta.url));
const ANSWER = '198.51.100.7';

describe('e2e: DNS forwarding and pods', { skip }, () => {
  let ph: PodmanHost;
  let stub: ChildProcess | undefined;
  let stubLog = '';
  before(async () => {
    ph = await PodmanHost.start('eups');
    stub = spawn('ip', ['netns', 'exec', ph.outside.name, process.execPath, STUB, LINK.outside4, ANSWER], { stdio: ['ignore', 'pipe', 'inherit'] });
    stub.stdout?.setEncoding('utf8').on('data', (d: string) => (stubLog += d));
    const ready = await waitFor(() => stubLog.includes('ready'), 10_000, 50);
    assert.ok(ready, 'stub DNS server did not start');
    ph.ok(['network', 'create', '--subnet', '10.51.0.0/24', 'unet']);
    ph.ok(['network', 'create', '--internal', '--subnet', '10.52.0.0/24', 'uint']);
    ph.runDetached({ name: 'u1', args: ['--network', 'unet'] });
    ph.runDetached({ name: 'u2', args: ['--network', 'uint'] });
  });
  after(async () => {
    if (stub?.pid !== undefined) stub.kill('SIGKILL');
    await ph?.destroy();
  });

  test('a name Podman does not know is forwarded to the host resolver', async () => {
    await expectResolves(ph, 'u1', 'example.test', [ANSWER]);
    // the DNS daemon runs in the host netns: the upstream sees the host's address
    const line = new RegExp(`^${LINK.host4.replaceAll('.', '\\.')} A example\\.test$`, 'm');
    assert.ok(await waitFor(() => line.test(stubLog), 2000, 50), stubLog);
  });

  test('--dns: the container uses its own upstream', async () => {
    // Podman 4.3.1 writes --dns servers into resolv.conf in place of the gateway
    // (Podman 5 keeps the gateway and hands them to the DNS server instead).
    ph.runDetached({ name: 'u3', args: ['--network', 'unet', '--dns', LINK.outside4] });
    await expectResolves(ph, 'u3', 'custom.test', [ANSWER]);
    assert.ok(await waitFor(() => stubLog.includes('custom.test'), 2000, 50), stubLog);
  });

  test('an unknown *.dns.podman name is NXDOMAIN and is not forwarded', () => {
    assert.deepEqual(resolves(ph, 'u1', 'nosuch.dns.podman'), []);
    assert.ok(!stubLog.includes('nosuch'), stubLog);
  });

  test('internal network: external names are not forwarded', {
    skip: e2eBackend() === 'reference' ? 'aardvark-dns 1.4 still forwards for internal networks (later aardvark-dns answers NXDOMAIN)' : false,
  }, () => {
    assert.deepEqual(resolves(ph, 'u2', 'internal-only.test'), []);
    assert.ok(!stubLog.includes('internal-only'), stubLog);
  });

  test('pod: containers share the pod netns; the pod publishes the port; the pod name resolves', async () => {
    ph.ok(['pod', 'create', '--name', 'pod1', '--network', 'unet', '-p', '8086:80']);
    ph.ok(['run', '-d', '--pod', 'pod1', '--name', 'podweb', IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www']);
    ph.ok(['run', '-d', '--pod', 'pod1', '--name', 'podside', IMAGE, 'sleep', '3600']);
    const local = ph.exec('podside', 'timeout 5 wget -qO- http://127.0.0.1/');
    assert.equal(local.stdout.trim(), 'hello from skiff e2e', 'pod members share one network namespace');
    const fromOutside = await waitFor(() => {
      const r = ph.outside.run('timeout', ['5', 'busybox', 'wget', '-qO-', `http://${LINK.host4}:8086/`]);
      return r.code === 0 ? r.stdout.trim() : undefined;
    });
    assert.equal(fromOutside, 'hello from skiff e2e');
    const podIp = ctrV4(ph, 'podweb');
    await expectResolves(ph, 'u1', 'pod1', [podIp]);
    ph.ok(['pod', 'rm', '-f', '-t0', 'pod1']);
    await expectResolves(ph, 'u1', 'pod1', []);
  });

  test('upstream down: external names fail fast or time out, Podman names still resolve', async () => {
    if (stub?.pid !== undefined) stub.kill('SIGKILL');
    await new Promise((r) => stub?.once('exit', r));
    // a generous client timeout: this checks the answer, not its speed (see bench/)
    const r = ph.exec('u1', `timeout 20 nslookup -type=a -timeout=10 -retry=1 down.test ${FIRST_NS}`, 30_000);
    assert.notEqual(r.code, 0, 'must not resolve with the upstream gone');
    if (ph.backend === 'skiff') assert.match(r.stdout + r.stderr, /SERVFAIL/, 'skiff-dns answers SERVFAIL when every upstream fails');
    await expectResolves(ph, 'u1', 'u1', [ctrV4(ph, 'u1')]);
  });
});
