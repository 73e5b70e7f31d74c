// The long-running half of `skiff-dns run`: load, bind, report ready, then
// serve until SIGTERM or until a reload leaves no network. SIGHUP re-reads
// every file and /etc/resolv.conf; reloads never overlap (a SIGHUP that
// arrives during one runs another right after), and each completed reload
// publishes the digest of what it loaded beside the config dir so `skiff
// setup` can wait for its own change to be served (read-your-writes).
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { resolve as resolvePath, join } from 'node:path';
import { loadedFilePath, PID_FILE, serializeLoaded } from '../schemas/aardvark-config.js';
import { writeFileAtomic, removeFile } from '../src/lib/state-files.js';
import { trimIdleMemory } from '../src/lib/idle-trim.js';
import { fullGc } from '../src/lib/full-gc.js';
import type { Log } from '../src/lib/log.js';
import type { Args } from './args.js';
import { Backend } from './backend.js';
import { ConfigDir } from './config-dir.js';
import { RESOLV_CONF, readResolvConf } from './resolv-conf.js';
import { reportReady } from './readiness.js';
import { DnsServer } from './server.js';
import { ExtraReader } from './readers.js';

export async function runDaemon(args: Args, log: Log): Promise<void> {
  const dirPath = resolvePath(args.config);
  const pidPath = join(dirPath, PID_FILE);
  const loadedPath = loadedFilePath(dirPath);
  const dir = new ConfigDir(dirPath);
  // a SIGHUP's default action kills; netavark may send one as soon as the pid file exists
  let hupBeforeReady = false;
  let onHup = (): void => {
    hupBeforeReady = true;
  };
  process.on('SIGHUP', () => onHup());

  const resolv = readResolvConf();
  for (const w of resolv.warnings) log.warn(`${RESOLV_CONF}: ${w}`);
  const server = new DnsServer({
    port: args.port,
    searchDomain: args.searchDomain,
    noProxy: process.env.AARDVARK_NO_PROXY !== undefined,
    hostServers: resolv.servers,
    log,
  });

  let first;
  try {
    first = dir.load();
  } catch (e) {
    await reportReady({ ok: false, error: `cannot read config directory ${dirPath}: ${(e as Error).message}` });
    process.exit(1);
  }
  for (const err of first.errors) log.error(`skipping config file ${err}`);
  let current = new Backend(first.configs);
  const bindErrors = await server.apply(current);
  if (bindErrors.length > 0) {
    server.close();
    await reportReady({ ok: false, error: bindErrors.join('\n') });
    process.exit(1);
  }
  if (server.listening.length === 0) {
    // nothing to serve: succeed without leaving a daemon behind (aardvark-dns does the same)
    server.close();
    await reportReady({ ok: true });
    process.exit(0);
  }
  writeFileAtomic(pidPath, String(process.pid));
  writeFileAtomic(loadedPath, serializeLoaded(process.pid, first.digest));
  const reader = new ExtraReader(server, {
    dir: dirPath,
    port: args.port,
    searchDomain: args.searchDomain,
    noProxy: process.env.AARDVARK_NO_PROXY !== undefined,
    log,
  });

  let watchers: FSWatcher[] = [];
  const shutdown = (code: number): never => {
    reader.close();
    server.close();
    for (const w of watchers) w.close();
    removeIfOurs(pidPath);
    removeFile(loadedPath);
    removeFile(`${dirPath}.stats`);
    process.exit(code);
  };

  let reloading = false;
  let again = false;
  let reloads = 0;
  const reload = async (): Promise<void> => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    reloads++;
    try {
      do {
        again = false;
        const r = readResolvConf();
        server.setHostServers(r.servers);
        let loaded;
        try {
          loaded = dir.load();
        } catch (e) {
          log.error(`reload: cannot read ${dirPath}, keeping the current records: ${(e as Error).message}`);
          continue;
        }
        for (const err of loaded.errors) log.error(`reload: config file ${err}`);
        const t0 = performance.now();
        const backend = new Backend(loaded.configs, current);
        if (backend.bindIps().length === 0 && loaded.errors.length === 0) {
          // a SIGHUP that came in meanwhile may announce a new network: look again first
          if (again) continue;
          log.info('no networks left, exiting');
          shutdown(0);
        }
        current = backend;
        // announced once both threads answer from it
        await reader.reload(backend.bindIps(), async () => {
          for (const err of await server.apply(backend)) log.error(`reload: ${err}`);
        });
        writeFileAtomic(loadedPath, serializeLoaded(process.pid, loaded.digest));
        log.debug('reloaded', { listeners: server.listening.length, backendMs: +(performance.now() - t0).toFixed(2) });
      } while (again);
    } catch (e) {
      // keep serving what we have; the next SIGHUP tries again
      log.error(`reload failed: ${(e as Error).message}`);
    } finally {
      reloading = false;
    }
  };

  onHup = () => void reload();
  if (hupBeforeReady) void reload();
  // SIGUSR1: counters to <DIR>.stats (JSON) and the log, for "is DNS working?" questions
  process.on('SIGUSR1', () => {
    const memory = process.memoryUsage();
    // both threads' counters together; readerQueries: the UDP queries the reader threads took
    const counters: Record<string, number> = { ...server.stats };
    const extra = reader.counters();
    for (const [k, v] of Object.entries(extra)) if (k in counters) counters[k] = counters[k]! + v;
    const readers = {
      readerThreads: reader.started,
      readerActive: reader.active,
      readerLive: reader.live,
      readerQueries: extra.udp ?? 0,
      readerHandOffDropped: extra.handOffDropped ?? 0,
    };
    const stats = { pid: process.pid, listeners: server.listening, ...counters, ...readers, rssBytes: memory.rss, memory };
    log.info('stats', stats);
    try {
      writeFileAtomic(`${dirPath}.stats`, JSON.stringify(stats) + '\n');
    } catch (e) {
      log.warn(`cannot write stats: ${(e as Error).message}`);
    }
  });
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));

  await reportReady({ ok: true });
  // after the answer: setting up the watch took ~1 ms of the first DNS container's setup, and a change
  // between the read above and the watch is missed either way
  watchers = watchResolvConf(() => {
    const r = readResolvConf();
    for (const w of r.warnings) log.warn(`${RESOLV_CONF}: ${w}`);
    server.setHostServers(r.servers);
    log.debug('upstreams from resolv.conf', { servers: r.servers });
  });
  reader.begin();
  trimWhenQuiet(() => server.stats.udp + server.stats.tcp + (reader.counters().udp ?? 0) + reloads, log);
  log.info(`serving on ${server.listening.join(', ')} port ${args.port}`, { startupMs: Math.round(process.uptime() * 1000) });
}

/**
 * A server that has answered nothing and reloaded nothing for a whole
 * SKIFF_DNS_IDLE_TRIM_MS (default 15 s; `off`) collects its garbage and gives
 * back what starting Node touched once (src/lib/idle-trim.ts), once per quiet
 * spell: most of its RSS. Without the collection the old generation kept what
 * a thousand reloads had left (anonymous memory 9.7 MiB after 300 containers,
 * 17.9 after 1,000: bench/skiffd-rss.mjs). The next query faults back the
 * pages it needs. Checking a counter on a timer costs a busy server nothing per query.
 */
function trimWhenQuiet(activity: () => number, log: Log): void {
  const env = process.env.SKIFF_DNS_IDLE_TRIM_MS;
  if (env === 'off') return;
  let ms = env === undefined ? DEFAULT_IDLE_TRIM_MS : Number(env);
  if (!(Number.isFinite(ms) && ms > 0)) {
    log.warn(`SKIFF_DNS_IDLE_TRIM_MS=${env}: not a positive number of milliseconds, using ${DEFAULT_IDLE_TRIM_MS}`);
    ms = DEFAULT_IDLE_TRIM_MS;
  }
  let seen = activity();
  let trimmed = false;
  setInterval(() => {
    const now = activity();
    if (now !== seen) {
      seen = now;
      trimmed = false;
    } else if (!trimmed) {
      trimmed = true;
      fullGc();
      log.debug('idle: mappings dropped', { kB: trimIdleMemory() });
    }
  }, ms).unref();
}

const DEFAULT_IDLE_TRIM_MS = 15_000;

/**
 * Follows /etc/resolv.conf. Editors and resolvconf replace it by rename (seen
 * on /etc), a bind-mounted file only changes in place (seen on the file).
 */
function watchResolvConf(onChange: () => void): FSWatcher[] {
  let timer: NodeJS.Timeout | undefined;
  const poke = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, 50);
  };
  const out: FSWatcher[] = [];
  const tryWatch = (path: string, filter: (f: string | null) => boolean): void => {
    try {
      const w = watch(path, { persistent: false }, (_ev, f) => {
        if (filter(f)) poke();
      });
      w.on('error', () => w.close());
      out.push(w);
    } catch {
      /* not watchable here; SIGHUP still re-reads it */
    }
  };
  tryWatch('/etc', (f) => f === 'resolv.conf');
  tryWatch(RESOLV_CONF, () => true);
  return out;
}

function removeIfOurs(pidPath: string): void {
  try {
    // a newer daemon may own the pid file already; leave its file alone
    if (readFileSync(pidPath, 'utf8').trim() !== String(process.pid)) return;
  } catch {
    return;
  }
  removeFile(pidPath);
}
