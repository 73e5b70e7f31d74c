// skiff-dns under attack and under reloads, in a sandbox:
//   1. open-resolver check: from an "outside" namespace routed to the host,
//      queries to a gateway (names and recursion) must be refused, and
//      nothing answers on the host's other addresses; a container still
//      resolves names and recursion through the network's upstream (a stub
//      server inside the sandbox).
//   2. fuzz: random and mutated UDP datagrams, TCP connections with garbage,
//      zero-length frames, oversized lengths and half frames, slowloris
//      connections and clients that never read, all at once, while a
//      container sends a steady stream of valid queries; answered fraction,
//      server RSS/fd start/peak/end, server alive at the end.
//   3. reloads under load: the config changes and SIGHUP (waiting for the
//      server to confirm each load) while the valid stream runs: lost and
//      wrong answers.
// Bounded in count and time; only sandbox addresses are ever sent to.
//
//   scripts/in-sandbox.sh node build/bench/dns-fuzz.js [--seconds 60] [--packets 1000000] [--udp-rate 10000]
//       [--tcp-conns 20000] [--reloads 10000] [--reload-seconds S] [--qps 500] [--reload-qps 20000]
//       [--only fuzz|reload] [--min-answered 0.99] [--json out.json]
// --seconds bounds the fuzz, --reload-seconds (default: --seconds) the reloads; the valid stream
// of the reload phase stops when the reloads are done (--reloads 0: the stream alone, as a baseline).
//
// Exit 1 when the server died, the open-resolver check failed, a valid query
// got a wrong answer, a reload lost a query, or fewer than 99% of the valid
// queries during the fuzz were answered (--min-answered). Rates are printed, not asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, SKIFF_DNS, type Netns } from '../test/helpers/sandbox.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKER = join(HERE, 'dns-fuzz-worker.js');
const UPSTREAM = join(HERE, '..', '..', 'bench', 'dns-upstream.mjs');
const arg = (name: string, def: string): number => {
  const i = process.argv.indexOf(name);
  return Number(i >= 0 ? (process.argv[i + 1] ?? def) : def);
};
const SECONDS = arg('--seconds', '60');
const PACKETS = arg('--packets', '1000000');
const TCP_CONNS = arg('--tcp-conns', '20000');
const RELOADS = arg('--reloads', '10000');
const QPS = arg('--qps', '500');
const RELOAD_QPS = arg('--reload-qps', '20000');
const RELOAD_SECONDS = arg('--reload-seconds', String(SECONDS));
const UDP_RATE = arg('--udp-rate', '10000');
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const MIN_ANSWERED = arg('--min-answered', '0.99');
const jsonAt = process.argv.indexOf('--json');
const JSON_OUT = jsonAt >= 0 ? process.argv[jsonAt + 1] : undefined;

if (process.getuid?.() !== 0 || process.env.SKIFF_IN_SANDBOX !== '1') {
  console.error('run as root through scripts/in-sandbox.sh (private /run): it creates namespaces and state under /run');
  process.exit(2);
}

const GW = '10.96.0.1';
const CLIENT = '10.96.0.2'; // a container that asks valid questions
const FUZZER = '10.96.0.3'; // a container that sends garbage
const UPSTREAM_IP = '10.97.0.53';
const HOST_OUT = '198.51.100.1';
const OUTSIDE = '198.51.100.2';

const host = createNetns('fzh');
const outside = createNetns('fzo');
const dir = `/run/skiff-fuzz-${host.name}/aardvark-dns`;
const children: { kill(s: NodeJS.Signals): boolean }[] = [];

function buildWorld(): void {
  host.sh('ip', ['link', 'add', 'fzbr0', 'type', 'bridge']);
  host.sh('ip', ['link', 'set', 'fzbr0', 'up']);
  for (const a of [GW, CLIENT, FUZZER]) host.sh('ip', ['addr', 'add', `${a}/24`, 'dev', 'fzbr0']);
  host.sh('ip', ['addr', 'add', `${UPSTREAM_IP}/32`, 'dev', 'lo']);
  host.sh('ip', ['link', 'add', 'fzo0', 'type', 'veth', 'peer', 'name', 'fzo1', 'netns', outside.name]);
  host.sh('ip', ['addr', 'add', `${HOST_OUT}/24`, 'dev', 'fzo0']);
  host.sh('ip', ['link', 'set', 'fzo0', 'up']);
  outside.sh('ip', ['addr', 'add', `${OUTSIDE}/24`, 'dev', 'fzo1']);
  outside.sh('ip', ['link', 'set', 'fzo1', 'up']);
  // the outside machine routes the container subnet to the host, as a LAN neighbour could
  outside.sh('ip', ['route', 'add', '10.96.0.0/16', 'via', HOST_OUT]);
  outside.sh('ip', ['route', 'add', `${UPSTREAM_IP}/32`, 'via', HOST_OUT]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fuzznet'), networkFile(0));
}

/** The network file; `k` varies it for reloads (a container line comes and goes, the upstream list changes). */
function networkFile(k: number): string {
  const header = k % 2 === 0 ? `${GW} ${UPSTREAM_IP}` : `${GW} ${UPSTREAM_IP},${UPSTREAM_IP}`;
  const extra = k % 3 === 0 ? '' : `tmp${k} 10.96.1.${k % 250}  tmp${k}\n`;
  return `${header}\nc1 ${CLIENT}  web,client\nc2 ${FUZZER}  fuzzer\n${extra}`;
}

function spawnIn(ns: Netns, args: string[], onChild?: (c: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns.name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    onChild?.(c);
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function worker<T>(mode: string, job: Record<string, unknown>, onChild?: (c: ChildProcess) => void): Promise<T> {
  const r = await spawnIn(host, [process.execPath, WORKER, mode, JSON.stringify(job)], onChild);
  if (r.code !== 0) throw new Error(`worker ${mode} failed (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function serverPid(): number {
  return Number(readFileSync(join(dir, 'aardvark.pid'), 'utf8').trim());
}

const samples: { rssKb: number; fds: number }[] = [];
function sample(): void {
  try {
    const pid = serverPid();
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    samples.push({ rssKb, fds: readdirSync(`/proc/${pid}/fd`).length });
  } catch {
    /* gone */
  }
}

function alive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !'ZX'.includes(st.charAt(st.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** The server's own view of its memory (SIGUSR1 writes <dir>.stats), kB. */
async function serverMemory(pid: number): Promise<Record<string, number> | undefined> {
  try {
    const before = readOptional(`${dir}.stats`);
    process.kill(pid, 'SIGUSR1');
    for (let i = 0; i < 200; i++) {
      const now = readOptional(`${dir}.stats`);
      if (now && now !== before) {
        const m = (JSON.parse(now) as { memory?: Record<string, number> }).memory;
        return m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 1024)]));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch {
    /* gone */
  }
  return undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function dig(ns: Netns, args: string[]): Promise<string> {
  const r = await spawnIn(ns, ['dig', '+time=1', '+tries=1', ...args]);
  const status = /status: ([A-Z]+)/.exec(r.stdout)?.[1];
  if (status) return `${status} ${/^[^;].*\sIN\s+A\s+(\S+)$/m.exec(r.stdout)?.[1] ?? ''}`.trim();
  return /connection refused/i.test(r.stdout) ? 'CONNREFUSED' : 'TIMEOUT';
}

async function openResolverCheck(): Promise<{ ok: boolean; results: Record<string, string> }> {
  const results: Record<string, string> = {
    'container: web': await dig(host, ['-b', CLIENT, `@${GW}`, 'web']),
    'container: example.com (forwarded)': await dig(host, ['-b', CLIENT, `@${GW}`, 'example.com']),
    'outside -> gateway: web': await dig(outside, [`@${GW}`, 'web']),
    'outside -> gateway: example.com': await dig(outside, [`@${GW}`, 'example.com']),
    'outside -> gateway over TCP: example.com': await dig(outside, ['+tcp', `@${GW}`, 'example.com']),
    'outside -> host address: example.com': await dig(outside, [`@${HOST_OUT}`, 'example.com']),
  };
  const ok =
    results['container: web'] === `NOERROR ${CLIENT}` &&
    results['container: example.com (forwarded)'] === 'NOERROR 192.0.2.1' &&
    ['outside -> gateway: web', 'outside -> gateway: example.com', 'outside -> gateway over TCP: example.com'].every((k) => ['REFUSED', 'TIMEOUT'].includes(results[k]!)) &&
    ['CONNREFUSED', 'TIMEOUT'].includes(results['outside -> host address: example.com']!);
  return { ok, results };
}

interface Valid {
  sent: number;
  answered: number;
  wrong: number;
  lost: number;
  seconds: number;
  qps: number;
}

const NO_VALID: Valid = { sent: 0, answered: 0, wrong: 0, lost: 0, seconds: 0, qps: 0 };

/** Kernel drop counters of the UDP sockets bound to `port` in the host namespace (/proc/net/udp "drops"). */
async function udpDrops(port: number): Promise<number> {
  const r = await spawnIn(host, ['cat', '/proc/net/udp']);
  let n = 0;
  for (const line of r.stdout.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 12 && parseInt(f[1]!.split(':')[1]!, 16) === port) n += Number(f[f.length - 1]);
  }
  return n;
}

async function main(): Promise<number> {
  buildWorld();
  void spawnIn(host, [process.execPath, UPSTREAM, UPSTREAM_IP]);
  const start = await spawnIn(host, [process.execPath, SKIFF_DNS, '--config', dir, '-p', '53', 'run']);
  if (start.code !== 0) throw new Error(`skiff-dns did not start: ${start.stderr}`);
  const pid = serverPid();
  await new Promise((r) => setTimeout(r, 300));
  sample();
  const before = await openResolverCheck();

  // ---- fuzz, everything at once, with the valid stream alongside
  const sampler = setInterval(sample, 500);
  const t0 = Date.now();
  const common = { server: GW, src: FUZZER, seconds: SECONDS };
  const skipFuzz = ONLY === 'reload';
  const fuzzDrops0 = await udpDrops(53);
  const [validFuzz, udp, tcp, slow, nonread] = skipFuzz
    ? [NO_VALID, { sent: 0 }, { conns: 0, frames: 0, refusedConns: 0 }, { opened: 0, closedByServer: 0, stillOpen: 0 }, { conns: 0, queriesWritten: 0, closedByServer: 0 }]
    : await Promise.all([
        worker<Valid>('valid', { server: GW, src: CLIENT, seconds: SECONDS, rate: QPS, name: 'web', expect: CLIENT }),
        worker<{ sent: number }>('fuzz-udp', { ...common, count: PACKETS, rate: UDP_RATE }),
        worker<{ conns: number; frames: number; refusedConns: number }>('fuzz-tcp', { ...common, count: TCP_CONNS }),
        worker<{ opened: number; closedByServer: number; stillOpen: number }>('slowloris', { ...common, conns: 200 }),
        worker<{ conns: number; queriesWritten: number; closedByServer: number }>('nonreader', { ...common, conns: 20 }),
      ]);
  const fuzzSeconds = (Date.now() - t0) / 1000;
  const fuzzDrops = (await udpDrops(53)) - fuzzDrops0;
  const aliveAfterFuzz = alive(pid);
  sample();
  const afterFuzz = samples.length;
  const memAfterFuzz = await serverMemory(pid);

  // ---- reloads under load
  let reloads = 0;
  let unconfirmed = 0;
  let reloadSeconds = 0;
  let validReload = NO_VALID;
  let serverDrops = 0;
  if (ONLY !== 'fuzz') {
    const drops0 = await udpDrops(53);
    let stream: ChildProcess | undefined;
    let ready: () => void = () => undefined;
    const streaming = new Promise<void>((r) => (ready = r));
    const reloadStream = worker<Valid>(
      'valid',
      { server: GW, src: CLIENT, seconds: RELOAD_SECONDS, rate: RELOAD_QPS, name: 'web', expect: CLIENT },
      (c) => {
        stream = c;
        c.stderr?.on('data', (d: Buffer) => d.toString().includes('ready') && ready());
      },
    );
    // the stream is sending (node starts slowly on a busy host), then reaches its rate
    await Promise.race([streaming, reloadStream]);
    await new Promise((r) => setTimeout(r, 500));
    const rStart = Date.now();
    const rEnd = rStart + RELOAD_SECONDS * 1000;
    while (reloads < RELOADS && Date.now() < rEnd && alive(pid)) {
      const before = readFileSync(`${dir}.loaded`, 'utf8');
      writeFileSync(join(dir, '.fuzznet.tmp'), networkFile(reloads + 1));
      // rename: the server never reads a half-written file (as skiff setup writes it)
      renameSync(join(dir, '.fuzznet.tmp'), join(dir, 'fuzznet'));
      process.kill(pid, 'SIGHUP');
      const t = Date.now();
      while (readFileSync(`${dir}.loaded`, 'utf8') === before && Date.now() - t < 5000) await new Promise((r) => setTimeout(r, 1));
      if (readFileSync(`${dir}.loaded`, 'utf8') === before) unconfirmed++;
      reloads++;
    }
    // --reloads 0: the same stream for --reload-seconds without reloads (the baseline)
    if (RELOADS === 0) await new Promise((r) => setTimeout(r, RELOAD_SECONDS * 1000));
    reloadSeconds = (Date.now() - rStart) / 1000;
    (stream as ChildProcess | undefined)?.kill('SIGUSR2');
    validReload = await reloadStream;
    serverDrops = (await udpDrops(53)) - drops0;
  }
  clearInterval(sampler);
  sample();
  const after = await openResolverCheck();
  const aliveAtEnd = alive(pid);

  const rss = samples.map((s) => s.rssKb);
  const fds = samples.map((s) => s.fds);
  const fraction = validFuzz.answered / Math.max(1, validFuzz.sent);
  const report = {
    openResolver: { before, after },
    fuzz: {
      seconds: +fuzzSeconds.toFixed(1),
      udpDatagrams: udp.sent,
      udpPerSecond: Math.round(udp.sent / fuzzSeconds),
      tcp,
      slowloris: slow,
      nonReaders: nonread,
      valid: { ...validFuzz, answeredFraction: +fraction.toFixed(5) },
      /** datagrams (valid and garbage) the kernel dropped at the server's sockets, receive queue full */
      serverSocketDrops: fuzzDrops,
      serverAlive: aliveAfterFuzz,
    },
    reloads: {
      done: reloads,
      seconds: +reloadSeconds.toFixed(1),
      perSecond: +(reloads / Math.max(0.001, reloadSeconds)).toFixed(1),
      unconfirmed,
      valid: validReload,
      achievedQps: validReload.qps,
      /** datagrams the kernel dropped at the server's sockets (receive queue full) during the phase */
      serverSocketDrops: serverDrops,
    },
    server: {
      alive: aliveAtEnd,
      rssKb: { start: rss[0], peak: Math.max(...rss), afterFuzz: rss[afterFuzz - 1], end: rss[rss.length - 1] },
      memoryAfterFuzz: memAfterFuzz,
      fds: { start: fds[0], peak: Math.max(...fds), end: fds[fds.length - 1] },
    },
  };
  console.log(JSON.stringify(report, null, 2));
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(report, null, 2) + '\n');
  const problems: string[] = [];
  if (!aliveAfterFuzz || !aliveAtEnd) problems.push('the server died');
  if (!before.ok || !after.ok) problems.push('open-resolver check failed');
  if (validFuzz.wrong > 0 || validReload.wrong > 0) problems.push('wrong answers');
  if (validReload.lost > 0) problems.push(`${validReload.lost} valid queries lost during reloads`);
  if (!skipFuzz && fraction < MIN_ANSWERED) problems.push(`only ${(fraction * 100).toFixed(2)}% of valid queries answered during the fuzz`);
  if (unconfirmed > 0) problems.push(`${unconfirmed} reloads not confirmed within 5 s`);
  console.log(
    `\nfuzz ${report.fuzz.seconds} s: ${udp.sent} UDP datagrams (${report.fuzz.udpPerSecond}/s), ${tcp.conns} TCP connections (${tcp.frames} frames), ` +
      `${slow.opened} slowloris, ${nonread.conns} non-readers; valid ${validFuzz.answered}/${validFuzz.sent} answered (${(fraction * 100).toFixed(3)}%), ` +
      `${validFuzz.wrong} wrong, ${validFuzz.lost} lost (server socket drops ${fuzzDrops}). reloads: ${reloads} (${report.reloads.perSecond}/s) under ${report.reloads.achievedQps} qps: ` +
      `${validReload.answered}/${validReload.sent} answered, ${validReload.lost} lost (server socket drops ${serverDrops}), ${validReload.wrong} wrong. ` +
      `RSS start/peak/after fuzz/end ${report.server.rssKb.start}/${report.server.rssKb.peak}/${report.server.rssKb.afterFuzz}/${report.server.rssKb.end} kB, fds ${report.server.fds.start}/${report.server.fds.peak}/${report.server.fds.end}; ` +
      `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  console.log(problems.length ? `FAIL: ${problems.join('; ')}` : 'OK');
  return problems.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} finally {
  try {
    const pid = serverPid();
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    /* never started */
  }
  for (const c of children) c.kill('SIGKILL');
  host.destroy();
  outside.destroy();
  rmSync(dirname(dir), { recursive: true, force: true });
}
process.exit(code);
