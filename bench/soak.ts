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
// would run.
//
// Checks, all in one table at the end:
// - after the churn (anchors still up): links, nft ruleset (handles aside) and
//   state files exactly as before it; removed names no longer resolve;
// - after the anchors' teardown: no link, nft set/map element, state file, DNS
//   entry, sysctl.d file, process; lock files only the fixed global set;
// - skiff-dns RSS and fd count start/peak/end, one pid throughout;
// - setup/teardown latency, median of the last 100 vs the first 100: wall
//   clock (follows the machine's load, printed beside it) and CPU time of the
//   call (user+sys of skiff and the nft it ran: what Skiff itself spends).
// Exit 1 when something was left, a call failed or a name did not resolve.
// Timings are reported, never asserted.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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

// The upstream resolver of the sandbox (scripts/in-sandbox.sh's resolv.conf
// names 192.0.2.53): a stub on the host netns' lo that answers NXDOMAIN to
// everything, so a removed container's name, forwarded, comes back NXDOMAIN,
// and nothing leaves the sandbox.
const UPSTREAM = '192.0.2.53';
const STUB = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>{if(m.length<12)return;const o=Buffer.from(m);o[2]=0x81|(m[2]&1);o[3]=0x83;o.writeUInt16BE(0,6);o.writeUInt32BE(0,8);s.send(o,r.port,r.address)});s.bind(53,'${UPSTREAM}')`;
host.sh('ip', ['addr', 'add', `${UPSTREAM}/32`, 'dev', 'lo']);
const upstream = spawn('ip', ['netns', 'exec', host.name, process.execPath, '-e', STUB], { stdio: 'ignore' });

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
  /** user+sys of the call and the children it waited for (nft); NaN for a killed call */
  cpuMs: number;
  stdout: string;
  stderr: string;
}

const CPU_MARK = '@soak-cpu';
// dash's `times` reports the rusage of skiff and everything it waited for
// (nft). Not bash: started with a socket as stdin (node's pipes) Debian's bash
// reads ~/.bashrc, whatever that runs. A call to be killed runs without the
// wrapper so that the pid is skiff's own.
const TIMED = ['/bin/sh', '-c', `"$@"; rc=$?; echo ${CPU_MARK} >&2; times >&2; exit $rc`, 'sh'];
/** `times`' second line: children's user and system time, "0m0.250000s 0m0.030000s". */
const cpuOf = (text: string): number => {
  const t = [...text.matchAll(/(\d+)m([\d.]+)s/g)].slice(2, 4).map((m) => Number(m[1]) * 60 + Number(m[2]));
  return t.length === 2 ? (t[0]! + t[1]!) * 1000 : NaN;
};

/** The CLI in the host netns; `killAfterMs` SIGKILLs it (the crash being simulated). */
function cli(verb: 'setup' | 'teardown', c: Ctr, killAfterMs?: number): Promise<Done> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const argv = ['ip', 'netns', 'exec', host.name, process.execPath, SKIFF, ...GLOBALS, verb, c.ns.path];
    const [cmd, ...args] = killAfterMs === undefined ? [...TIMED, ...argv] : argv;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    // `ip netns exec` execs node in place: the pid is skiff's own
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      let cpuMs = NaN;
      const at = stderr.lastIndexOf(CPU_MARK);
      if (at >= 0) {
        cpuMs = cpuOf(stderr.slice(at + CPU_MARK.length));
        stderr = stderr.slice(0, at);
      }
      resolve({ code, signal, ms: performance.now() - start, cpuMs, stdout, stderr });
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

async function resolves(c: Ctr, from: Ctr = c): Promise<boolean> {
  const gw = c.net.subnets[0]!.gateway;
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await run('ip', ['netns', 'exec', from.ns.name, 'dig', '+short', '+time=2', '+tries=1', `@${gw}`, c.name]);
    if (r.stdout.trim() === c.ip) return true;
  }
  return false;
}

/**
 * What the server says to a removed container's name and alias, asked from an
 * anchor on its network: '' when both are NXDOMAIN (forwarded to the stub),
 * else the answer or error.
 */
async function staleAnswer(c: Ctr, anchor: Ctr): Promise<string> {
  const gw = c.net.subnets[0]!.gateway;
  const bad: string[] = [];
  for (const name of [c.name, `alias${c.i}`]) {
    const r = await run('ip', ['netns', 'exec', anchor.ns.name, 'dig', '+time=2', '+tries=2', '+noall', '+comments', '+answer', `@${gw}`, name]);
    const status = /status: (\w+)/.exec(r.stdout)?.[1];
    if (status !== 'NXDOMAIN') bad.push(`${name}: ${status ?? r.stdout.trim().split('\n').pop()}`);
  }
  return bad.join(', ');
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
  /** lock files outside the fixed global set (one per config dir, not per container or network) */
  lockFiles: string[];
  keptByDesign: string[];
  dnsEntries: string[];
  processes: string[];
  sysctld: string[];
}

// The fixed set that stays, as netavark's does: the two global flock files
// (docs/reliability.md says why they are not removed) and the record of the
// firewall driver in use. Any other lock file is a leak.
const KEPT = /^(skiff\.lock|aardvark\.lock|firewall\/firewall-driver)$/;
const LOCK = /(^|\/)(lock|[^/]*\.lock)$/;

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
    if (!/^\d+$/.test(p) || Number(p) === process.pid || Number(p) === upstream.pid) continue;
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
    stateFiles: files.filter((f) => !KEPT.test(f) && !LOCK.test(f)),
    lockFiles: files.filter((f) => !KEPT.test(f) && LOCK.test(f)),
    keptByDesign: files.filter((f) => KEPT.test(f)),
    dnsEntries: files.filter((f) => f.startsWith('aardvark-dns/')),
    processes: procs,
    sysctld,
  };
}

// ---- what the churn must leave exactly as it found it -------------------------

/** Links with their addresses, the nft ruleset without handles, every state file with its content. */
function snapshot(): { links: string; nft: string; files: string } {
  const addrs = host.ipJson<{ ifname: string; addr_info?: { local: string; prefixlen: number }[] }[]>(['addr', 'show']);
  const links = addrs.map((l) => `${l.ifname} ${(l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).join(' ')}`).join('\n');
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle').map(([k, x]) => [k, strip(x)])) : v;
  const ruleset = (JSON.parse(host.sh('nft', ['-j', 'list', 'ruleset'])) as { nftables: Record<string, unknown>[] }).nftables.filter((o) => !('metainfo' in o));
  const files: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else files.push(`${r}: ${LOCK.test(r) ? '' : readFileSync(join(d, e.name), 'utf8')}`);
    }
  };
  walk(config, '');
  return { links, nft: JSON.stringify(strip(ruleset)), files: files.join('\n') };
}

/** The lines of `b` not in `a` and of `a` not in `b`, for the report. */
function lineDiff(a: string, b: string): string[] {
  const as = new Set(a.split('\n'));
  const bs = new Set(b.split('\n'));
  return [...[...bs].filter((l) => !as.has(l)).map((l) => `+ ${l}`), ...[...as].filter((l) => !bs.has(l)).map((l) => `- ${l}`)];
}

// ---- the run ------------------------------------------------------------------

const stats = (xs: number[]): { median: number; p90: number; mean: number } => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { median: +q(0.5).toFixed(1), p90: +q(0.9).toFixed(1), mean: +(s.reduce((a, b) => a + b, 0) / (s.length || 1)).toFixed(1) };
};

interface Call {
  ms: number;
  cpuMs: number;
  /** 1-minute load average when the call ended */
  load: number;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const setups: Call[] = [];
  const teardowns: Call[] = [];
  const failures: string[] = [];
  const unresolved: string[] = [];
  const loads: number[] = [loadavg()[0]!];
  let kills = 0;

  // anchors: one container per network for the whole run, so one DNS server serves throughout
  const anchors = [0, 1, 2].map((k) => makeCtr(N + k));
  for (const a of anchors) {
    const r = await cli('setup', a);
    if (r.code !== 0) throw new Error(`anchor setup failed: ${r.stdout}${r.stderr}`);
  }
  const before = snapshot();
  // one forwarded query first: the server's upstream socket is open from the first sample on
  await staleAnswer({ ...anchors[0]!, name: 'soak-warmup', i: -1 }, anchors[0]!);
  sampleDns();
  const sampler = setInterval(() => {
    sampleDns();
    if (dnsSamples.length % 20 === 0) loads.push(loadavg()[0]!);
  }, 500);

  let next = 0;
  const removed: Ctr[] = [];
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
        setups.push({ ms: s.ms, cpuMs: s.cpuMs, load: loadavg()[0]! });
        if (s.code !== 0) failures.push(`setup ${c.name}: ${s.stdout.trim()} ${s.stderr.trim()}`);
        else if (!(await resolves(c))) unresolved.push(c.name);
      }
      if (crash === 'teardown') {
        const t = await cli('teardown', c, delay);
        kills += t.signal === 'SIGKILL' ? 1 : 0;
      }
      // the teardown the engine runs (again, after a crash)
      const t = await cli('teardown', c);
      if (crash === undefined) teardowns.push({ ms: t.ms, cpuMs: t.cpuMs, load: loadavg()[0]! });
      if (t.code !== 0) failures.push(`teardown ${c.name}: ${t.stdout.trim()} ${t.stderr.trim()}`);
      c.ns.destroy();
      if (i < 3 || i >= N - 3 || crash !== undefined) removed.push(c);
      if ((i + 1) % 100 === 0) process.stderr.write(`${i + 1}/${N} containers, ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0]!.toFixed(1)}\n`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));

  // the churn left the anchors' world as it found it
  await new Promise((r) => setTimeout(r, 500));
  const after = snapshot();
  const churnDiff = {
    links: lineDiff(before.links, after.links),
    nft: before.nft === after.nft ? [] : lineDiff(before.nft.replaceAll('},{', '},\n{'), after.nft.replaceAll('},{', '},\n{')),
    files: lineDiff(before.files, after.files),
  };
  // anchors still resolve, and removed containers (first, last, every crashed one) no longer do
  for (const a of anchors) if (!(await resolves(a))) unresolved.push(a.name);
  const staleNames: string[] = [];
  for (const c of removed) {
    const ans = await staleAnswer(c, anchors.find((a) => a.net === c.net)!);
    if (ans !== '') staleNames.push(`${c.name}: ${ans.replaceAll('\n', ' ')}`);
  }
  clearInterval(sampler);
  sampleDns();
  loads.push(loadavg()[0]!);
  for (const a of anchors) {
    const r = await cli('teardown', a);
    if (r.code !== 0) failures.push(`teardown ${a.name}: ${r.stdout}${r.stderr}`);
    a.ns.destroy();
  }
  await new Promise((r) => setTimeout(r, 1000));
  const left = await leftovers();

  const w = Math.min(100, Math.floor(setups.length / 2), Math.floor(teardowns.length / 2));
  const win = (xs: Call[], which: 'first' | 'last'): Call[] => (which === 'first' ? xs.slice(0, w) : xs.slice(-w));
  const lat = (xs: Call[]) => ({
    wallMs: { first: stats(win(xs, 'first').map((x) => x.ms)), last: stats(win(xs, 'last').map((x) => x.ms)) },
    cpuMs: { first: stats(win(xs, 'first').map((x) => x.cpuMs)), last: stats(win(xs, 'last').map((x) => x.cpuMs)) },
    load: { first: stats(win(xs, 'first').map((x) => x.load)).mean, last: stats(win(xs, 'last').map((x) => x.load)).mean },
  });
  const rss = dnsSamples.map((s) => s.rssKb);
  const fds = dnsSamples.map((s) => s.fds);
  const report = {
    containers: N,
    parallel: PARALLEL,
    killEvery: KILL_EVERY,
    kills,
    seconds: Math.round((Date.now() - t0) / 1000),
    load1: { start: loads[0], min: Math.min(...loads), max: Math.max(...loads), end: loads[loads.length - 1] },
    failures,
    unresolved,
    staleNames,
    churnDiff,
    latency: { window: w, setup: lat(setups), teardown: lat(teardowns) },
    dnsServer: {
      pids: [...dnsPids],
      rssKb: { start: rss[0], peak: Math.max(...rss), end: rss[rss.length - 1] },
      fds: { start: fds[0], peak: Math.max(...fds), end: fds[fds.length - 1] },
      samples: dnsSamples.length,
    },
    leftovers: left,
  };
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(report, null, 2) + '\n');
  if (process.env.SOAK_VERBOSE === '1') console.log(JSON.stringify(report, null, 2));

  // ---- one table -------------------------------------------------------------
  const rows: [string, string, boolean | undefined][] = [];
  const none = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : `${xs.length}: ${xs.slice(0, 5).join('; ')}${xs.length > 5 ? '; ...' : ''}`);
  const elems = Object.entries(left.nftElements).map(([k, n]) => `${k} (${n})`);
  const l = report.load1;
  rows.push(['run', `${N} containers, ${PARALLEL} at a time, ${KILL_EVERY ? `SIGKILL every ${KILL_EVERY} (${kills} kills)` : 'no kills'}, ${report.seconds} s; load1 start ${l.start?.toFixed(1)}, min ${l.min.toFixed(1)}, max ${l.max.toFixed(1)}, end ${l.end?.toFixed(1)}`, undefined]);
  rows.push(['failed calls', none(failures), failures.length === 0]);
  rows.push(['names resolved right after setup (+3 anchors after the churn)', unresolved.length === 0 ? `all (${setups.length + anchors.length})` : none(unresolved), unresolved.length === 0]);
  rows.push([`removed names still answered (${removed.length} asked: first, last, crashed)`, none(staleNames), staleNames.length === 0]);
  rows.push(['churn changed links/addresses (anchors up)', none(churnDiff.links), churnDiff.links.length === 0]);
  rows.push(['churn changed nft ruleset (handles aside)', none(churnDiff.nft), churnDiff.nft.length === 0]);
  rows.push(['churn changed state files (names, contents)', none(churnDiff.files), churnDiff.files.length === 0]);
  rows.push(['left: veths, bridges, other links', none(left.links), left.links.length === 0]);
  rows.push(['left: nft set/map elements', none(elems), elems.length === 0]);
  rows.push(['left: state files', none(left.stateFiles), left.stateFiles.length === 0]);
  rows.push(['left: DNS entries (aardvark-dns/)', none(left.dnsEntries), left.dnsEntries.length === 0]);
  rows.push(['left: lock files beyond the fixed global set', none(left.lockFiles), left.lockFiles.length === 0]);
  rows.push(['left: sysctl.d files', none(left.sysctld), left.sysctld.length === 0]);
  rows.push(['left: processes', none(left.processes), left.processes.length === 0]);
  rows.push(['kept (fixed set, by design)', left.keptByDesign.join(', ') || 'none', undefined]);
  const d = report.dnsServer;
  const mb = (kb: number | undefined): string => ((kb ?? NaN) / 1024).toFixed(1);
  rows.push(['skiff-dns pids', `${d.pids.length} (${d.samples} samples)`, d.pids.length === 1]);
  rows.push(['skiff-dns RSS start/peak/end', `${mb(d.rssKb.start)} / ${mb(d.rssKb.peak)} / ${mb(d.rssKb.end)} MB`, (d.rssKb.end ?? Infinity) <= (d.rssKb.start ?? 0) * 1.5]);
  rows.push(['skiff-dns fds start/peak/end', `${d.fds.start} / ${d.fds.peak} / ${d.fds.end}`, d.fds.end === d.fds.start]);
  const x = (a: number, b: number): string => `x${(b / a).toFixed(2)}`;
  const within = (a: number, b: number): boolean => b <= a * 1.1;
  for (const verb of ['setup', 'teardown'] as const) {
    const v = report.latency[verb];
    rows.push([`${verb} CPU ms, median first/last ${w}`, `${v.cpuMs.first.median} / ${v.cpuMs.last.median} (${x(v.cpuMs.first.median, v.cpuMs.last.median)})`, within(v.cpuMs.first.median, v.cpuMs.last.median)]);
    rows.push([`${verb} wall ms, median first/last ${w} (load1 mean)`, `${v.wallMs.first.median} / ${v.wallMs.last.median} (${x(v.wallMs.first.median, v.wallMs.last.median)}; load ${v.load.first.toFixed(1)} / ${v.load.last.toFixed(1)})`, within(v.wallMs.first.median, v.wallMs.last.median)]);
  }
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${'check'.padEnd(width)} | ok | result`);
  console.log(`${'-'.repeat(width)}-|----|-------`);
  for (const [k, v, ok] of rows) console.log(`${k.padEnd(width)} | ${ok === undefined ? '  ' : ok ? 'ok' : '!!'} | ${v}`);

  const leaked =
    left.links.length + elems.length + left.stateFiles.length + left.lockFiles.length + left.dnsEntries.length + left.processes.length + left.sysctld.length +
    churnDiff.links.length + churnDiff.nft.length + churnDiff.files.length + staleNames.length;
  if (leaked > 0 || failures.length > 0 || unresolved.length > 0) {
    console.log(`\nFAIL: ${leaked} leftovers, ${failures.length} failed calls, ${unresolved.length} names not resolved`);
    return 1;
  }
  console.log('\nOK: nothing left');
  return 0;
}

let code = 1;
try {
  code = await main();
} finally {
  upstream.kill('SIGKILL');
  host.destroy();
  rmSync(base, { recursive: true, force: true });
}
process.exit(code);
