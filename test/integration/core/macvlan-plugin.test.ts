// macvlan/ipvlan and plugin networks through `skiff setup`/`teardown`, in
// throwaway namespaces. An ifb link stands in for the host's physical parent.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needRoot } from '../../helpers/sandbox.js';
import { options, type NetSpec } from '../../helpers/options.js';
import { addrs, Host, ping, type IpLink, type IpRoute } from '../../helpers/host.js';

const macvlan = (name: string, parent: string, over: Partial<NetSpec> = {}): NetSpec => ({
  name,
  bridge: parent,
  driver: 'macvlan',
  subnets: [{ subnet: '10.91.0.0/24', gateway: '10.91.0.1' }],
  ...over,
});

describe('macvlan driver', { skip: needRoot }, () => {
  let host: Host;
  before(() => {
    host = new Host();
    // the "LAN": an ifb parent; macvlans in bridge mode on one parent reach each other
    host.ns.sh('ip', ['link', 'add', 'sklan0', 'type', 'ifb']);
    host.ns.sh('ip', ['link', 'set', 'sklan0', 'up']);
  });
  after(() => host.destroy());

  test('two containers on one parent reach each other; metric 99; static MAC; teardown removes the links', () => {
    const n = macvlan('mv', 'sklan0', { options: { mode: 'bridge' } });
    const c1 = host.container();
    const c2 = host.container();
    const in1 = options('m1', [{ net: n, ips: ['10.91.0.11'], mac: '02:00:00:00:91:11' }]);
    const in2 = options('m2', [{ net: n, ips: ['10.91.0.12'] }]);
    const out1 = host.setup(c1, in1);
    host.setup(c2, in2);
    assert.equal(out1.mv.interfaces.eth0.mac_address, '02:00:00:00:91:11');
    assert.deepEqual(out1.mv.dns_server_ips, []);
    const link = c1.ipJson<IpLink[]>(['-d', 'link', 'show', 'eth0'])[0]!;
    assert.equal(link.linkinfo?.info_kind, 'macvlan');
    assert.deepEqual(addrs(c1, 'eth0'), ['10.91.0.11/24']);
    const def = c1.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default'])[0]!;
    assert.equal(def.gateway, '10.91.0.1');
    assert.equal(def.metric, 99);
    assert.ok(ping(c1, '10.91.0.12'), 'macvlan → macvlan on the same parent');
    host.teardown(c1, in1);
    host.teardown(c2, in2);
    assert.deepEqual(c1.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo']);
    host.teardown(c1, in1); // idempotent
  });

  test('internal macvlan network: no default route', () => {
    const n = macvlan('mvi', 'sklan0', { internal: true, subnets: [{ subnet: '10.92.0.0/24', gateway: '10.92.0.1' }] });
    const c = host.container();
    const input = options('mi', [{ net: n, ips: ['10.92.0.5'] }]);
    host.setup(c, input);
    assert.deepEqual(c.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']), []);
    host.teardown(c, input);
  });

  test('a missing parent is a clear error and leaves nothing', () => {
    const c = host.container();
    const r = host.run('setup', c, options('mx', [{ net: macvlan('mvx', 'sknope0'), ips: ['10.91.0.20'] }]));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /parent interface sknope0 does not exist on the host/);
    assert.deepEqual(c.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo']);
  });

  test('a name already taken in the container is a clear error', () => {
    const n = macvlan('mvd', 'sklan0');
    const c = host.container();
    c.sh('ip', ['link', 'add', 'eth0', 'type', 'ifb']);
    const r = host.run('setup', c, options('md', [{ net: n, ips: ['10.91.0.30'] }]));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /interface eth0 already exists on container namespace/);
  });

  test('ipvlan: works where the kernel has it, a clear error where it does not', (t) => {
    const n: NetSpec = { ...macvlan('iv', 'sklan0', { subnets: [{ subnet: '10.93.0.0/24', gateway: '10.93.0.1' }] }), driver: 'ipvlan' };
    const c = host.container();
    const input = options('iv', [{ net: n, ips: ['10.93.0.5'] }]);
    const r = host.run('setup', c, input);
    if (r.code !== 0) {
      assert.match(r.stdout, /ipvlan/);
      assert.deepEqual(c.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo']);
      t.diagnostic(`kernel refused ipvlan: ${r.stdout.trim()}`);
      return;
    }
    assert.equal(c.ipJson<IpLink[]>(['-d', 'link', 'show', 'eth0'])[0]!.linkinfo?.info_kind, 'ipvlan');
    host.teardown(c, input);
  });
});

const PLUGIN = `#!/bin/sh
# a test plugin: "setup" puts an ifb named after interface_name into the container
input=$(cat)
case "$1" in
setup)
  echo "plugin says hello on stderr" >&2
  nsenter --net="$2" ip link add eth7 type ifb || { printf '{"error":"cannot add eth7"}'; exit 1; }
  printf '{"dns_search_domains":[],"dns_server_ips":[],"interfaces":{"eth7":{"mac_address":"02:00:00:00:00:07","subnets":[{"ipnet":"10.94.0.2/24"}]}}}'
  ;;
teardown) nsenter --net="$2" ip link del eth7 2>/dev/null; exit 0 ;;
info) printf '{"version":"0.0.1","api_version":"1.0.0"}' ;;
esac
`;
const FAILING = `#!/bin/sh
cat >/dev/null
printf '{"error":"no capacity left"}'
exit 3
`;

describe('plugin driver through skiff setup', { skip: needRoot }, () => {
  let host: Host;
  let dir: string;
  before(() => {
    host = new Host();
    dir = mkdtempSync(join(tmpdir(), 'skiff-plugins-'));
    for (const [name, body] of [['testplug', PLUGIN], ['failplug', FAILING]] as const) {
      writeFileSync(join(dir, name), body);
      chmodSync(join(dir, name), 0o755);
    }
  });
  after(() => {
    host.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a plugin network is set up and torn down, its StatusBlock relayed', () => {
    const c = host.container();
    const n: NetSpec = { name: 'pl', bridge: '', driver: 'testplug', subnets: [] };
    const input = options('p', [{ net: n, ips: [] }]);
    const r = host.run('setup', c, input, ['--plugin-directory', '/nonexistent', '--plugin-directory', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      pl: { dns_search_domains: [], dns_server_ips: [], interfaces: { eth7: { mac_address: '02:00:00:00:00:07', subnets: [{ ipnet: '10.94.0.2/24' }] } } },
    });
    assert.match(r.stderr, /plugin says hello/);
    assert.ok(c.ipJson<IpLink[]>(['link', 'show']).some((l) => l.ifname === 'eth7'));
    const t = host.run('teardown', c, input, ['--plugin-directory', dir]);
    assert.equal(t.code, 0, t.stdout);
    assert.ok(!c.ipJson<IpLink[]>(['link', 'show']).some((l) => l.ifname === 'eth7'));
  });

  test('a failing plugin error is relayed; a bridge set up before it is rolled back', () => {
    const c = host.container();
    const br: NetSpec = { name: 'plbr', bridge: 'skbr-pl', subnets: [{ subnet: '10.95.0.0/24', gateway: '10.95.0.1' }] };
    const bad: NetSpec = { name: 'plbad', bridge: '', driver: 'failplug', subnets: [] };
    const r = host.run('setup', c, options('pf', [{ net: br, ips: ['10.95.0.2'] }, { net: bad, ips: [] }]), ['--plugin-directory', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /"error":"plugin \\"failplug\\" failed: exit code 3, message: no capacity left/);
    assert.ok(!host.linkNames().includes('skbr-pl'));
  });

  test('a driver that is neither built in nor a plugin', () => {
    const r = host.run('setup', host.container(), options('u', [{ net: { name: 'un', bridge: '', driver: 'nosuch', subnets: [] }, ips: [] }]), ['--plugin-directory', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /unknown network driver \\"nosuch\\"/);
  });
});
