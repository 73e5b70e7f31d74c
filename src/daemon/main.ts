// skiffd: the resident Skiff engine. Serves `skiff` requests sent by the C
// client (src/client/client.c) in this one warm process, one at a time.
//
//   skiffd --socket PATH [--log PATH] [--idle-ms N]
//
// Started by the client on demand (detached, its log beside the socket), or
// by systemd through socket activation (LISTEN_FDS, see contrib/systemd/).
// Exits after --idle-ms without requests (SKIFF_DAEMON_IDLE_MS; default 60 s;
// 0 = never), on SIGTERM, on `skiff daemon stop`, and when a client of
// another build asks (that client then starts a fresh daemon).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../lib/errors.js';
import { CLONE_NEWNET, flock, LOCK_EX, LOCK_NB, setns } from '../lib/libc.js';
import { stillNamed } from '../lib/lock.js';
import { distDir, loadCliBundle } from './cli-bundle.js';
import { adoptFd, dup2, listenUnix } from './libc.js';
import { nsKeyOf } from './paths.js';
import { saveStdio } from './run-request.js';
import { serve, type Server } from './server.js';
import { installInProcessNft, type NftInProcess } from './nft-in-process.js';
import { installQuickDelete, type QuickDeletes } from './quick-delete.js';
import { trimIdleMemory } from '../lib/idle-trim.js';
import { fullGc } from '../lib/full-gc.js';
import { installDnsStart } from './dns-start.js';
import { serverRunning } from '../../dns/running.js';
import { DnsZygote } from './dns-zygote.js';
import { netnsOrphaned } from './orphan.js';

function main(): void {
  const { values } = parseArgs({
    options: { socket: { type: 'string' }, log: { type: 'string' }, 'idle-ms': { type: 'string' } },
    strict: true,
  });
  const activated = process.env.LISTEN_PID === String(process.pid) && Number(process.env.LISTEN_FDS) >= 1;
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  const socket = values.socket;
  if (!socket && !activated) throw new Error('--socket PATH is required (or socket activation)');

  // our own stdout/stderr are the log file from here on; the CLI's writes go
  // to them too, through fds 1/2 that each request swaps (run-request.ts)
  const logPath = values.log ?? (socket ? socket.replace(/\.sock$/, '') + '.log' : undefined);
  const logFd = logPath ? openSync(logPath, 'a', 0o600) : openSync('/dev/null', 'w');
  const nullFd = openSync('/dev/null', 'r');
  dup2(nullFd, 0);
  dup2(logFd, 1);
  dup2(logFd, 2);
  closeSync(nullFd);
  closeSync(logFd);
  void process.stdout;
  void process.stderr; // created now, while 1/2 are a file: synchronous file streams
  const stdio = saveStdio();
  const log = (msg: string): void => {
    writeSync(stdio.saved[2], `${new Date().toISOString()} skiffd[${process.pid}]: ${msg}\n`);
  };

  const dist = distDir();
  const build = readBuildId(dist);
  const ns = nsKeyOf('self');

  // one daemon per socket: whoever holds the lock owns the socket path
  let listenFd: number;
  let boundIno: number | undefined;
  let lockPath: string | undefined;
  if (activated) {
    listenFd = adoptFd(3);
  } else {
    const path = socket as string;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    lockPath = `${path}.lock`;
    if (lockWithin(lockPath, 3000) === undefined) {
      log(`another skiffd serves ${path}; exiting`);
      process.exit(0);
    }
    if (existsSync(path)) unlinkSync(path); // stale: its daemon is gone (we hold the lock)
    const umask = process.umask(0o177);
    try {
      listenFd = listenUnix(path);
    } finally {
      process.umask(umask);
    }
    boundIno = statSync(path).ino;
  }

  const netFd = openSync('/proc/thread-self/ns/net', 'r');
  const afterRequest = (): void => {
    // a request must leave this thread where it found it; if not, go back or die
    if (statSync('/proc/thread-self/ns/net').ino !== ns.net) {
      log('a request left the main thread in another network namespace; switching back');
      setns(netFd, CLONE_NEWNET);
      if (statSync('/proc/thread-self/ns/net').ino !== ns.net) throw new Error('cannot return to our network namespace');
    }
    if (statSync('/proc/thread-self/ns/mnt').ino !== ns.mnt) throw new Error('the main thread is in another mount namespace');
    served++;
  };

  const idleMs = Number(values['idle-ms'] ?? process.env.SKIFF_DAEMON_IDLE_MS ?? 60_000);
  const started = Date.now();
  let served = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let server: Server | undefined;
  let quick: QuickDeletes | undefined;
  let nft: NftInProcess | undefined;
  let dnsStart: { started(): number; dirs(): ReadonlySet<string> } | undefined;
  let zygote: DnsZygote | undefined;
  let warmTimer: NodeJS.Timeout | undefined;
  // A warm skiff-dns costs an idle Node process: kept only where DNS is in use, i.e. once this daemon has
  // started a DNS server, or when Podman's DNS config dir exists (a DNS network was used since boot).
  // Namespaces that never run DNS (most test and CI sandboxes) pay nothing.
  const podmanDnsDir = process.getuid?.() === 0 ? '/run/containers/networks/aardvark-dns' : process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'containers/networks/aardvark-dns') : undefined;
  const wantWarmDns = (): boolean => (dnsStart?.started() ?? 0) > 0 || (podmanDnsDir !== undefined && existsSync(podmanDnsDir));
  // one server serves every network of its config dir: while it runs, the next DNS network is a reload, not a start
  const dnsServing = (): boolean => [...(dnsStart?.dirs() ?? []), ...(podmanDnsDir ? [podmanDnsDir] : [])].some(serverRunning);
  // a warm skiff-dns is spawned between requests, with the thread in our own namespaces (dns-zygote.ts)
  const warmLater = (): void => {
    clearTimeout(warmTimer);
    warmTimer = setTimeout(() => {
      if (stopping || server?.busy) return;
      if (statSync('/proc/thread-self/ns/net').ino !== ns.net || statSync('/proc/thread-self/ns/mnt').ino !== ns.mnt) return;
      if (wantWarmDns() && !dnsServing()) zygote?.ensure();
    }, 250).unref();
  };

  const stop = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${reason}`);
    server?.close();
    if (socket && boundIno !== undefined) {
      try {
        if (statSync(socket).ino === boundIno) unlinkSync(socket);
      } catch {
        // already gone
      }
    }
    const exitWhenIdle = (): void => {
      if (server?.busy || (quick?.pending() ?? 0) > 0) setTimeout(exitWhenIdle, 20);
      else {
        // still holding the lock: a daemon waiting on this file sees it gone and takes a fresh one;
        // the clients' start-up lock (client.c may_start_daemon) goes too, nothing is left per namespace
        if (lockPath) {
          rmQuiet(`${socket as string}.spawn`);
          rmQuiet(lockPath);
        }
        process.exit(0);
      }
    };
    exitWhenIdle();
  };
  // a full GC once requests stop: per-request module instances are garbage, and
  // an idle daemon should give the memory back (RSS stays flat across requests)
  let gcTimer: NodeJS.Timeout | undefined;
  // later than the GC: a burst of requests with short pauses should not pay for faulting pages back
  const trimEnv = process.env.SKIFF_DAEMON_TRIM_MS;
  let trimMs = trimEnv === 'off' ? -1 : Number(trimEnv ?? TRIM_AFTER_MS);
  if (trimEnv !== 'off' && !(Number.isFinite(trimMs) && trimMs >= 0)) {
    log(`SKIFF_DAEMON_TRIM_MS=${String(trimEnv)}: not a number of milliseconds or \`off\`, using ${TRIM_AFTER_MS}`);
    trimMs = TRIM_AFTER_MS;
  }
  let trimTimer: NodeJS.Timeout | undefined;
  let trimmedKb = 0;
  const trim = (): void => {
    const t0 = performance.now();
    trimmedKb = trimIdleMemory();
    if (process.env.SKIFF_DAEMON_TRACE === '1') log(`idle: dropped ${trimmedKb} kB of file mappings in ${(performance.now() - t0).toFixed(1)} ms`);
  };
  let orphanTimer: NodeJS.Timeout | undefined;
  const checkOrphan = (): void => {
    const z = zygote?.pid();
    if (!server?.busy && netnsOrphaned(ns.net, new Set(z === undefined ? [] : [z]))) stop('no other process is in its network namespace, and no mount of it is left');
  };
  const armIdle = (): void => {
    clearTimeout(idleTimer);
    clearTimeout(gcTimer);
    clearTimeout(trimTimer);
    clearInterval(orphanTimer);
    gcTimer = setTimeout(fullGc, 500).unref();
    if (trimMs >= 0) trimTimer = setTimeout(trim, trimMs).unref();
    if (idleMs > 0) idleTimer = setTimeout(() => stop(`idle for ${idleMs} ms`), idleMs);
    // a socket-activated daemon serves the host's namespace, which is never orphaned
    if (!activated) orphanTimer = setInterval(checkOrphan, ORPHAN_CHECK_MS).unref();
  };

  server = serve({
    listenFd,
    build,
    cli: loadCliBundle(dist),
    stdio,
    ns,
    log,
    afterRequest,
    onStop: stop,
    trace: process.env.SKIFF_DAEMON_TRACE === '1',
    onActivity: (busy) => {
      if (!busy) {
        warmLater();
        return armIdle();
      }
      clearTimeout(idleTimer);
      clearTimeout(gcTimer);
      clearTimeout(trimTimer);
      clearTimeout(warmTimer);
      clearInterval(orphanTimer);
    },
    status: () => ({
      pid: process.pid,
      build,
      socket: socket ?? 'socket activation',
      uptime_ms: Date.now() - started,
      served,
      rss_bytes: process.memoryUsage.rss(),
      idle_trimmed_kb: trimmedKb,
      heap_used_bytes: process.memoryUsage().heapUsed,
      process_listeners: process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0),
      idle_exit_ms: idleMs,
      links_deleted_off_thread: quick?.served() ?? 0,
      nft_batches_skipped: nft?.skipped() ?? 0,
      dns_servers_started: dnsStart?.started() ?? 0,
      ...zygote?.status(),
    }),
  });
  armIdle();
  warmLater();
  if (process.env.SKIFF_DAEMON_QUICK_DELETE !== '0') quick = installQuickDelete(ns.net, log);
  if (process.env.SKIFF_DAEMON_NFT !== 'spawn') {
    nft = installInProcessNft(ns.net, log);
    const n = nft;
    setImmediate(() => n.preload());
  }
  // after the nft handler: it chains in front of it
  if (process.env.SKIFF_DAEMON_DNS_START !== 'spawn') {
    if (process.env.SKIFF_DAEMON_DNS_WARM !== '0') zygote = new DnsZygote(join(dist, 'dns-warm.cjs'), ns, log, () => {
      if (!server?.busy) warmLater();
    });
    dnsStart = installDnsStart(dist, log, zygote);
  }
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
  log(`serving ${socket ?? 'the activated socket'} (build ${build}, idle exit ${idleMs} ms)`);
}

/** How often an idle daemon looks whether anyone else is left in its network namespace (./orphan.ts). */
const ORPHAN_CHECK_MS = 2000;
// after this long without a request, skiffd gives back its read-only file mappings (src/lib/idle-trim.ts)
const TRIM_AFTER_MS = 2000;

/**
 * The socket's lock (its fd, kept open for life), or undefined if another
 * daemon holds it for `ms`; one of another build may still be on its way out.
 * A daemon removes its lock file as it exits, so a lock won on a file that is
 * no longer at `path` is worthless: start over on the current one.
 */
function lockWithin(path: string, ms: number): number | undefined {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + ms;
  for (;;) {
    const fd = openSync(path, 'a', 0o600);
    for (;;) {
      if (flock(fd, LOCK_EX | LOCK_NB)) break;
      if (Date.now() > end) {
        closeSync(fd);
        return undefined;
      }
      Atomics.wait(nap, 0, 0, 20);
    }
    if (stillNamed(fd, path)) return fd;
    closeSync(fd);
  }
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or not ours to tidy: a stale lock file is still a correct one
  }
}

function readBuildId(dist: string): string {
  try {
    return readFileSync(join(dist, 'build-id'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`skiffd: ${errorMessage(e)}\n`);
  process.exit(1);
}
