#!/usr/bin/env node
// skiffd's idle RSS over many containers: N containers (default 1,000) set up
// and torn down through skiff-client + skiffd in waves of 100, on a
// DNS-enabled network with one published port each; one anchor container keeps
// the network and its DNS server up throughout. After each wave, once skiffd
// is idle (3 s: past its GC and trim), it samples skiffd's RSS and the DNS
// server's (from /proc, from outside), and both once more after the server's
// own quiet-spell trim (31 s). Prints the samples, last / first wave and the
// idle total against the 60 MB; asserts nothing (~2 min for 1,000).
// Usage (root): scripts/in-sandbox.sh node bench/skiffd-rss.mjs [--containers 1000]
// Everything runs in namespaces this script creates and deletes.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireRootSandbox } from './sandbox-guard.mjs';

requireRootSandbox();
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const client = join(repo, 'dist', 'skiff-client');
const dns = join(repo, 'dist', 'skiff-dns.cjs');
const i = process.argv.indexOf('--containers');
const N = i >= 0 ? Number(process.argv[i + 1]) : 1000;
const WAVE = 100;
const tag = randomBytes(3).toString('hex');
const host = `skr-h-${tag}`;
const config = `/run/skr-${tag}`;
const daemonDir = `/run/skr-${tag}-d`;
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const env = { ...process.env, SKIFF_DAEMON: '1', SKIFF_DAEMON_DIR: daemonDir, SKIFF_DAEMON_IDLE_MS: '600000' };

// nsenter, not `ip netns exec`: the client must share skiffd's mount namespace to be served
function call(args, input) {
  const r = spawnSync('nsenter', [`--net=/run/netns/${host}`, '--', client, ...args], { input, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skiff ${args.join(' ')} failed: ${r.stdout} ${r.stderr}`);
  return r.stdout;
}
const net = {
  name: 'rss', id: 'e'.repeat(64), driver: 'bridge', network_interface: 'skrbr0',
  subnets: [{ subnet: '10.77.0.0/16', gateway: '10.77.0.1' }],
  ipv6_enabled: false, internal: false, dns_enabled: true, ipam_options: { driver: 'host-local' },
};
function input(k) {
  return JSON.stringify({
    container_id: randomBytes(32).toString('hex'), container_name: `r${k}`, dns_servers: [],
    networks: { rss: { static_ips: [`10.77.${1 + (k >> 8)}.${k & 255}`], interface_name: 'eth0', aliases: [] } },
    network_info: { rss: net },
    port_mappings: [{ host_ip: '', container_port: 80, host_port: k >= 60000 ? 29999 : 30000 + (k % 1000), range: 1, protocol: 'tcp' }],
  });
}
const flags = (verb, ns) => ['--config', config, '--rootless', 'false', '--aardvark-binary', dns, verb, `/run/netns/${ns}`];
const status = () => JSON.parse(call(['daemon', 'status']));
const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const dnsPid = () => Number(readFileSync(join(config, 'aardvark-dns', 'aardvark.pid'), 'utf8'));

mkdirSync(config, { recursive: true });
sh('ip', 'netns', 'add', host);
const made = [];
let anchorUp;
try {
  sh('ip', '-n', host, 'link', 'set', 'lo', 'up');
  const anchor = `skr-a-${tag}`;
  sh('ip', 'netns', 'add', anchor);
  made.push(anchor);
  const anchorIn = input(60000);
  call(flags('setup', anchor), anchorIn);
  anchorUp = () => call(flags('teardown', anchor), anchorIn);
  const samples = [];
  // read from outside: a status call would fault back the pages it runs on before it measured
  const skiffd = status().pid;
  // and the heap is asked for before skiffd's idle trim (2 s after the last request), which status calls do not re-arm
  const sample = (done) => {
    const heap = status().heap_used_bytes / 1048576;
    spawnSync('sleep', ['3']);
    samples.push({ done, skiffd: rssOf(skiffd), dns: rssOf(dnsPid()), heap, dnsPid: dnsPid() });
  };
  sample(0);
  for (let base = 0; base < N; base += WAVE) {
    const wave = [];
    for (let k = base; k < Math.min(N, base + WAVE); k++) {
      const ns = `skr-${tag}-${k}`;
      sh('ip', 'netns', 'add', ns);
      const s = input(k + 2);
      call(flags('setup', ns), s);
      wave.push([ns, s]);
    }
    for (const [ns, s] of wave) {
      call(flags('teardown', ns), s);
      spawnSync('ip', ['netns', 'delete', ns]);
    }
    sample(Math.min(N, base + WAVE));
  }
  // skiff-dns trims itself after a whole quiet interval (SKIFF_DNS_IDLE_TRIM_MS, 15 s): 15-30 s
  spawnSync('sleep', ['31']);
  const quiet = { skiffd: rssOf(skiffd), dns: rssOf(dnsPid()) };
  const split = (pid) => {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? NaN) / 1024;
    return `anon ${kb('Anonymous').toFixed(1)}, file ${(kb('Rss') - kb('Anonymous')).toFixed(1)}`;
  };
  const splits = `skiffd: ${split(skiffd)} MiB; skiff-dns: ${split(dnsPid())} MiB`;
  anchorUp = undefined;
  call(flags('teardown', anchor), anchorIn);
  console.log('containers  skiffd idle RSS (heap used)  skiff-dns RSS   (MiB, 3 s after each wave of 100 up + down)');
  for (const s of samples) console.log(`${String(s.done).padStart(10)}  ${s.skiffd.toFixed(1).padStart(15)} (${s.heap.toFixed(1).padStart(5)})  ${s.dns.toFixed(1).padStart(13)}`);
  const first = samples[1];
  const last = samples[samples.length - 1];
  console.log(`last / first wave: skiffd ${(last.skiffd / first.skiffd).toFixed(2)}x, skiff-dns ${(last.dns / first.dns).toFixed(2)}x` +
    ` (one skiff-dns throughout: ${new Set(samples.map((s) => s.dnsPid)).size === 1})`);
  const total = quiet.skiffd + quiet.dns;
  console.log(`idle with DNS, 31 s more without a request: skiffd ${quiet.skiffd.toFixed(1)} + skiff-dns ${quiet.dns.toFixed(1)} = ${total.toFixed(1)} MiB = ${(total * 1.048576).toFixed(1)} MB [<=60 MB]`);
  console.log(splits);
} finally {
  // after a failed call too: the DNS server is detached and would outlive the sandbox
  const quietly = (fn) => {
    try {
      fn();
    } catch (e) {
      console.error(`clean-up: ${e.message}`);
    }
  };
  if (anchorUp) quietly(anchorUp);
  quietly(() => {
    if (!existsSync(join(config, 'aardvark-dns', 'aardvark.pid'))) return;
    const pid = dnsPid();
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(config)) process.kill(pid, 'SIGKILL');
  });
  quietly(() => call(['daemon', 'stop']));
  for (const ns of made) spawnSync('ip', ['netns', 'delete', ns]);
  spawnSync('ip', ['netns', 'delete', host]);
  rmSync(config, { recursive: true, force: true });
  rmSync(daemonDir, { recursive: true, force: true });
}
