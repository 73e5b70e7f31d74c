// Churn soak: N containers set up and torn down through the skiff CLI, K at a
// time, on 3 DNS-enabled networks, each with a published port, in a sandbox
// (one "host" netns standing in for the machine, one netns per container).
// Three anchor containers (one per network) live for the whole run so one DNS
// server serves throughout; its RSS and fd count are sampled every 500 ms.
// Every container's name is resolved at its gateway from inside it right
// after setup. Afterwards nothing may be left: links, nft set/map elements,
// state files, DNS entries, processes.
//
//   scripts/in-sandbox.sh node build/bench/soak.js [--containers 1000] [--parallel 10]
//                                                  [--kill-every 50] [--json out.json]
//
// --kill-every K: every K-th container, SIGKILL its setup or teardown (chosen
// at random, after a random 0-400 ms) and then run the teardown the engine
// would run. Prints latencies (first vs last 100), DNS server RSS/fd
// start/peak/end, leftovers; exit 1 when something was left or a name did not
// resolve. No timing is asserted.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, SKIFF, SKIFF_DNS, type Netns } from '../test/helpers/sandbox.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const N = Number(arg('--containers', '1000'));
const PARALLEL = Number(arg('--parallel', '10'));
const KILL_EVERY = Number(arg('--kill-every', '0'));
const JSON_OUT = arg('--json', '');

if (process.getuid?.() !== 0 || process.env.SKIFF_IN_SANDBOX !== '1') {
  console.error('run as root through scripts/in-sandbox.sh (private /run): it creates namespaces and state under /run');
  process.exit(2);
}

const NETS = [0, 1, 2].map((i) => ({
  name: `soak${i}`,
  id: `${String(i).repeat(2)}${'5a'.repeat(31)}`,
  driver: 'bridge',
  network_interface: `soakbr${i}`,
  subnets: [{ subnet: `10.${90 + i}.0.0/16`, gateway: `10.${90 + i}.0.1` }],
  ipv6_enabled: false,
  internal: false,
  dns_enabled: true,
  ipam_options: { driver: 'host-local' },
}));

const host = createNetns('soakh');
const base = `/run/skiff-soak-${host.name}`;
const config = join(base, 'state');
mkdirSync(config, { recursive: true });
const dnsWrapper = join(base, 'skiff-dns');
writeFileSync(dnsWrapper, `#!/bin/sh\nexec ${process.execPath} ${SKIFF_DNS} "$@"\n`);
chmodSync(dnsWrapper, 0o755);
const GLOBALS = ['--config', config, '--firewall-driver', 'nftables', '--aardvark-binary', dnsWrapper];

interface Ctr {
  i: number;
  name: string;
  ns: Netns;
  net: (typeof NETS)[number];
  ip: string;
  input: string;
}

function makeCtr(i: number): Ctr {
  const net = NETS[i % 3]!;
  const slot = 10 + Math.floor(i / 3); // unique per network, fits a /16
  const ip = net.subnets[0]!.gateway.replace(/\.0\.1$/, `.${Math.floor(slot / 250)}.${(slot % 250) + 2}`);
  const name = `c${i}`;
  const input = JSON.stringify({
    container_id: `${i.toString(16).padStart(8, '0')}${'c'.repeat(56)}`,
    container_name: name,
    networks: { [net.name]: { static_ips: [ip], interface_name: 'eth0', aliases: [`alias${i}`] } },
    network_info: { [net.name]: net },
    port_mappings: [{ host_ip: '', container_port: 80, host_port: 20000 + i, range: 1, protocol: 'tcp' }],
  });
  return { i, name, ns: createNetns('soakc'), net, ip, input };
}

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** The CLI in the host netns; `killAfterMs` SIGKILLs it (the crash being simulated). */
function cli(verb: 'setup' | 'teardown', c: Ctr, killAfterMs?: number): Promise<Done> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('ip', ['netns', 'exec', host.name, process.execPath, SKIFF, ...GLOBALS, verb, c.ns.path], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    // `ip netns exec` execs node in place: the pid is skiff's own
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - start, stdout, stderr });
    });
    child.stdin.end(c.input);
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

async function resolves(c: Ctr): Promise<boolean> {
  const gw = c.net.subnets[0]!.gateway;
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await run('ip', ['netns', 'exec', c.ns.name, 'dig', '+short', '+time=2', '+tries=1', `@${gw}`, c.name]);
    if (r.stdout.trim() === c.ip) return true;
  }
  return false;
}

// ---- DNS server sampling ----------------------------------------------------

const dnsSamples: { t: number; pid: number; rssKb: number; fds: number }[] = [];
const dnsPids = new Set<number>();
function sampleDns(): void {
  let pid: number;
  try {
    pid = Number(readFileSync(join(config, 'aardvark-dns', 'aardvark.pid'), 'utf8').trim());
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    dnsPids.add(pid);
    dnsSamples.push({ t: Date.now(), pid, rssKb, fds });
  } catch {
    /* no server right now */
  }
}

// ---- leftovers -----------------------------------------------------------------

interface Leftovers {
  links: string[];
  nftElements: Record<string, number>;
  stateFiles: string[];
  keptByDesign: string[];
  dnsEntries: string[];
  processes: string[];
  sysctld: string[];
}

// flock files and the record of the firewall driver in use stay, as netavark's do
const KEPT = /(\.lock|^firewall\/firewall-driver)$/;

async function leftovers(): Promise<Leftovers> {
  const links = host.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).filter((n) => n !== 'lo');
  const nft = JSON.parse(host.sh('nft', ['-j', 'list', 'ruleset'])) as { nftables: Record<string, { name?: string; elem?: unknown[] }>[] };
  const elements: Record<string, number> = {};
  for (const o of nft.nftables) {
    for (const kind of ['set', 'map'] as const) {
      const x = o[kind];
      if (x?.elem && x.elem.length > 0) elements[`${kind} ${x.name}`] = x.elem.length;
    }
  }
  const files: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else files.push(r);
    }
  };
  walk(config, '');
  const myNet = readlinkSync(`/proc/self/ns/net`);
  const procs: string[] = [];
  const hostNet = (() => {
    // a process started in the host netns: compare with a helper's view of it
    return host.sh('readlink', ['/proc/self/ns/net']).trim();
  })();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const ns = readlinkSync(`/proc/${p}/ns/net`);
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if ((ns === hostNet && ns !== myNet) || cmd.includes(config)) procs.push(`${p} ${cmd.trim()}`);
    } catch {
      /* exited */
    }
  }
  const sysctld = (() => {
    try {
      return readdirSync('/run/sysctl.d').filter((f) => f.includes('soakbr'));
    } catch {
      return [];
    }
  })();
  return {
    links,
    nftElements: elements,
    stateFiles: files.filter((f) => !KEPT.test(f)),
    keptByDesign: files.filter((f) => KEPT.test(f)),
    dnsEntries: files.filter((f) => f.startsWith('aardvark-dns/')),
    processes: procs,
    sysctld,
  };
}

// ---- the run ------------------------------------------------------------------

const stats = (xs: number[]): { median: number; p90: number; mean: number } => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { median: +q(0.5).toFixed(1), p90: +q(0.9).toFixed(1), mean: +(s.reduce((a, b) => a + b, 0) / (s.length || 1)).toFixed(1) };
};

async function main(): Promise<number> {
  const t0 = Date.now();
  const setupMs: number[] = [];
  const teardownMs: number[] = [];
  const failures: string[] = [];
  const unresolved: string[] = [];
  let kills = 0;

  // anchors: one container per network for the whole run, so one DNS server serves throughout
  const anchors = [0, 1, 2].map((k) => makeCtr(N + k));
  for (const a of anchors) {
    const r = await cli('setup', a);
    if (r.code !== 0) throw new Error(`anchor setup failed: ${r.stdout}${r.stderr}`);
  }
  sampleDns();
  const sampler = setInterval(sampleDns, 500);

  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= N) return;
      const c = makeCtr(i);
      const crash = KILL_EVERY > 0 && i % KILL_EVERY === KILL_EVERY - 1 ? (Math.random() < 0.5 ? 'setup' : 'teardown') : undefined;
      const delay = Math.floor(Math.random() * 400);
      const s = await cli('setup', c, crash === 'setup' ? delay : undefined);
      if (crash === 'setup') {
        kills += s.signal === 'SIGKILL' ? 1 : 0;
      } else {
        setupMs.push(s.ms);
        if (s.code !== 0) failures.push(`setup ${c.name}: ${s.stdout.trim()} ${s.stderr.trim()}`);
        else if (!(await resolves(c))) unresolved.push(c.name);
      }
      if (crash === 'teardown') {
        const t = await cli('teardown', c, delay);
        kills += t.signal === 'SIGKILL' ? 1 : 0;
      }
      // the teardown the engine runs (again, after a crash)
      const t = await cli('teardown', c);
      if (crash === undefined) teardownMs.push(t.ms);
      if (t.code !== 0) failures.push(`teardown ${c.name}: ${t.stdout.trim()} ${t.stderr.trim()}`);
      c.ns.destroy();
      if ((i + 1) % 100 === 0) process.stderr.write(`${i + 1}/${N} containers, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));

  // anchors still resolve after the churn
  for (const a of anchors) if (!(await resolves(a))) unresolved.push(a.name);
  clearInterval(sampler);
  sampleDns();
  for (const a of anchors) {
    const r = await cli('teardown', a);
    if (r.code !== 0) failures.push(`teardown ${a.name}: ${r.stdout}${r.stderr}`);
    a.ns.destroy();
  }
  await new Promise((r) => setTimeout(r, 1000));
  const left = await leftovers();

  const first = Math.min(100, Math.floor(setupMs.length / 2));
  const rss = dnsSamples.map((s) => s.rssKb);
  const fds = dnsSamples.map((s) => s.fds);
  const report = {
    containers: N,
    parallel: PARALLEL,
    killEvery: KILL_EVERY,
    kills,
    seconds: Math.round((Date.now() - t0) / 1000),
    failures,
    unresolved,
    latencyMs: {
      window: first,
      setupFirst: stats(setupMs.slice(0, first)),
      setupLast: stats(setupMs.slice(-first)),
      teardownFirst: stats(teardownMs.slice(0, first)),
      teardownLast: stats(teardownMs.slice(-first)),
    },
    dnsServer: {
      pids: [...dnsPids],
      rssKb: { start: rss[0], peak: Math.max(...rss), end: rss[rss.length - 1] },
      fds: { start: fds[0], peak: Math.max(...fds), end: fds[fds.length - 1] },
      samples: dnsSamples.length,
    },
    leftovers: left,
  };
  const lat = report.latencyMs;
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `\n${N} containers (${PARALLEL} at a time, ${kills} killed) in ${report.seconds} s; ` +
      `setup median first/last ${first}: ${lat.setupFirst.median}/${lat.setupLast.median} ms (x${ratio(lat.setupLast.median, lat.setupFirst.median)}), ` +
      `teardown ${lat.teardownFirst.median}/${lat.teardownLast.median} ms (x${ratio(lat.teardownLast.median, lat.teardownFirst.median)}); ` +
      `skiff-dns RSS start/peak/end ${report.dnsServer.rssKb.start}/${report.dnsServer.rssKb.peak}/${report.dnsServer.rssKb.end} kB, ` +
      `fds ${report.dnsServer.fds.start}/${report.dnsServer.fds.peak}/${report.dnsServer.fds.end}, server pids ${report.dnsServer.pids.length}`,
  );
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(report, null, 2) + '\n');
  const leaked =
    left.links.length + Object.keys(left.nftElements).length + left.stateFiles.length + left.processes.length + left.sysctld.length;
  if (leaked > 0 || failures.length > 0 || unresolved.length > 0) {
    console.log(`FAIL: ${leaked} leftovers, ${failures.length} failed calls, ${unresolved.length} names not resolved`);
    return 1;
  }
  console.log('OK: nothing left');
  return 0;
}

let code = 1;
try {
  code = await main();
} finally {
  host.destroy();
  rmSync(base, { recursive: true, force: true });
}
process.exit(code);
