// Interoperability with the stock tools, both ways: Debian's netavark 1.4
// starting and SIGHUP-ing skiff-dns (through the aardvark-dns compat entry),
// and Skiff's wiring driving Debian's aardvark-dns 1.4 (no reload
// confirmation: it must degrade to netavark's behaviour).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, needRoot, type Netns } from '../../helpers/sandbox.js';
import { DnsLab } from './lab.js';

const NETAVARK = '/usr/lib/podman/netavark';
const AARDVARK = '/usr/lib/podman/aardvark-dns';
const missing = !existsSync(NETAVARK) || !existsSync(AARDVARK) ? 'needs Debian netavark/aardvark-dns 1.4 in /usr/lib/podman' : false;

function options(id: string, name: string, ip4: string, ip6: string): string {
  return JSON.stringify({
    container_id: id,
    container_name: name,
    port_mappings: [],
    networks: { mynet: { static_ips: [ip4, ip6], aliases: [`${name}-alias`], interface_name: 'eth0' } },
    network_info: {
      mynet: {
        name: 'mynet',
        id: '20a2f08118a0eefc6f95d9db256b101481d91a27acda17da90438bb6f07cf600',
        driver: 'bridge',
        network_interface: 'skdns0',
        created: '2026-11-29T07:08:07.97142768Z',
        subnets: [
          { subnet: '10.77.0.0/24', gateway: '10.77.0.1' },
          { subnet: 'fd51:68a3:195b:ecd1::/64', gateway: 'fd51:68a3:195b:ecd1::1' },
        ],
        ipv6_enabled: true,
        internal: false,
        dns_enabled: true,
        ipam_options: { driver: 'host-local' },
      },
    },
  });
}

describe('stock netavark 1.4 + skiff-dns', { skip: needRoot || missing }, () => {
  let lab: DnsLab;
  const ctrs: Netns[] = [];
  const ids = ['a'.repeat(64), 'b'.repeat(64)];

  const netavark = (verb: 'setup' | 'teardown', i: number) =>
    lab.host.run(NETAVARK, ['--config', lab.base, '--rootless=false', '--aardvark-binary', lab.binary, verb, ctrs[i]!.path], {
      // 1.4 has no "none" firewall driver; its iptables rules land in the lab's namespace only
      env: { ...process.env, NETAVARK_FW: 'iptables' },
      input: options(ids[i]!, `ctr${i}`, `10.77.0.${10 + i}`, `fd51:68a3:195b:ecd1::${10 + i}`),
    });

  before(() => {
    lab = new DnsLab('sknv');
    ctrs.push(createNetns('sknvc'), createNetns('sknvc'));
  });

  after(() => {
    for (const c of ctrs) c.destroy();
    lab?.destroy();
  });

  test('setup starts skiff-dns, which then answers containers by name', () => {
    const r = netavark('setup', 0);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(lab.alive(), 'skiff-dns runs, pid file written');
    assert.match(readFileSync(join(lab.dir, 'mynet'), 'utf8'), /^10\.77\.0\.1,fd51:68a3:195b:ecd1::1\n/);
    const out = ctrs[0]!.sh('dig', ['+short', '+time=3', '+tries=1', '@10.77.0.1', 'ctr0']).trim();
    assert.equal(out, '10.77.0.10');
  });

  test('a second setup SIGHUPs it; both containers resolve each other, v4 and v6', async () => {
    const pid = lab.pid();
    const r = netavark('setup', 1);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(lab.pid(), pid, 'same server, reloaded');
    // stock netavark does not wait for the reload: poll briefly
    let out = '';
    for (let i = 0; i < 50 && out !== '10.77.0.10'; i++) {
      out = ctrs[1]!.sh('dig', ['+short', '+time=2', '+tries=1', '@10.77.0.1', 'ctr0-alias.dns.podman']).trim();
      if (out !== '10.77.0.10') await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(out, '10.77.0.10');
    assert.equal(ctrs[0]!.sh('dig', ['+short', '+time=3', '+tries=1', '@fd51:68a3:195b:ecd1::1', 'ctr1', 'AAAA']).trim(), 'fd51:68a3:195b:ecd1::11');
  });

  test('teardown of both: skiff-dns exits by itself', async () => {
    const pid = lab.pid()!;
    for (const i of [0, 1]) {
      const r = netavark('teardown', i);
      assert.equal(r.code, 0, r.stderr + r.stdout);
    }
    for (let i = 0; i < 100 && lab.alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(lab.alive(pid), false);
  });
});

describe('skiff wiring + stock aardvark-dns 1.4', { skip: needRoot || missing }, () => {
  let lab: DnsLab;
  before(() => {
    lab = new DnsLab('skav');
    lab.addBridge(['10.78.0.1/24', '10.78.0.2/24', '10.78.0.3/24']);
  });
  after(() => lab?.destroy());

  const entry = (id: string, ip: string) => ({
    network: 'n1', internal: false, bindIps: ['10.78.0.1'], networkDnsServers: [], containerId: id, ipv4: [ip], ipv6: [], names: [id], containerDnsServers: [],
  });

  test('commit starts it and reloads it without waiting for a confirmation it cannot give', async () => {
    const ctx = { ...lab.ctx(), binary: AARDVARK };
    assert.deepEqual(lab.wiring({ op: 'commit', ctx, entries: [entry('one', '10.78.0.2')] }), { ok: true });
    assert.deepEqual(lab.short('10.78.0.1', '10.78.0.3', 'one'), ['10.78.0.2']);
    // no <dir>.loaded from this server: the wiring takes the no-confirmation path
    assert.equal(existsSync(`${lab.dir}.loaded`), false);
    assert.deepEqual(lab.wiring({ op: 'commit', ctx, entries: [entry('two', '10.78.0.3')] }), { ok: true });
    let out: string[] = [];
    for (let i = 0; i < 50 && out[0] !== '10.78.0.3'; i++) {
      out = lab.short('10.78.0.1', '10.78.0.2', 'two');
      if (out[0] !== '10.78.0.3') await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(out, ['10.78.0.3']);
  });
});
