// The firewall through the real `skiff` CLI (setup/teardown/firewall-reload with
// --firewall-driver nftables), run inside a throwaway host namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { SKIFF, createNetns, needRoot, skiff, type Netns } from '../../helpers/sandbox.js';
import { Lab } from './lab.js';

const input = (nsPorts: boolean) =>
  JSON.stringify({
    container_id: 'f'.repeat(64),
    container_name: 'web',
    port_mappings: nsPorts ? [{ host_ip: '', container_port: 80, host_port: 18080, range: 1, protocol: 'tcp' }] : [],
    networks: { mynet: { static_ips: ['10.77.0.2', 'fd51::2'], aliases: ['web'], interface_name: 'eth0' } },
    network_info: {
      mynet: {
        name: 'mynet',
        id: '20a2f08118a0eefc6f95d9db256b101481d91a27acda17da90438bb6f07cf600',
        driver: 'bridge',
        network_interface: 'skclibr0',
        subnets: [
          { subnet: '10.77.0.0/24', gateway: '10.77.0.1' },
          { subnet: 'fd51::/64', gateway: 'fd51::1' },
        ],
        ipv6_enabled: true,
        internal: false,
        dns_enabled: false,
        ipam_options: { driver: 'host-local' },
      },
    },
  });

const noCli = existsSync(SKIFF) ? false : `skiff bundle ${SKIFF} not built`;

describe('firewall through the skiff CLI', { skip: needRoot || noCli, concurrency: false }, () => {
  let lab: Lab;
  let ctr: Netns;
  const cli = (args: string[], stdin?: string) => {
    const r = skiff(lab.host, ['--config', lab.configDir, '--rootless=false', '--aardvark-binary=/nonexistent', '--firewall-driver', 'nftables', ...args], { input: stdin });
    assert.equal(r.code, 0, `skiff ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };

  before(async () => {
    lab = new Lab();
    ctr = createNetns('skcc');
    cli(['setup', ctr.path], input(true));
    await lab.serve(ctr, [80]);
  });
  after(() => {
    lab?.destroy();
    ctr?.destroy();
  });

  it('setup publishes the port with the client address preserved', () => {
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 18080), 'hi|192.0.2.2|80');
    assert.equal(lab.talk(lab.out, 'tcp', '2001:db8::1', 18080), 'hi|2001:db8::2|80');
  });

  it('firewall-reload restores it after nft flush ruleset', () => {
    lab.host.sh('nft', ['flush', 'ruleset']);
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 18080), undefined);
    cli(['firewall-reload']);
    assert.equal(lab.talk(lab.out, 'tcp', '192.0.2.1', 18080), 'hi|192.0.2.2|80');
  });

  it('firewalld-reload without a system bus fails in one line (it listens for firewalld; firewalld.test.ts runs it)', () => {
    const r = skiff(lab.host, ['--config', lab.configDir, 'firewalld-reload'], { env: { DBUS_SYSTEM_BUS_ADDRESS: '' } });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^\{"error":"firewalld-reload: no D-Bus system bus to listen on/);
  });

  it('teardown after the container namespace is gone still removes every rule', async () => {
    lab.stopServers();
    ctr.destroy();
    // the kernel removes the host end of the veth after the namespace, asynchronously: while it is still a
    // port of the bridge, teardown (like netavark's) sees a bridge in use and keeps the network's rules.
    // Through skiffd the teardown comes fast enough to see that (it did, in daemon mode).
    for (const end = Date.now() + 5000; lab.host.ipJson<{ master?: string }[]>(['link', 'show']).some((l) => l.master === 'skclibr0'); ) {
      assert.ok(Date.now() < end, 'the host end of the veth outlived its namespace by 5 s');
      await new Promise((res) => setTimeout(res, 20));
    }
    const r = skiff(lab.host, ['--config', lab.configDir, '--rootless=false', '--aardvark-binary=/nonexistent', '--firewall-driver', 'nftables', 'teardown', ctr.path], { input: input(true) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ruleset = lab.host.sh('nft', ['-j', 'list', 'ruleset']);
    assert.ok(!ruleset.includes('"skiff"'), ruleset);
  });
});
