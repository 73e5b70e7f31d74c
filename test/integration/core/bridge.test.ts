// `skiff setup`/`teardown` for bridge networks, for real: a "host" namespace
// stands in for the machine, container namespaces hang off it, and every
// result is read back with `ip -j` and /proc/sys.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, needRoot, REPO, skiff, uniq, type Netns } from '../../helpers/sandbox.js';
import { options, type NetSpec } from '../../helpers/options.js';
import { addrs, Host, ping, type IpLink, type IpRoute } from '../../helpers/host.js';

const net = (name: string, bridge: string, over: Partial<NetSpec> = {}): NetSpec => ({
  name,
  bridge,
  subnets: [{ subnet: '10.77.0.0/24', gateway: '10.77.0.1' }],
  ...over,
});

describe('bridge driver', { skip: needRoot }, () => {
  let host: Host;
  before(() => {
    host = new Host();
  });
  after(() => host.destroy());

  test('Podman 4.3.1 samples: two containers, dual stack; they reach the gateway and each other; teardown leaves nothing', () => {
    const s1 = JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup/podman-4.3.1-web-dualstack-port.json'), 'utf8'));
    const s2 = JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup/podman-4.3.1-second-container.json'), 'utf8'));
    const c1 = host.container();
    const c2 = host.container();
    const out1 = host.setup(c1, s1);
    host.setup(c2, s2);
    const exp1 = JSON.parse(readFileSync(join(REPO, 'test/fixtures/setup/podman-4.3.1-web-dualstack-port.expected.json'), 'utf8'));
    // same shape as netavark's answer; only the random MAC differs
    exp1.mynet.interfaces.eth0.mac_address = out1.mynet.interfaces.eth0.mac_address;
    exp1.mynet.dns_server_ips = [];
    exp1.mynet.dns_search_domains = [];
    assert.deepEqual(out1, exp1);
    assert.match(out1.mynet.interfaces.eth0.mac_address, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

    const br = host.links().find((l) => l.ifname === 'podman1');
    assert.equal(br?.linkinfo?.info_kind, 'bridge');
    assert.deepEqual(addrs(host.ns, 'podman1').sort(), ['10.77.0.1/24', 'fd51:68a3:195b:ecd1::1/64']);
    const ports = host.links().filter((l) => l.master === 'podman1');
    assert.equal(ports.length, 2);
    assert.ok(ports.every((p) => p.linkinfo?.info_kind === 'veth' && p.operstate !== 'DOWN'));
    // as netavark's: the kernel names the host ends veth0, veth1 (the host has no other veths)
    assert.deepEqual(ports.map((p) => p.ifname).sort(), ['veth0', 'veth1']);
    assert.ok(ports.every((p) => p.address !== br?.address), 'the bridge keeps its own MAC, not a port\'s');

    const eth0 = c1.ipJson<IpLink[]>(['link', 'show', 'eth0'])[0]!;
    assert.equal(eth0.address, out1.mynet.interfaces.eth0.mac_address);
    assert.deepEqual(addrs(c1, 'eth0').sort(), ['10.77.0.2/24', 'fd51:68a3:195b:ecd1::2/64']);
    const r4 = c1.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default'])[0]!;
    assert.equal(r4.gateway, '10.77.0.1');
    assert.equal(r4.metric, 100);
    const r6 = c1.ipJson<IpRoute[]>(['-6', 'route', 'show', 'default'])[0]!;
    assert.equal(r6.gateway, 'fd51:68a3:195b:ecd1::1');
    assert.equal(r6.metric, 100);
    assert.ok(c1.ipJson<IpLink[]>(['link', 'show', 'lo'])[0]!.flags.includes('UP'));

    assert.equal(host.ns.sysctl('net/ipv4/ip_forward'), '1');
    assert.equal(host.ns.sysctl('net/ipv6/conf/all/forwarding'), '1');
    assert.equal(host.ns.sysctl('net/ipv4/conf/podman1/route_localnet'), '1');
    assert.equal(host.ns.sysctl('net/ipv4/conf/podman1/rp_filter'), '2');
    assert.equal(host.ns.sysctl('net/ipv6/conf/podman1/accept_dad'), '0');
    assert.equal(c1.sysctl('net/ipv4/conf/eth0/arp_notify'), '1');
    assert.equal(c1.sysctl('net/ipv4/conf/eth0/rp_filter'), '2');
    assert.equal(c1.sysctl('net/ipv6/conf/eth0/autoconf'), '0');

    assert.ok(ping(c1, '10.77.0.1'), 'container → gateway v4');
    assert.ok(ping(c1, '10.77.0.3'), 'container → container v4');
    assert.ok(ping(c2, 'fd51:68a3:195b:ecd1::2'), 'container → container v6');
    assert.ok(ping(c1, 'fd51:68a3:195b:ecd1::1'), 'container → gateway v6');

    // the bridge MAC is pinned: it does not change when a port leaves
    const macBefore = host.links().find((l) => l.ifname === 'podman1')!.address;
    host.teardown(c2, s2);
    assert.equal(host.links().find((l) => l.ifname === 'podman1')?.address, macBefore);
    assert.deepEqual(c2.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo']);
    host.teardown(c1, s1);
    assert.deepEqual(host.linkNames(), ['lo'], 'bridge removed with its last port');
    host.teardown(c1, s1); // idempotent
  });

  test('options: mtu, static mac, host veth name, metric, static routes of every type', () => {
    const n = net('opts', 'skbr-opts', {
      subnets: [{ subnet: '10.78.0.0/24', gateway: '10.78.0.1' }],
      options: { mtu: '1400', metric: '250' },
      routes: [
        { destination: '10.10.0.0/16', gateway: '10.78.0.254', metric: 50 },
        { destination: '10.20.0.0/16', route_type: 'blackhole' },
        { destination: '10.30.0.0/16', route_type: 'unreachable' },
        { destination: '10.40.0.0/16', route_type: 'prohibit' },
      ],
    });
    const c = host.container();
    const input = options('opts', [{ net: n, ips: ['10.78.0.5'], mac: '02:aa:bb:cc:dd:01', options: { host_interface_name: 'vethopts0' } }]);
    const out = host.setup(c, input);
    assert.equal(out.opts.interfaces.eth0.mac_address, '02:aa:bb:cc:dd:01');
    const links = host.links();
    assert.equal(links.find((l) => l.ifname === 'skbr-opts')?.mtu, 1400);
    const veth = links.find((l) => l.ifname === 'vethopts0');
    assert.equal(veth?.master, 'skbr-opts');
    assert.equal(veth?.mtu, 1400);
    assert.equal((veth?.linkinfo as { info_slave_data?: { hairpin?: boolean } } | undefined)?.info_slave_data?.hairpin, true, 'hairpin on the host veth');
    assert.equal(c.ipJson<IpLink[]>(['link', 'show', 'eth0'])[0]!.mtu, 1400);
    const routes = c.ipJson<IpRoute[]>(['-4', 'route', 'show']);
    const byDst = (d: string) => routes.find((r) => r.dst === d);
    assert.equal(byDst('default')?.metric, 250);
    assert.equal(byDst('10.10.0.0/16')?.gateway, '10.78.0.254');
    assert.equal(byDst('10.10.0.0/16')?.metric, 50);
    assert.equal(byDst('10.20.0.0/16')?.type, 'blackhole');
    assert.equal(byDst('10.30.0.0/16')?.type, 'unreachable');
    assert.equal(byDst('10.40.0.0/16')?.type, 'prohibit');
    host.teardown(c, input);
    assert.ok(!host.linkNames().includes('skbr-opts'));
    assert.ok(!host.linkNames().includes('vethopts0'));
  });

  test('internal network: no default route, forwarding off on the bridge', () => {
    const n = net('intern', 'skbr-int', { subnets: [{ subnet: '10.79.0.0/24', gateway: '10.79.0.1' }], internal: true });
    const c = host.container();
    const input = options('i', [{ net: n, ips: ['10.79.0.2'] }]);
    host.setup(c, input);
    assert.deepEqual(c.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']), []);
    assert.equal(host.ns.sysctl('net/ipv4/conf/skbr-int/forwarding'), '0');
    assert.ok(ping(c, '10.79.0.1'));
    host.teardown(c, input);
  });

  test('no_default_route and several IPs per subnet', () => {
    const n = net('ndr', 'skbr-ndr', { subnets: [{ subnet: '10.80.0.0/24', gateway: '10.80.0.1' }], options: { no_default_route: 'true' } });
    const c = host.container();
    const input = options('n', [{ net: n, ips: ['10.80.0.2', '10.80.0.3'] }]);
    const out = host.setup(c, input);
    assert.deepEqual(out.ndr.interfaces.eth0.subnets.map((s: { ipnet: string }) => s.ipnet), ['10.80.0.2/24', '10.80.0.3/24']);
    assert.deepEqual(addrs(c, 'eth0').sort(), ['10.80.0.2/24', '10.80.0.3/24']);
    assert.deepEqual(c.ipJson<IpRoute[]>(['-4', 'route', 'show', 'default']), []);
    host.teardown(c, input);
  });

  test('two networks in one call: both interfaces, in input order', () => {
    const a = net('multi-a', 'skbr-ma', { subnets: [{ subnet: '10.81.0.0/24', gateway: '10.81.0.1' }] });
    const b = net('multi-b', 'skbr-mb', { subnets: [{ subnet: '10.82.0.0/24', gateway: '10.82.0.1' }] });
    const c = host.container();
    const input = options('m', [{ net: a, ips: ['10.81.0.2'] }, { net: b, ips: ['10.82.0.2'] }]);
    const out = host.setup(c, input);
    assert.deepEqual(Object.keys(out), ['multi-a', 'multi-b']);
    assert.deepEqual(addrs(c, 'eth0'), ['10.81.0.2/24']);
    assert.deepEqual(addrs(c, 'eth1'), ['10.82.0.2/24']);
    assert.ok(ping(c, '10.82.0.1'));
    host.teardown(c, input);
    assert.ok(!host.linkNames().some((l) => l.startsWith('skbr-m')));
  });

  test('a failing second network rolls back the first, and says which network failed', () => {
    host.ns.sh('ip', ['link', 'add', 'skbr-busy', 'type', 'ifb']);
    try {
      const a = net('rb-a', 'skbr-rba', { subnets: [{ subnet: '10.83.0.0/24', gateway: '10.83.0.1' }] });
      const b = net('rb-b', 'skbr-busy', { subnets: [{ subnet: '10.84.0.0/24', gateway: '10.84.0.1' }] });
      const c = host.container();
      const before = host.linkNames();
      const r = host.run('setup', c, options('rb', [{ net: a, ips: ['10.83.0.2'] }, { net: b, ips: ['10.84.0.2'] }]));
      assert.equal(r.code, 1);
      const err = JSON.parse(r.stdout) as { error: string };
      assert.match(err.error, /^bridge interface skbr-busy already exists but is a ifb interface$/);
      assert.deepEqual(host.linkNames(), before, 'nothing left on the host');
      assert.deepEqual(c.ipJson<IpLink[]>(['link', 'show']).map((l) => l.ifname), ['lo'], 'nothing left in the container');
    } finally {
      host.ns.sh('ip', ['link', 'del', 'skbr-busy']);
    }
  });

  test('interface name already used in the container is a clear error', () => {
    const n = net('dup', 'skbr-dup', { subnets: [{ subnet: '10.85.0.0/24', gateway: '10.85.0.1' }] });
    const c = host.container();
    const input = options('d', [{ net: n, ips: ['10.85.0.2'] }]);
    host.setup(c, input);
    const again = host.run('setup', c, options('d2', [{ net: n, ips: ['10.85.0.3'] }]));
    assert.equal(again.code, 1);
    assert.match(again.stdout, /interface eth0 already exists on container namespace/);
    host.teardown(c, input);
  });

  test('unmanaged mode uses an existing bridge and never deletes it', () => {
    host.ns.sh('ip', ['link', 'add', 'skbr-un', 'type', 'bridge']);
    host.ns.sh('ip', ['addr', 'add', '10.86.0.1/24', 'dev', 'skbr-un']);
    host.ns.sh('ip', ['link', 'set', 'skbr-un', 'up']);
    try {
      const n = net('unm', 'skbr-un', { subnets: [{ subnet: '10.86.0.0/24', gateway: '10.86.0.1' }], options: { mode: 'unmanaged' } });
      const c = host.container();
      const input = options('u', [{ net: n, ips: ['10.86.0.2'] }]);
      host.setup(c, input);
      assert.ok(ping(c, '10.86.0.1'));
      host.teardown(c, input);
      assert.ok(host.linkNames().includes('skbr-un'));
      const missing = host.run('setup', host.container(), options('u2', [{ net: net('unm2', 'skbr-none', { options: { mode: 'unmanaged' } }), ips: ['10.77.0.9'] }]));
      assert.match((JSON.parse(missing.stdout) as { error: string }).error, /^in unmanaged mode, the bridge must already exist on the host: Netlink error: No such device \(os error 19\)$/);
    } finally {
      host.ns.sh('ip', ['link', 'del', 'skbr-un']);
    }
  });

  test('vlan and vrf: applied where the kernel has them, a clear error where it does not', (t) => {
    const n = net('vlan', 'skbr-vlan', { subnets: [{ subnet: '10.87.0.0/24', gateway: '10.87.0.1' }], options: { vlan: '42' } });
    const c = host.container();
    const input = options('v', [{ net: n, ips: ['10.87.0.2'] }]);
    const r = host.run('setup', c, input);
    if (r.code !== 0) {
      assert.match(r.stdout, /VLAN filtering/);
      assert.ok(!host.linkNames().includes('skbr-vlan'));
      t.diagnostic('kernel lacks bridge VLAN filtering: checked the error only');
    } else {
      host.teardown(c, input);
    }
    const probe = host.ns.run('ip', ['link', 'add', 'skvrf-probe', 'type', 'vrf', 'table', '10']);
    if (probe.code !== 0) {
      t.diagnostic('kernel has no VRF: checked the missing-device error only');
      const v = host.run('setup', host.container(), options('w', [{ net: net('vrf', 'skbr-vrf', { subnets: [{ subnet: '10.88.0.0/24', gateway: '10.88.0.1' }], options: { vrf: 'skvrf-none' } }), ips: ['10.88.0.2'] }]));
      assert.match((JSON.parse(v.stdout) as { error: string }).error, /^get vrf to set up bridge interface: Netlink error: No such device \(os error 19\)$/);
      return;
    }
    host.ns.sh('ip', ['link', 'del', 'skvrf-probe']);
  });

  test('teardown when the container namespace is already gone cleans up the host side', async () => {
    const n = net('gone', 'skbr-gone', { subnets: [{ subnet: '10.89.0.0/24', gateway: '10.89.0.1' }] });
    const c = createNetns('skc');
    const input = options('g', [{ net: n, ips: ['10.89.0.2'] }]);
    host.setup(c, input);
    c.destroy();
    // (seen once in daemon mode: the teardown came before the kernel had removed the veth's host end)
    await host.waitForNoPorts('skbr-gone');
    host.teardown(c.path, input);
    assert.ok(!host.linkNames().includes('skbr-gone'));
  });

  test('30 setups started at once on one bridge all succeed with distinct interfaces', async () => {
    const n = net('conc', 'skbr-conc', { subnets: [{ subnet: '10.90.0.0/24', gateway: '10.90.0.1' }] });
    const ctrs = Array.from({ length: 30 }, () => host.container());
    const inputs = ctrs.map((_, i) => options(`c${i}`, [{ net: n, ips: [`10.90.0.${i + 10}`] }]));
    const { spawn } = await import('node:child_process');
    const runAsync = (args: string[], input: unknown) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn('ip', ['netns', 'exec', host.ns.name, process.execPath, join(REPO, process.env.SKIFF_DIST_DIR ?? 'dist', 'skiff.cjs'), ...args]);
        let out = '';
        p.stdout.on('data', (b: Buffer) => (out += b.toString()));
        p.on('close', (code) => resolve({ code, out }));
        p.stdin.end(JSON.stringify(input));
      });
    const base = ['--config', host.config, '--firewall-driver', 'none', '--aardvark-binary', '/nonexistent/dns'];
    const results = await Promise.all(ctrs.map((c, i) => runAsync([...base, 'setup', c.path], inputs[i])));
    for (const r of results) assert.equal(r.code, 0, r.out);
    const ports = host.links().filter((l) => l.master === 'skbr-conc');
    assert.equal(new Set(ports.map((p) => p.ifname)).size, 30);
    assert.ok(ping(ctrs[0]!, '10.90.0.39'));
    const down = await Promise.all(ctrs.map((c, i) => runAsync([...base, 'teardown', c.path], inputs[i])));
    for (const r of down) assert.equal(r.code, 0, r.out);
    assert.ok(!host.linkNames().includes('skbr-conc'));
  });
});

describe('bad input changes nothing', { skip: needRoot }, () => {
  let host: Host;
  let c: Netns;
  before(() => {
    host = new Host();
    c = host.container();
  });
  after(() => host.destroy());

  const good = () => options('bad', [{ net: net('bad', 'skbr-bad'), ips: ['10.77.0.2'] }]) as any;
  const cases: [string, () => unknown, RegExp][] = [
    ['malformed JSON', () => '{"container_id"', /JSON Decoding error/],
    ['missing field', () => { const o = good(); delete o.container_name; return o; }, /container_name: missing field/],
    ['bad CIDR', () => { const o = good(); o.network_info.bad.subnets[0].subnet = '10.77.0.0/40'; return o; }, /subnets\[0\]\.subnet/],
    ['IP outside its subnet', () => { const o = good(); o.networks.bad.static_ips = ['10.1.0.2']; return o; }, /not in any subnet of network bad/],
    ['gateway outside subnet', () => { const o = good(); o.network_info.bad.subnets[0].gateway = '10.1.0.1'; return o; }, /gateway 10\.1\.0\.1 is not in subnet/],
    ['unknown driver', () => { const o = good(); o.network_info.bad.driver = 'nope'; return o; }, /unknown network driver "nope"/],
    ['empty interface name', () => { const o = good(); o.networks.bad.interface_name = ''; return o; }, /interface_name: must not be empty/],
  ];
  for (const [name, make, re] of cases) {
    test(name, () => {
      const input = make();
      const r = skiff(host.ns, ['--config', host.config, '--firewall-driver', 'none', 'setup', c.path], {
        input: typeof input === 'string' ? input : JSON.stringify(input),
      });
      assert.equal(r.code, 1);
      assert.match((JSON.parse(r.stdout) as { error: string }).error, re);
      assert.deepEqual(host.linkNames(), ['lo']);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('netns path that does not exist', () => {
    const r = host.run('setup', '/run/netns/does-not-exist-' + uniq(''), good());
    assert.equal(r.code, 1);
    assert.match(r.stdout, /invalid namespace path/);
    assert.deepEqual(host.linkNames(), ['lo']);
  });

  test('--config missing', () => {
    const r = skiff(host.ns, ['--firewall-driver', 'none', 'setup', c.path], { input: JSON.stringify(good()) });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /--config not specified but required/);
  });

  test('unknown firewall driver', () => {
    const r = skiff(host.ns, ['--config', host.config, '--firewall-driver', 'pf', 'setup', c.path], { input: JSON.stringify(good()) });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Must provide a valid firewall backend, got pf/);
  });
});
