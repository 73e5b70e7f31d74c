// Options reach the helper: MTU, interface name, IPv4-only, slirp4netns CIDR,
// and the opt-in host-loopback mapping, checked from inside the
// container as the unprivileged user.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { needRoot } from '../../helpers/sandbox.js';
import { GW_IP, World, ensureUser } from './world.js';

interface Out {
  interface: string;
  mtu?: number;
  addresses: string[];
  gateway4?: string;
  dns_servers: string[];
  host_loopback?: string;
}

describe('rootless options', { skip: needRoot }, () => {
  let w: World;
  let netns = '';
  before(async () => {
    w = new World(ensureUser());
    netns = await w.startContainer();
    // a service bound to the host namespace's loopback only
    const lo = spawn('ip', ['netns', 'exec', w.host.name, 'socat', 'TCP-LISTEN:7777,bind=127.0.0.1,fork,reuseaddr', 'SYSTEM:echo host-loopback'], { stdio: 'ignore' });
    w.spawned.push(lo);
  });
  after(async () => {
    await w?.destroy();
  });

  function setup(args: string[]): Out {
    const r = w.skiff(['setup', ...args, netns]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return JSON.parse(r.stdout) as Out;
  }
  /** setup, body, teardown even when the body fails (the next case needs a free netns). */
  async function withSetup(args: string[], body: (o: Out) => Promise<void> | void): Promise<void> {
    const out = setup(args);
    try {
      await body(out);
    } finally {
      teardown();
    }
  }
  function teardown(): void {
    assert.equal(w.skiff(['teardown', netns]).code, 0);
  }
  /** From inside the container: does ip:port answer? (retried while the helper settles) */
  async function reach(ip: string, port: number, tries: number): Promise<boolean> {
    for (let i = 0; i < tries; i++) {
      const r = w.inContainer(['socat', '-T2', '-', `TCP:${ip}:${port},connect-timeout=2`], 'x\n');
      if (r.code === 0 && r.stdout.includes('host-loopback')) return true;
      await new Promise((res) => setTimeout(res, 100));
    }
    return false;
  }

  it('pasta: --mtu, --interface, --no-ipv6', () => {
    return withSetup(['--mtu', '1400', '--interface', 'eth7', '--no-ipv6'], (out) => {
      assert.equal(out.interface, 'eth7');
      assert.equal(out.mtu, 1400);
      assert.deepEqual(out.addresses.filter((a) => a.includes(':')), []);
    });
  });

  it('slirp4netns: --cidr and --mtu', () => {
    return withSetup(['--backend', 'slirp4netns', '--cidr', '10.9.8.0/24', '--mtu', '1400', '--no-ipv6'], (out) => {
      assert.equal(out.interface, 'tap0');
      assert.equal(out.mtu, 1400);
      assert.deepEqual(out.addresses, ['10.9.8.100/24']);
      assert.equal(out.gateway4, '10.9.8.2');
      assert.deepEqual(out.dns_servers, ['10.9.8.3']);
    });
  });

  it('slirp4netns: host loopback is private by default, reachable with --host-loopback', async () => {
    await withSetup(['--backend', 'slirp4netns'], async () => assert.equal(await reach('10.0.2.2', 7777, 3), false));
    await withSetup(['--backend', 'slirp4netns', '--host-loopback'], async (out) => {
      assert.equal(out.host_loopback, '10.0.2.2');
      assert.equal(await reach('10.0.2.2', 7777, 20), true);
    });
  });

  it('pasta: host loopback is private by default, reachable with --host-loopback', async () => {
    await withSetup([], async () => assert.equal(await reach(GW_IP, 7777, 3), false));
    await withSetup(['--host-loopback'], async (out) => {
      assert.equal(out.host_loopback, GW_IP);
      assert.equal(await reach(GW_IP, 7777, 20), true);
    });
  });
});
