#!/usr/bin/env node
// skiffd + bin/skiff-client against Debian's netavark 1.4 and against Skiff's
// in-process CLI, in one run and one sandbox, printing ratios to netavark.
// Usage (root): scripts/in-sandbox.sh node bench/skiffd.mjs [--quick]
// Everything runs in namespaces this script creates and deletes.
import { spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, workerData } from 'node:worker_threads';
import { requireRootSandbox } from './sandbox-guard.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, process.env.SKIFF_DIST_DIR ?? 'dist');
const netavark = process.env.NETAVARK ?? '/usr/lib/podman/netavark';
const quick = process.argv.includes('--quick');
const tag = randomBytes(3).toString('hex');
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

if (!isMainThread && workerData?.role === 'host') serveHost(workerData);
else requireRootSandbox();

// A thread whose network namespace is one implementation's host namespace: the
// programs it spawns (spawnSync forks from the calling thread) run there.
// setns(CLONE_NEWNET) is per thread. It answers one call at a time.
function serveHost({ ns, port, flag }) {
  const koffi = createRequire(import.meta.url)('koffi');
  const setns = koffi.load('libc.so.6').func('int setns(int fd, int nstype)');
  const fd = openSync(`/run/netns/${ns}`, 'r');
  const rc = setns(fd, 0x40000000 /* CLONE_NEWNET */);
  closeSync(fd);
  port.on('message', ({ cmd, args, input, env }) => {
    let reply;
    if (rc !== 0) reply = { status: null, stdout: '', stderr: `setns ${ns} failed (errno ${koffi.errno()})`, ms: 0 };
    else {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { input, encoding: 'utf8', env });
      reply = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '', ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    }
    port.postMessage(reply);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
}

/** Runs programs in network namespace `ns` (see serveHost), synchronously. */
function hostIn(ns) {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'host', ns, port: port2, flag }, transferList: [port2] });
  return {
    run(cmd, args, opts = {}) {
      Atomics.store(flag, 0, 0);
      port1.postMessage({ cmd, args, input: opts.input, env: opts.env ?? process.env });
      if (Atomics.wait(flag, 0, 0, 600_000) === 'timed-out') throw new Error(`no answer from the thread in ${ns}`);
      return receiveMessageOnPort(port1).message;
    },
    close: () => worker.terminate(),
  };
}

const aardvark = process.env.AARDVARK ?? '/usr/lib/podman/aardvark-dns';
const skiffDns = join(dist, 'skiff-dns.cjs');
// dns: the DNS server each one starts for a DNS-enabled network (what Podman's helper_binaries_dir would hold)
const IMPLS = {
  'netavark 1.4': { cmd: netavark, pre: [], env: {}, dns: aardvark },
  'skiff in-process (node dist/skiff.cjs)': { cmd: process.execPath, pre: [join(dist, 'skiff.cjs')], env: {}, dns: skiffDns },
  'skiff-client, SKIFF_DAEMON=0 (fallback)': { cmd: join(dist, 'skiff-client'), pre: [], env: { SKIFF_DAEMON: '0' }, dns: skiffDns },
  'skiff-client + skiffd': { cmd: join(dist, 'skiff-client'), pre: [], env: { SKIFF_DAEMON: '1', SKIFF_DAEMON_IDLE_MS: '600000' }, dns: skiffDns },
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
    networks[n.name] = { static_ips: [`10.${n.subnets[0].subnet.split('.')[1]}.1.${i % 250 + 2}`], interface_name: `eth${k}`, aliases: [] };
    network_info[n.name] = n;
  });
  const port_mappings = Array.from({ length: ports }, (_, p) => ({ host_ip: '', container_port: 80 + p, host_port: 20000 + (i % 100) * 20 + p, range: 1, protocol: 'tcp' }));
  return JSON.stringify({ container_id: randomBytes(32).toString('hex'), container_name: `b${i}`, networks, network_info, ...(ports ? { port_mappings } : {}) });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Interleaved: every sample is taken from each implementation in turn, so a
// change of load on the (shared) machine hits all of them alike. Each
// implementation has its own host network namespace (as a host runs one
// network backend: Skiff's three builds would otherwise share, and delete
// under each other, one `inet skiff` table), state directory, bridges and
// subnets; a thread in that namespace runs its calls (hostIn).
function runInner() {
  let nsCount = 0;
  const hosts = [];
  const impls = Object.entries(IMPLS)
    .filter(([, impl]) => existsSync(impl.cmd))
    .map(([name, impl], k) => {
      const config = `/run/skbench-d/${k}`;
      mkdirSync(config, { recursive: true });
      const hostNs = `skbd-i${k}-${tag}`;
      sh('ip', 'netns', 'add', hostNs);
      sh('ip', '-n', hostNs, 'link', 'set', 'lo', 'up');
      const host = hostIn(hostNs);
      hosts.push([hostNs, host]);
      const env = { ...process.env, ...impl.env, SKIFF_DAEMON_DIR: '/run/skbench-d/sock' };
      const call = (verb, ns, stdin, dns = '/nonexistent') => {
        const r = host.run(impl.cmd, [...impl.pre, '--config', config, '--rootless', 'false', '--aardvark-binary', dns, verb, `/run/netns/${ns}`], { input: stdin, env });
        if (r.status !== 0) throw new Error(`${name} ${verb} failed: ${r.stdout} ${r.stderr}`);
        return r.ms;
      };
      // subnets 10.<100 + 20k + n>.0.0/16 and bridges skbd<k><tag>: nothing shared between implementations
      const net = (label, n) => netInfo(`${label}${k}`, `skbd${k}${label}`.slice(0, 15), 100 + 20 * k + n);
      return { name, impl, env, call, net, host, r: {} };
    });
  const ctr = () => {
    const ns = `skbd-${tag}-${nsCount++}`;
    sh('ip', 'netns', 'add', ns);
    return ns;
  };
  const drop = (ns) => spawnSync('ip', ['netns', 'delete', ns]);
  const each = (fn) => impls.forEach(fn);
  // warm up (page cache, code cache, the daemon)
  each((m) => {
    const n = m.net('w', 0);
    for (let i = 0; i < 2; i++) {
      const ns = ctr();
      const s = input([n], 2);
      m.call('setup', ns, s);
      m.call('teardown', ns, s);
      drop(ns);
    }
  });
  // steady state: containers #41–60 on one bridge
  const pre = quick ? 10 : 40;
  const timed = quick ? 8 : 20;
  each((m) => Object.assign(m, { steady: m.net('s', 1), pop: [], su: [], td: [] }));
  for (let i = 0; i < pre + timed; i++) {
    each((m) => {
      const ns = ctr();
      const s = input([m.steady], i + 2);
      const ms = m.call('setup', ns, s);
      if (i >= pre) m.su.push(ms);
      m.pop.push([ns, s]);
    });
  }
  for (let i = pre + timed - 1; i >= pre; i--) each((m) => m.td.push(m.call('teardown', ...m.pop[i])));
  each((m) => {
    for (const [ns, s] of m.pop.slice(0, pre)) m.call('teardown', ns, s);
    for (const [ns] of m.pop) drop(ns);
    m.r.steadySetup = median(m.su);
    m.r.steadyTeardown = median(m.td);
  });
  // a fresh network: the first container creates the bridge, its teardown removes it
  each((m) => Object.assign(m, { fs: [], ft: [] }));
  for (let k = 0; k < (quick ? 4 : 8); k++) {
    each((m) => {
      const ns = ctr();
      const s = input([m.net(`f${k}`, 2)], 2);
      m.fs.push(m.call('setup', ns, s));
      m.ft.push(m.call('teardown', ns, s));
      drop(ns);
    });
  }
  each((m) => {
    m.r.freshSetup = median(m.fs);
    m.r.freshTeardown = median(m.ft);
  });
  // the first DNS-enabled container: its setup starts the DNS server; its teardown stops it (the server
  // leaves within 1 s of its last network, and is given that time outside the measurement)
  each((m) => Object.assign(m, { dns: [] }));
  for (let k = 0; k < (quick ? 4 : 8); k++) {
    each((m) => {
      const ns = ctr();
      const n = { ...m.net(`d${k}`, 7), dns_enabled: true };
      const s = JSON.stringify({ ...JSON.parse(input([n], 2)), dns_servers: [] });
      m.dns.push(m.call('setup', ns, s, m.impl.dns));
      m.call('teardown', ns, s, m.impl.dns);
      drop(ns);
    });
    spawnSync('sleep', ['1.2']);
  }
  each((m) => (m.r.dnsFirst = median(m.dns)));
  // 10 ports; 3 networks in one call (setup, on existing bridges). A container
  // kept on each bridge meanwhile: the 10-port row measures ports (a fresh
  // network has its row above), and no sample follows its implementation's
  // deletion of a bridge. The kernel deletes a bridge with the RTNL lock held
  // across an rcu_barrier() (br_multicast_dev_del, 15-35 ms here); netavark waits
  // for that inside its teardown, skiffd returns before (quick-delete.ts), so the
  // next netlink call within that time waits instead (README: "3 networks").
  each((m) => {
    m.three = [3, 4, 5].map((n) => m.net(`t${n}`, n));
    m.keep = [ctr(), input(m.three, 2)];
    m.call('setup', ...m.keep);
    m.keepSteady = [ctr(), input([m.steady], 200)];
    m.call('setup', ...m.keepSteady);
    Object.assign(m, { p10: [], n3: [] });
  });
  for (let i = 0; i < (quick ? 4 : 8); i++) {
    each((m) => {
      const ns = ctr();
      const s = input([m.steady], i + 3, 10);
      m.p10.push(m.call('setup', ns, s));
      m.call('teardown', ns, s);
      const s3 = input(m.three, i + 3);
      m.n3.push(m.call('setup', ns, s3));
      m.call('teardown', ns, s3);
      drop(ns);
    });
  }
  each((m) => {
    m.call('teardown', ...m.keep);
    m.call('teardown', ...m.keepSteady);
    drop(m.keep[0]);
    drop(m.keepSteady[0]);
    m.r.ports10 = median(m.p10);
    m.r.nets3 = median(m.n3);
  });
  // churn: N containers set up, then all torn down; total time per implementation
  const N = quick ? 30 : 100;
  each((m) => {
    m.churnNet = m.net('c', 6);
    m.cs = Array.from({ length: N }, (_, i) => [ctr(), input([m.churnNet], i + 2)]);
    m.r.churn = 0;
  });
  for (let i = 0; i < N; i++) each((m) => (m.r.churn += m.call('setup', ...m.cs[i])));
  for (let i = 0; i < N; i++) each((m) => (m.r.churn += m.call('teardown', ...m.cs[i])));
  each((m) => m.cs.forEach(([ns]) => drop(ns)));
  // peak RSS of one call
  const results = {};
  each((m) => {
    const rss = m.host.run('/usr/bin/time', ['-f', '%M', m.impl.cmd, ...m.impl.pre, 'version'], { env: m.env });
    m.r.rssKb = Number(rss.stderr.trim().split('\n').pop());
    if (m.impl.env.SKIFF_DAEMON === '1') {
      const status = () => JSON.parse(m.host.run(m.impl.cmd, ['daemon', 'status'], { env: m.env }).stdout);
      m.r.daemonRssKb = Math.round(status().rss_bytes / 1024);
      // idle: past skiffd's idle trim (2 s without a request; a status call is no request)
      spawnSync('sleep', ['3']);
      const idle = status();
      m.r.daemonIdleRssKb = Math.round(idle.rss_bytes / 1024);
      if (idle.dns_warm_rss_bytes) m.r.warmDnsRssKb = Math.round(idle.dns_warm_rss_bytes / 1024);
      m.host.run(m.impl.cmd, ['daemon', 'stop'], { env: m.env });
    }
    results[m.name] = m.r;
  });
  for (const [ns, host] of hosts) {
    host.close();
    spawnSync('ip', ['netns', 'delete', ns]);
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
  ['dnsFirst', 'first DNS-enabled container: setup', 0.5],
  ['rssKb', 'peak RSS of one call (KiB)', null],
];

if (!isMainThread) {
  // a host thread (serveHost): it only answers calls
} else if (process.argv.includes('--inner')) {
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
    if (d?.daemonRssKb) console.log(`skiffd RSS right after the run: ${(d.daemonRssKb / 1024).toFixed(1)} MiB; idle (3 s later) [<=60 MB with DNS]: ${(d.daemonIdleRssKb / 1024).toFixed(1)} MiB`);
    if (d?.warmDnsRssKb) console.log(`its warm skiff-dns (waiting for the next first DNS container): ${(d.warmDnsRssKb / 1024).toFixed(1)} MiB RSS`);
  } finally {
    spawnSync('ip', ['netns', 'delete', hostNs]);
    rmSync('/run/skbench-d', { recursive: true, force: true });
  }
}
