#!/usr/bin/env node
// skiffd + bin/skiff-client against Debian's netavark 1.4 and against Skiff's
// in-process CLI, in one run and one sandbox, printing ratios to netavark.
// Usage (root): scripts/in-sandbox.sh node bench/skiffd.mjs [--quick]
// Everything runs in namespaces this script creates and deletes.
import { spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, process.env.SKIFF_DIST_DIR ?? 'dist');
const netavark = process.env.NETAVARK ?? '/usr/lib/podman/netavark';
const quick = process.argv.includes('--quick');
const tag = randomBytes(3).toString('hex');
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

if (process.getuid() !== 0) {
  console.error('needs root: it creates network namespaces');
  process.exit(1);
}
if (!process.env.SKIFF_IN_SANDBOX && !process.argv.includes('--inner')) {
  console.error('run it through scripts/in-sandbox.sh so /run is private');
  process.exit(1);
}

const IMPLS = {
  'netavark 1.4': { cmd: netavark, pre: [], env: {} },
  'skiff in-process (node dist/skiff.cjs)': { cmd: process.execPath, pre: [join(dist, 'skiff.cjs')], env: {} },
  'skiff-client, SKIFF_DAEMON=0 (fallback)': { cmd: join(dist, 'skiff-client'), pre: [], env: { SKIFF_DAEMON: '0' } },
  'skiff-client + skiffd': { cmd: join(dist, 'skiff-client'), pre: [], env: { SKIFF_DAEMON: '1', SKIFF_DAEMON_IDLE_MS: '600000' } },
};

function netInfo(name, bridge, third) {
  return {
    name, id: randomBytes(32).toString('hex'), driver: 'bridge', network_interface: bridge,
    subnets: [{ subnet: `10.${third}.0.0/16`, gateway: `10.${third}.0.1` }],
    ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
  };
}

function input(nets, i, ports = 0) {
  const networks = {};
  const network_info = {};
  nets.forEach((n, k) => {
    networks[n.name] = { static_ips: [`10.${n.subnets[0].subnet.split('.')[1]}.${1 + (i >> 8)}.${(i & 255) + 0}`.replace(/\.0$/, '.250')], interface_name: `eth${k}`, aliases: [] };
    network_info[n.name] = n;
  });
  const port_mappings = Array.from({ length: ports }, (_, p) => ({ host_ip: '', container_port: 80 + p, host_port: 20000 + (i % 100) * 20 + p, range: 1, protocol: 'tcp' }));
  return JSON.stringify({ container_id: randomBytes(32).toString('hex'), container_name: `b${i}`, networks, network_info, ...(ports ? { port_mappings } : {}) });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function runInner() {
  const results = {};
  let nsCount = 0;
  for (const [name, impl] of Object.entries(IMPLS)) {
    if (!existsSync(impl.cmd)) continue;
    const config = `/run/skbench-d/${nsCount}`;
    mkdirSync(config, { recursive: true });
    const env = { ...process.env, ...impl.env, SKIFF_DAEMON_DIR: `/run/skbench-d/sock` };
    const call = (verb, ns, stdin) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(impl.cmd, [...impl.pre, '--config', config, '--rootless', 'false', '--aardvark-binary', '/nonexistent', verb, `/run/netns/${ns}`], { input: stdin, encoding: 'utf8', env });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) throw new Error(`${name} ${verb} failed: ${r.stdout} ${r.stderr}`);
      return ms;
    };
    const ctr = () => {
      const ns = `skbd-${tag}-${nsCount++}`;
      sh('ip', 'netns', 'add', ns);
      return ns;
    };
    const r = {};
    const bridge = (k) => `skbd${k}${nsCount % 1000}`;
    // warm up (page cache, code cache, the daemon)
    const warmNet = netInfo('warm', bridge('w'), 200);
    for (let i = 0; i < 2; i++) {
      const ns = ctr();
      const s = input([warmNet], 2);
      call('setup', ns, s);
      call('teardown', ns, s);
      spawnSync('ip', ['netns', 'delete', ns]);
    }
    // steady state: containers #41–60 on one bridge
    const steady = netInfo('steady', bridge('s'), 201);
    const pop = [];
    const pre = quick ? 10 : 40;
    const timed = quick ? 8 : 20;
    const su = [];
    const td = [];
    for (let i = 0; i < pre + timed; i++) {
      const ns = ctr();
      const s = input([steady], i + 2);
      const ms = call('setup', ns, s);
      if (i >= pre) su.push(ms);
      pop.push([ns, s]);
    }
    for (const [ns, s] of pop.slice(pre).reverse()) td.push(call('teardown', ns, s));
    for (const [ns, s] of pop.slice(0, pre)) call('teardown', ns, s);
    for (const [ns] of pop) spawnSync('ip', ['netns', 'delete', ns]);
    r.steadySetup = median(su);
    r.steadyTeardown = median(td);
    // a fresh network: the first container creates the bridge, its teardown removes it
    const fs = [];
    const ft = [];
    for (let k = 0; k < (quick ? 4 : 8); k++) {
      const n = netInfo(`fresh${k}`, bridge(`f${k}`), 202);
      const ns = ctr();
      const s = input([n], 2);
      fs.push(call('setup', ns, s));
      ft.push(call('teardown', ns, s));
      spawnSync('ip', ['netns', 'delete', ns]);
    }
    r.freshSetup = median(fs);
    r.freshTeardown = median(ft);
    // 10 ports; 3 networks in one call (setup, on existing bridges)
    const p10 = [];
    const n3 = [];
    const three = [0, 1, 2].map((k) => netInfo(`three${k}`, bridge(`t${k}`), 203 + k));
    const keep = ctr();
    call('setup', keep, input(three, 2));
    for (let i = 0; i < (quick ? 4 : 8); i++) {
      const ns = ctr();
      const s = input([steady], i + 3, 10);
      p10.push(call('setup', ns, s));
      call('teardown', ns, s);
      const s3 = input(three, i + 3);
      n3.push(call('setup', ns, s3));
      call('teardown', ns, s3);
      spawnSync('ip', ['netns', 'delete', ns]);
    }
    call('teardown', keep, input(three, 2));
    spawnSync('ip', ['netns', 'delete', keep]);
    r.ports10 = median(p10);
    r.nets3 = median(n3);
    // churn: N containers set up, then all torn down, wall time
    const N = quick ? 30 : 100;
    const churnNet = netInfo('churn', bridge('c'), 210);
    const cs = Array.from({ length: N }, (_, i) => [ctr(), input([churnNet], i + 2)]);
    const t0 = process.hrtime.bigint();
    for (const [ns, s] of cs) call('setup', ns, s);
    for (const [ns, s] of cs) call('teardown', ns, s);
    r.churn = Number(process.hrtime.bigint() - t0) / 1e6;
    for (const [ns] of cs) spawnSync('ip', ['netns', 'delete', ns]);
    // peak RSS of one call (teardown of a gone namespace: the whole start-up, little work)
    const rss = spawnSync('/usr/bin/time', ['-f', '%M', impl.cmd, ...impl.pre, '--config', config, '--aardvark-binary', '/nonexistent', 'version'], { encoding: 'utf8', env });
    r.rssKb = Number(rss.stderr.trim().split('\n').pop());
    if (impl.env.SKIFF_DAEMON === '1') {
      const st = spawnSync(impl.cmd, ['daemon', 'status'], { encoding: 'utf8', env });
      r.daemonRssKb = Math.round(JSON.parse(st.stdout).rss_bytes / 1024);
      spawnSync(impl.cmd, ['daemon', 'stop'], { env });
    }
    results[name] = r;
  }
  process.stdout.write(JSON.stringify(results));
}

const ROWS = [
  ['steadySetup', 'setup, steady state (#41-60 on one bridge)', 0.3],
  ['steadyTeardown', 'teardown, steady state', 0.5],
  ['freshSetup', 'first container of a network: setup', 0.4],
  ['freshTeardown', 'last container of a network: teardown', 0.4],
  ['ports10', 'setup with 10 ports', 0.1],
  ['nets3', 'setup with 3 networks in one call', 0.3],
  ['churn', 'churn: N containers up then down (total ms)', 0.3],
  ['rssKb', 'peak RSS of one call (KiB)', null],
];

if (process.argv.includes('--inner')) {
  runInner();
} else {
  const hostNs = `skbd-h-${tag}`;
  sh('ip', 'netns', 'add', hostNs);
  try {
    sh('ip', '-n', hostNs, 'link', 'set', 'lo', 'up');
    const r = spawnSync('ip', ['netns', 'exec', hostNs, process.execPath, fileURLToPath(import.meta.url), '--inner', ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const results = JSON.parse(r.stdout || '{}');
    const names = Object.keys(results);
    const ref = results['netavark 1.4'];
    console.log(`ms (median) unless noted; ratio = impl / netavark 1.4; target for skiffd in brackets${quick ? ' (--quick)' : ''}`);
    console.log(['metric'.padEnd(46), ...names.map((n) => n.slice(0, 26).padStart(27))].join(''));
    for (const [key, label, target] of ROWS) {
      const cells = names.map((n) => {
        const v = results[n][key];
        const ratio = ref && ref[key] ? ` ${(v / ref[key]).toFixed(2)}x` : '';
        return `${v.toFixed(key === 'rssKb' ? 0 : 1)}${n === 'netavark 1.4' ? '' : ratio}`.padStart(27);
      });
      console.log([`${label}${target ? ` [<=${target}x]` : ''}`.padEnd(46), ...cells].join(''));
    }
    const d = results['skiff-client + skiffd'];
    if (d?.daemonRssKb) console.log(`skiffd RSS after the run: ${(d.daemonRssKb / 1024).toFixed(1)} MiB`);
  } finally {
    spawnSync('ip', ['netns', 'delete', hostNs]);
    rmSync('/run/skbench-d', { recursive: true, force: true });
  }
}
