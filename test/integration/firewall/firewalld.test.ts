// A firewalld host, in a sandbox: the lab's "host" namespace gets its own
// dbus-daemon (a socket in a temp dir) and its own firewalld (config in a temp
// dir, logging to a file there), as netavark's suite does. Checks that setup
// puts the container subnet into firewalld's trusted zone, and that
// `skiff firewalld-reload` keeps published ports, outbound NAT and the zone
// across `firewall-cmd --reload`. Nothing here reaches the machine's D-Bus or
// firewalld: every skiff and firewall-cmd call is given the sandbox's bus.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SKIFF, createNetns, killChildren, needRoot, skiff, type Netns } from '../../helpers/sandbox.js';
import { Lab } from './lab.js';

const SUBNET = '10.78.0.0/24';
const input = JSON.stringify({
  container_id: 'e'.repeat(64),
  container_name: 'fwd',
  port_mappings: [{ host_ip: '', container_port: 80, host_port: 18081, range: 1, protocol: 'tcp' }],
  networks: { fwdnet: { static_ips: ['10.78.0.2'], interface_name: 'eth0' } },
  network_info: {
    fwdnet: {
      name: 'fwdnet',
      id: '30a2f08118a0eefc6f95d9db256b101481d91a27acda17da90438bb6f07cf601',
      driver: 'bridge',
      network_interface: 'skfwdbr0',
      subnets: [{ subnet: SUBNET, gateway: '10.78.0.1' }],
      ipv6_enabled: false,
      internal: false,
      dns_enabled: false,
      ipam_options: { driver: 'host-local' },
    },
  },
});

// a private bus that lets root own firewalld's name and everyone talk to it
const busConfig = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
`;

const missing = ['/usr/sbin/firewalld', '/usr/bin/firewall-cmd', '/usr/bin/dbus-daemon'].filter((p) => !existsSync(p));
const skip = needRoot || (existsSync(SKIFF) ? false : `skiff bundle ${SKIFF} not built`) || (missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install firewalld)` : false);

describe('firewalld host: trusted zone and firewalld-reload', { skip, concurrency: false }, () => {
  let lab: Lab;
  let ctr: Netns;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  const cli = (args: string[], stdin?: string) => {
    const r = skiff(lab.host, ['--config', lab.configDir, '--rootless=false', '--aardvark-binary=/nonexistent', '--firewall-driver', 'nftables', ...args], { input: stdin, env });
    assert.equal(r.code, 0, `skiff ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const firewallCmd = (...args: string[]): string => {
    const r = lab.host.run('firewall-cmd', args, { env: { ...process.env, ...env } });
    assert.equal(r.code, 0, `firewall-cmd ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const trusted = () => firewallCmd('--zone=trusted', '--list-sources');
  const start = (args: string[]): ChildProcess => {
    const c = spawn('ip', ['netns', 'exec', lab.host.name, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    c.on('exit', (code) => {
      if (code !== null && code !== 0) process.stderr.write(`${args[0]} exited ${code}: ${err}\n`);
    });
    children.push(c);
    return c;
  };
  /** Polls `f` until it is true (firewalld and the watcher work in the background). */
  const eventually = async (what: string, f: () => boolean, ms = 10_000): Promise<void> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (f()) return;
    assert.fail(`timed out waiting for: ${what}`);
  };
  const published = () => lab.talk(lab.out, 'tcp', '192.0.2.1', 18081);
  const outbound = () => lab.talk(ctr, 'tcp', '192.0.2.2', 7070);

  before(async () => {
    lab = new Lab();
    ctr = createNetns('skfc');
    dir = mkdtempSync(join(tmpdir(), 'skiff-firewalld-'));
    const socket = join(dir, 'bus');
    writeFileSync(join(dir, 'bus.conf'), busConfig(socket));
    env = { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
    start(['dbus-daemon', '--nofork', '--nopidfile', `--config-file=${join(dir, 'bus.conf')}`]);
    await eventually('dbus-daemon socket', () => existsSync(socket));
    start(['firewalld', '--nofork', '--nopid', '--system-config', dir, '--log-target', 'file', '--log-file', join(dir, 'firewalld.log')]);
    await eventually('firewalld running', () => lab.host.run('firewall-cmd', ['--state'], { env: { ...process.env, ...env } }).code === 0, 30_000);
    cli(['setup', ctr.path], input);
    await lab.serve(ctr, [80]);
    await lab.serve(lab.out, [7070]);
  });
  after(async () => {
    await killChildren(children);
    lab?.destroy();
    ctr?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('setup puts the subnet into the trusted zone; ports and outbound NAT work', () => {
    assert.equal(trusted(), SUBNET);
    assert.equal(published(), 'hi|192.0.2.2|80');
    assert.equal(outbound(), 'hi|192.0.2.1|7070', 'masqueraded to the host address');
  });

  it('firewall-cmd --reload drops the zone source and with it the container\'s forwarded traffic', () => {
    firewallCmd('--reload');
    assert.equal(trusted(), '');
    assert.equal(outbound(), undefined, 'firewalld rejects forwarding from an unknown zone');
  });

  it('firewalld-reload restores the zone at start and after every reload', async () => {
    start([process.execPath, SKIFF, '--config', lab.configDir, 'firewalld-reload']);
    await eventually('subnet trusted after start', () => trusted() === SUBNET);
    assert.equal(outbound(), 'hi|192.0.2.1|7070');
    for (let i = 0; i < 2; i++) {
      firewallCmd('--reload');
      await eventually(`subnet trusted after reload ${i + 1}`, () => trusted() === SUBNET);
      assert.equal(published(), 'hi|192.0.2.2|80');
      assert.equal(outbound(), 'hi|192.0.2.1|7070');
    }
  });

  it('teardown takes the subnet out of the trusted zone', () => {
    cli(['teardown', ctr.path], input);
    assert.equal(trusted(), '');
    const log = existsSync(join(dir, 'firewalld.log')) ? readFileSync(join(dir, 'firewalld.log'), 'utf8') : '';
    assert.doesNotMatch(log, /Traceback/, 'firewalld logged no exception');
  });
});
