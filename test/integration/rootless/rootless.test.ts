// skiff rootless setup/ports/teardown as an unprivileged user, for both
// backends: published tcp and udp ports reached from an outside namespace,
// the client address seen by the container (pasta), live port changes
// (slirp4netns), and nothing left behind after teardown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Address6 } from 'ip-address';
import { needRoot } from '../../helpers/sandbox.js';
import { readProcStat } from '../../../src/rootless/proc.js';
import { CLIENT_IP, CLIENT_IP6, GW_IP, HOST_IP, HOST_IP6, World, ensureUser } from './world.js';

const ports = (list: { host: number; ctr: number; proto: string; ip?: string }[]): string =>
  JSON.stringify({ port_mappings: list.map((p) => ({ host_ip: p.ip ?? '', container_port: p.ctr, host_port: p.host, range: 1, protocol: p.proto })) });

// TCP6-LISTEN also takes IPv4 (mapped addresses), so one server answers both families
const SERVE_TCP = ['TCP6-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo peer=$SOCAT_PEERADDR; cat'];
const SERVE_UDP = ['UDP-RECVFROM:53,fork', 'SYSTEM:echo udp-peer=$SOCAT_PEERADDR; cat'];

/** The client address the container's server printed, normalised (socat writes IPv6 in full, v4 as mapped). */
function peerOf(reply: string, label: string): string {
  const raw = new RegExp(`^${label}=\\[?([^\\]\\s]+)\\]?$`, 'm').exec(reply)?.[1] ?? '';
  if (!Address6.isValid(raw)) return raw;
  const a = new Address6(raw);
  const c = a.correctForm();
  return c.startsWith('::ffff:') ? a.to4().correctForm() : c;
}

function json<T>(r: { code: number; stdout: string; stderr: string }): T {
  assert.equal(r.code, 0, `skiff failed: ${r.stdout} ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function alive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z';
}

interface SetupOut {
  backend: string;
  pid: number;
  interface: string;
  addresses: string[];
  gateway4?: string;
  dns_servers: string[];
  host_loopback?: string;
  port_mappings: unknown[];
}

for (const backend of ['pasta', 'slirp4netns'] as const) {
  describe(`rootless ${backend}`, { skip: needRoot }, () => {
    let w: World;
    let netns = '';
    let inode = 0;
    let out: SetupOut;

    before(async () => {
      w = new World(ensureUser());
      netns = await w.startContainer();
      inode = w.netnsInode;
      w.serve(SERVE_TCP);
      w.serve(SERVE_UDP);
    });
    after(async () => {
      await w?.destroy();
    });

    it('setup publishes tcp and udp and prints what the container uses', () => {
      out = json<SetupOut>(
        w.skiff(['setup', '--backend', backend, netns], ports([{ host: 8080, ctr: 80, proto: 'tcp' }, { host: 5353, ctr: 53, proto: 'udp' }])),
      );
      assert.equal(out.backend, backend);
      assert.ok(alive(out.pid), 'helper runs after setup returned');
      assert.equal(out.port_mappings.length, 2);
      if (backend === 'pasta') {
        assert.ok(out.addresses.includes(`${HOST_IP}/24`), `pasta copies the host address: ${out.addresses.join(',')}`);
        assert.ok(out.addresses.includes(`${HOST_IP6}/64`), `and the IPv6 one: ${out.addresses.join(',')}`);
        assert.equal(out.gateway4, GW_IP);
        assert.deepEqual(out.dns_servers, ['169.254.1.1']);
      } else {
        assert.equal(out.interface, 'tap0');
        assert.ok(out.addresses.includes('10.0.2.100/24'), out.addresses.join(','));
        assert.equal(out.gateway4, '10.0.2.2');
        assert.deepEqual(out.dns_servers, ['10.0.2.3']);
      }
    });

    it('a client outside reaches the published tcp port', async () => {
      const reply = await w.client('tcp', 8080, 'hello tcp');
      assert.match(reply, /hello tcp/);
      // pasta keeps the client's address; slirp4netns is not held to it
      if (backend === 'pasta') assert.equal(peerOf(reply, 'peer'), CLIENT_IP);
    });

    if (backend === 'pasta') {
      it('the tcp port answers over IPv6 too, with the client address kept', async () => {
        const reply = await w.client('tcp', 8080, 'hello v6', 30, 6);
        assert.match(reply, /hello v6/);
        assert.equal(peerOf(reply, 'peer'), CLIENT_IP6);
      });
    }

    it('a client outside reaches the published udp port', async () => {
      const reply = await w.client('udp', 5353, 'hello udp');
      assert.match(reply, /hello udp/);
      if (backend === 'pasta') assert.equal(peerOf(reply, 'udp-peer'), CLIENT_IP);
    });

    it('a second setup is refused while the helper runs', () => {
      const r = w.skiff(['setup', '--backend', backend, netns]);
      assert.equal(r.code, 1);
      assert.match(JSON.parse(r.stdout).error, new RegExp(`already set up by skiff \\(${backend} pid ${out.pid}\\).*rootless teardown`));
    });

    if (backend === 'pasta') {
      it('live port changes are refused with a way forward', () => {
        const r = w.skiff(['ports', 'add', netns], ports([{ host: 9090, ctr: 80, proto: 'tcp' }]));
        assert.equal(r.code, 1);
        assert.match(JSON.parse(r.stdout).error, /pasta cannot change published ports.*set it up again/);
      });
    } else {
      it('ports add publishes a new port live', async () => {
        const r = json<{ port_mappings: { host_port: number }[] }>(w.skiff(['ports', 'add', netns], ports([{ host: 9090, ctr: 80, proto: 'tcp' }])));
        assert.deepEqual(r.port_mappings.map((p) => p.host_port).sort(), [5353, 8080, 9090]);
        assert.match(await w.client('tcp', 9090, 'via 9090'), /via 9090/);
      });
      it('ports add refuses a port already published', () => {
        const r = w.skiff(['ports', 'add', netns], ports([{ host: 8080, ctr: 80, proto: 'tcp' }]));
        assert.equal(r.code, 1);
        assert.match(JSON.parse(r.stdout).error, /tcp 0\.0\.0\.0:8080 is already published/);
      });
      it('ports remove withdraws a port; removing it again is fine', () => {
        const r = json<{ port_mappings: { host_port: number }[] }>(w.skiff(['ports', 'remove', netns], ports([{ host: 8080, ctr: 80, proto: 'tcp' }])));
        assert.deepEqual(r.port_mappings.map((p) => p.host_port).sort(), [5353, 9090]);
        assert.equal(w.answers('tcp', 8080), false);
        json(w.skiff(['ports', 'remove', netns], ports([{ host: 8080, ctr: 80, proto: 'tcp' }])));
      });
    }

    it('teardown stops exactly the helper, leaves no state, and is idempotent', () => {
      const r = json<{ stopped: number | null }>(w.skiff(['teardown', netns]));
      assert.equal(r.stopped, out.pid);
      assert.equal(alive(out.pid), false);
      // the lock file too: it goes with the last state file (lib/lock)
      assert.deepEqual(readdirSync(`${w.stateDir}/rootless`), []);
      assert.equal(w.answers('tcp', 8080), false);
      assert.equal(json<{ stopped: number | null }>(w.skiff(['teardown', netns])).stopped, null);
    });

    it('no process but the container holds its namespace any more', () => {
      const others = w.holdersOf(inode).filter((p) => p !== w.cpid && alive(p) && !isServer(p));
      assert.deepEqual(others, [], 'pasta/slirp4netns would show up here');
    });
  });
}

/** Our own socat servers live in the container namespace on purpose. */
function isServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'socat';
  } catch {
    return false;
  }
}

describe('rootless errors as an unprivileged user', { skip: needRoot }, () => {
  let w: World;
  let netns = '';
  before(async () => {
    w = new World(ensureUser());
    netns = await w.startContainer();
  });
  after(async () => {
    await w?.destroy();
  });

  it('a missing helper says what to install', () => {
    const r = w.skiff(['setup', netns], '', { PATH: '/nonexistent' });
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).error, /pasta not found in PATH.*passt/);
  });

  it('sctp is a clear error and nothing starts', () => {
    const r = w.skiff(['setup', '--backend', 'slirp4netns', netns], ports([{ host: 9000, ctr: 9000, proto: 'sctp' }]));
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).error, /sctp cannot be published rootless/);
    assert.equal(existsSync(`${w.stateDir}/rootless`) ? readdirSync(`${w.stateDir}/rootless`).length : 0, 0);
  });

  it('a port the user may not bind fails setup and leaves nothing running', () => {
    const r = w.skiff(['setup', '--backend', 'slirp4netns', netns], ports([{ host: 80, ctr: 80, proto: 'tcp' }]));
    assert.equal(r.code, 1, r.stdout);
    assert.match(JSON.parse(r.stdout).error, /cannot publish tcp 0\.0\.0\.0:80 .*ip_unprivileged_port_start \(1024\)/);
    assert.deepEqual(readdirSync(`${w.stateDir}/rootless`), []);
  });

  it('pasta: a port the user may not bind fails setup and leaves nothing running', () => {
    const r = w.skiff(['setup', netns], ports([{ host: 80, ctr: 80, proto: 'tcp' }]));
    assert.equal(r.code, 1, r.stdout);
    assert.match(JSON.parse(r.stdout).error, /pasta exited with code 1 .*Failed to bind any port for '-t 80:80'.*ip_unprivileged_port_start/s);
    assert.deepEqual(readdirSync(`${w.stateDir}/rootless`), []);
  });

  it('concurrent setups and teardowns of one netns: one helper at a time, nothing left, no lock file', async () => {
    const inode = w.netnsInode;
    const calls: Promise<{ verb: string; r: { code: number; stdout: string; stderr: string } }>[] = [];
    for (let round = 0; round < 3; round++) {
      for (const verb of ['setup', 'teardown', 'setup', 'teardown']) calls.push(w.skiffAsync([verb, netns]).then((r) => ({ verb, r })));
    }
    for (const { verb, r } of await Promise.all(calls)) {
      // a setup may find the netns set up by another one; anything else is a failure
      if (r.code !== 0) assert.match(`${verb} ${r.stdout}`, /^setup .*is already set up by skiff/s, `${verb}: ${r.stdout} ${r.stderr}`);
    }
    assert.equal(w.skiff(['teardown', netns]).code, 0);
    // two setups at once (a broken lock) would start two helpers and record one: the other would stay
    const helpers = w.holdersOf(inode).filter((p) => p !== w.cpid && alive(p) && !isServer(p));
    assert.deepEqual(helpers, []);
    assert.deepEqual(readdirSync(`${w.stateDir}/rootless`), []);
  });

  it('a netns that does not exist is named', () => {
    const r = w.skiff(['setup', '/proc/999999999/ns/net']);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).error, /NETNS \/proc\/999999999\/ns\/net: no such network namespace/);
  });
});
