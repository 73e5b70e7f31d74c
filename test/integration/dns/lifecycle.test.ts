// The DNS server's lifetime as `skiff setup/teardown` drive it: it exits
// within 1 s of the last network going away, also when the last containers
// are torn down concurrently, when the engine tears the same container down
// twice at once (conmon's cleanup racing `podman rm`), and when the server
// was killed beforehand (its pid file must not outlive it). A setup starts
// the server while it still makes the container's links (core/dns.ts DnsStep):
// when a later step fails, the entries go again and a server started for them stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needRoot, SKIFF, SKIFF_DNS, type Netns } from '../../helpers/sandbox.js';
import { Host } from '../../helpers/host.js';
import { options, type NetSpec } from '../../helpers/options.js';

const nets: NetSpec[] = [0, 1, 2].map((i) => ({
  name: `life${i}`,
  bridge: `lbr${i}`,
  dns: true,
  subnets: [{ subnet: `10.84.${i}.0/24`, gateway: `10.84.${i}.1` }],
}));

/** Gone, or a zombie init has not reaped yet (kill -0 cannot tell those apart). */
function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return 'ZX'.includes(stat.charAt(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

async function waitExited(pid: number, ms: number): Promise<number | undefined> {
  const start = Date.now();
  while (!exited(pid)) {
    if (Date.now() - start > ms) return undefined;
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

describe('DNS server lifecycle under setup/teardown', { skip: needRoot }, () => {
  let host: Host;
  let dnsDir: string;
  before(() => {
    host = new Host();
    const wrapper = join(host.config, 'dns-server');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${SKIFF_DNS} "$@"\n`);
    chmodSync(wrapper, 0o755);
    host.flags = ['--firewall-driver', 'none', '--aardvark-binary', wrapper];
    dnsDir = join(host.config, 'aardvark-dns');
  });
  after(() => {
    const pid = serverPid();
    if (pid !== undefined && !exited(pid)) process.kill(pid, 'SIGKILL');
    host?.destroy();
  });

  function serverPid(): number | undefined {
    try {
      return Number(readFileSync(join(dnsDir, 'aardvark.pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** `skiff teardown` as a child process, so several run at once; resolves when it has exited. */
  function teardownAsync(ctr: Netns, input: unknown): Promise<{ code: number | null; stderr: string; endedAt: number }> {
    return new Promise((resolve, reject) => {
      const c = spawn('ip', ['netns', 'exec', host.ns.name, process.execPath, SKIFF, '--config', host.config, ...host.flags, 'teardown', ctr.path], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.on('error', reject);
      c.on('exit', (code) => resolve({ code, stderr, endedAt: Date.now() }));
      c.stdin.end(JSON.stringify(input));
    });
  }

  function startContainers(n: number): { ctr: Netns; input: Record<string, unknown> }[] {
    return Array.from({ length: n }, (_, i) => {
      const ctr = host.container();
      const net = nets[i % nets.length]!;
      const input = options(`lc${i}`, [{ net, ips: [`10.84.${i % nets.length}.${10 + i}`] }]);
      host.setup(ctr, input);
      return { ctr, input };
    });
  }

  function assertNoDnsState(): void {
    const left = existsSync(dnsDir) ? readdirSync(dnsDir) : [];
    assert.deepEqual(left, [], `left in ${dnsDir}: ${left.join(' ')}`);
    assert.equal(existsSync(`${dnsDir}.loaded`), false, 'loaded marker removed');
  }

  test('9 containers on 3 networks torn down at once: the server has exited within 1 s of the last teardown', async () => {
    const ctrs = startContainers(9);
    const pid = serverPid();
    assert.ok(pid !== undefined && !exited(pid), 'one server runs');
    const results = await Promise.all(ctrs.map((c) => teardownAsync(c.ctr, c.input)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const last = Math.max(...results.map((r) => r.endedAt));
    const waited = await waitExited(pid!, 1000 - (Date.now() - last));
    assert.ok(waited !== undefined, `dns server ${pid} still running 1 s after the last teardown`);
    assertNoDnsState();
  });

  test('the same container torn down twice at once (engine cleanup racing rm), with another one: both succeed, server exits', async () => {
    const ctrs = startContainers(2);
    const pid = serverPid()!;
    const results = await Promise.all([
      teardownAsync(ctrs[0]!.ctr, ctrs[0]!.input),
      teardownAsync(ctrs[0]!.ctr, ctrs[0]!.input),
      teardownAsync(ctrs[1]!.ctr, ctrs[1]!.input),
    ]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const last = Math.max(...results.map((r) => r.endedAt));
    assert.ok((await waitExited(pid, 1000 - (Date.now() - last))) !== undefined, `dns server ${pid} still running 1 s after the last teardown`);
    assertNoDnsState();
  });

  test('teardown of the last containers leaves no pid file even when the server was killed before', async () => {
    const ctrs = startContainers(3);
    const pid = serverPid()!;
    process.kill(pid, 'SIGKILL');
    assert.ok((await waitExited(pid, 2000)) !== undefined);
    const results = await Promise.all(ctrs.map((c) => teardownAsync(c.ctr, c.input)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assertNoDnsState();
  });

  test('a network still in use keeps the server serving', async () => {
    const ctrs = startContainers(4); // lc3 is the second container on life0
    const pid = serverPid()!;
    const results = await Promise.all(ctrs.slice(1).map((c) => teardownAsync(c.ctr, c.input)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(exited(pid), false, 'server still runs for life0');
    assert.deepEqual(readdirSync(dnsDir).sort(), ['aardvark.pid', 'life0']);
    // lc3 (same network, torn down) is no longer local: it is forwarded to an upstream
    // this namespace has no route to, which once killed the server (issue 12)
    const gone = ctrs[0]!.ctr.run('dig', ['+time=3', '+tries=1', '@10.84.0.1', 'lc3']);
    assert.match(gone.stdout, /status: (SERVFAIL|NXDOMAIN)/);
    const dig = ctrs[0]!.ctr.run('dig', ['+short', '+time=2', '+tries=2', '@10.84.0.1', 'lc0']);
    assert.equal(dig.stdout.trim(), '10.84.0.10');
    assert.equal(exited(pid), false, 'the same server still runs');
    host.teardown(ctrs[0]!.ctr, ctrs[0]!.input);
    assert.ok((await waitExited(pid, 1000)) !== undefined, 'server exits with the last network');
    assertNoDnsState();
  });

  test('a setup that fails after the DNS step began: its entries go, the server it started stops, others keep serving', async () => {
    // the container already has an eth0: the veth fails after the bridge (and the DNS step) are up
    const taken = host.container();
    assert.equal(taken.run('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']).code, 0);
    const failing = options('lcfail', [{ net: nets[0]!, ips: ['10.84.0.40'] }]);
    const r = host.run('setup', taken, failing);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /create veth pair: interface eth0 already exists on container namespace/);
    assertNoDnsState();
    assert.equal(host.linkNames().includes(nets[0]!.bridge), false, 'the bridge it created is gone');

    // with a server running: it stays, serves on, and the failed container's line is gone again
    const ctrs = startContainers(2); // lc0 on life0, lc1 on life1
    const pid = serverPid()!;
    const r2 = host.run('setup', taken, failing);
    assert.equal(r2.code, 1, r2.stderr);
    assert.equal(exited(pid), false, 'the server still runs');
    assert.deepEqual(readdirSync(dnsDir).sort(), ['aardvark.pid', 'life0', 'life1']);
    assert.doesNotMatch(readFileSync(join(dnsDir, 'life0'), 'utf8'), /lcfail/);
    const dig = ctrs[0]!.ctr.run('dig', ['+short', '+time=2', '+tries=2', '@10.84.0.1', 'lc0']);
    assert.equal(dig.stdout.trim(), '10.84.0.10');
    for (const c of ctrs) host.teardown(c.ctr, c.input);
    assert.ok((await waitExited(pid, 1000)) !== undefined, 'server exits with the last network');
    assertNoDnsState();
  });
});
