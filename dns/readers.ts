// A second thread reading the server's UDP sockets, started when queries come
// fast and ended when they have been slow for a while (dns/reader-thread.ts
// says what it does). One JS thread answers tens of thousands of queries a second, but a
// query that arrives while it is busy, collecting garbage or descheduled
// waits for all of that: the tail (p99) of a busy server is its waits. Idle
// servers (nearly all of them: containers ask a few names a minute) never
// start it and pay nothing, not even a timer.
//
// SKIFF_DNS_READER_QPS: the rate (UDP queries a second) that starts the reader
// (default 2000); 0 starts it with the server and keeps it; `off` never starts
// it (also the default on a single CPU). SKIFF_DNS_READER_IDLE_MS: how long the
// rate stays below a quarter of that before the reader ends (default 30000).
import { closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Log } from '../src/lib/log.js';
import { isFromReader, READER_ROLE, type Counters, type ReaderInit, type ReaderSocket } from './reader-protocol.js';
import { UDP_SAMPLE, type DnsServer } from './server.js';

const DEFAULT_QPS = 2000;
const DEFAULT_IDLE_MS = 30_000;
/** a sync the reader has not answered by then: it is stuck, and reloads must not wait for it */
const SYNC_TIMEOUT_MS = 2000;
/** after a reader failed: no new one for this long */
const BACKOFF_MS = 10_000;

export interface ReaderOptions {
  dir: string;
  port: number;
  searchDomain: string;
  noProxy: boolean;
  log: Log;
  env?: NodeJS.ProcessEnv;
}

/** The start rate from the environment: undefined = never. */
export function readerQps(env: NodeJS.ProcessEnv, cpus = availableParallelism()): number | undefined {
  const v = env.SKIFF_DNS_READER_QPS;
  if (v === 'off') return undefined;
  if (v !== undefined && v !== '' && /^\d+$/.test(v)) return Number(v);
  return cpus < 2 ? undefined : DEFAULT_QPS;
}

interface Running {
  worker: Worker;
  /** loaded and listening for syncs: until then reloads do not wait for it (a thread's start-up can take long on a busy host) */
  ready: boolean;
  /**
   * The descriptor copies the reader holds (or is being handed), by listener IP. Ours to close once the
   * thread is gone without closing them itself (it crashed, or was ended for not answering): its sockets'
   * descriptors do not close with it, and a leaked copy keeps the address bound.
   */
  fds: Map<string, number>;
  stats: Counters;
  seq: number;
  waiting: Map<number, (adopted: number[] | undefined) => void>;
  retire?: NodeJS.Timeout;
}

export class ExtraReader {
  private readonly qps: number | undefined;
  private readonly idleMs: number;
  private running: Running | undefined;
  /** running or still finishing after stop() */
  private readonly liveSet = new Set<Running>();
  private lastSample = 0;
  private notBefore = 0;
  /** counters of readers that ended, so totals never go back */
  private ended: Counters = {};
  private chain: Promise<void> = Promise.resolve();
  started = 0;

  constructor(
    private readonly server: DnsServer,
    private readonly o: ReaderOptions,
  ) {
    const env = o.env ?? process.env;
    this.qps = readerQps(env);
    const q = env.SKIFF_DNS_READER_QPS;
    if (q && q !== 'off' && !/^\d+$/.test(q)) o.log.warn(`SKIFF_DNS_READER_QPS=${q} is neither a number of queries a second nor "off": using the default`);
    const idle = env.SKIFF_DNS_READER_IDLE_MS;
    this.idleMs = idle && /^\d+$/.test(idle) && Number(idle) > 0 ? Number(idle) : DEFAULT_IDLE_MS;
    if (idle && this.idleMs !== Number(idle)) o.log.warn(`SKIFF_DNS_READER_IDLE_MS=${idle} is not a positive number of milliseconds: using ${DEFAULT_IDLE_MS}`);
  }

  /** After the server first serves. */
  begin(): void {
    // the reader reads copies of native sockets (dgram has no descriptor to copy)
    if (this.qps === undefined || !this.server.native) return;
    if (this.qps === 0) this.spawn();
    else this.server.onUdpSample = () => this.sample();
  }

  /** Called every UDP_SAMPLE UDP queries: fast enough for a reader? */
  private sample(): void {
    const now = performance.now();
    const ms = now - this.lastSample;
    this.lastSample = now;
    if (this.running || now < this.notBefore || this.qps === undefined) return;
    if ((UDP_SAMPLE * 1000) / ms >= this.qps) this.spawn();
  }

  private spawn(): void {
    const self = fileURLToPath(import.meta.url);
    // the bundle holds the reader too (and starts it when loaded as one); a tsc build has it beside us
    const entry = self.endsWith('.cjs') ? self : join(dirname(self), 'reader-thread.js');
    const handOffs = new SharedArrayBuffer(8);
    const taken = new Int32Array(handOffs);
    const init: ReaderInit = { role: READER_ROLE, dir: this.o.dir, port: this.o.port, searchDomain: this.o.searchDomain, noProxy: this.o.noProxy, handOffs };
    let worker: Worker;
    try {
      worker = new Worker(entry, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    } catch (e) {
      this.failed(`cannot start a reader thread: ${(e as Error).message}`);
      return;
    }
    const r: Running = { worker, ready: false, fds: new Map(), stats: {}, seq: 0, waiting: new Map() };
    this.running = r;
    this.liveSet.add(r);
    this.started++;
    worker.on('message', (m: unknown) => {
      if (!isFromReader(m)) return;
      switch (m.t) {
        case 'hello':
          // the first sync hands it the listeners; a reload meanwhile waits for that (it is quick), not for a start-up
          r.ready = true;
          void this.sync();
          break;
        case 'stats':
          r.stats = m.stats;
          break;
        case 'forward':
          Atomics.add(taken, 1, 1);
          this.server.handleHandedOff(Buffer.from(m.query.buffer, m.query.byteOffset, m.query.byteLength), m.address, m.port, m.ip);
          break;
        case 'synced':
          r.waiting.get(m.seq)?.(m.adopted);
          for (const e of m.errors) this.o.log.warn(e);
          break;
      }
    });
    worker.on('error', (e) => this.o.log.warn(`dns reader thread failed: ${e.message}`));
    worker.on('exit', () => {
      for (const done of r.waiting.values()) done(undefined);
      r.waiting.clear();
      if (r.retire) clearInterval(r.retire);
      for (const fd of r.fds.values()) closeQuietly(fd);
      r.fds.clear();
      this.liveSet.delete(r);
      this.add(r.stats);
      if (this.running === r) this.failed('dns reader thread ended unexpectedly');
    });
    this.o.log.debug('dns reader thread started');
    if (this.qps) this.watchForIdle(r);
  }

  private failed(why: string): void {
    this.o.log.warn(why);
    this.running = undefined;
    this.notBefore = performance.now() + BACKOFF_MS;
    if (this.qps === 0) setTimeout(() => this.running ?? this.spawn(), BACKOFF_MS).unref();
  }

  private watchForIdle(r: Running): void {
    let last = this.total(r);
    let slowFor = 0;
    r.retire = setInterval(() => {
      const now = this.total(r);
      slowFor = now - last < this.qps! / 4 ? slowFor + 1000 : 0;
      last = now;
      if (slowFor >= this.idleMs) this.stop();
    }, 1000).unref();
  }

  private total(r: Running): number {
    return this.server.stats.udp + (r.stats.udp ?? 0);
  }

  /** Ends the reader: it stops reading at once (what it handed over is the main thread's). */
  stop(): void {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    if (r.retire) clearInterval(r.retire);
    r.fds.clear(); // it closes them all itself
    this.o.log.debug('dns reader thread retiring');
    r.worker.postMessage({ t: 'stop' });
  }

  /**
   * A reload of both threads: the reader re-reads the config dir while the
   * main thread does (`apply`: its own backend and listeners for `nextIps`),
   * and this resolves once both answer from what they read. The reader drops
   * a listener going away before the main thread closes its own descriptor:
   * only then is the socket really closed, and its address free to bind again.
   * New listeners are handed over after `apply`.
   */
  async reload(nextIps: readonly string[], apply: () => Promise<void>): Promise<void> {
    const r = this.running;
    if (!r?.ready) return apply();
    const keep = [...r.fds.keys()].filter((ip) => nextIps.includes(ip));
    const early = this.sync(keep);
    if (keep.length < r.fds.size) await early;
    await apply();
    await early;
    if ([...this.server.nativeSockets().keys()].some((ip) => !r.fds.has(ip))) await this.sync();
  }

  /** The reader reloads the config dir and reads every current listener (`only`: just these). */
  sync(only?: readonly string[]): Promise<void> {
    const next = this.chain.then(() => this.syncNow(only));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async syncNow(only?: readonly string[]): Promise<void> {
    const r = this.running;
    if (!r?.ready) return;
    const sockets: ReaderSocket[] = [];
    const given: number[] = [];
    const listeners = this.server.nativeSockets();
    // the reader closes the copies of listeners not in this sync: no longer ours to close, whatever happens next
    for (const ip of r.fds.keys()) if (!listeners.has(ip) || (only && !only.includes(ip))) r.fds.delete(ip);
    for (const [ip, sock] of listeners) {
      if (only && !only.includes(ip)) continue;
      if (r.fds.has(ip)) {
        sockets.push({ ip });
        continue;
      }
      try {
        const copy = sock.dup();
        given.push(copy);
        r.fds.set(ip, copy);
        sockets.push({ ip, fd: copy });
      } catch (e) {
        this.o.log.warn(`dns reader thread: ${(e as Error).message}`);
      }
    }
    const seq = ++r.seq;
    const adopted = await new Promise<number[] | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), SYNC_TIMEOUT_MS);
      r.waiting.set(seq, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      r.worker.postMessage({ t: 'sync', seq, sockets });
    });
    r.waiting.delete(seq);
    if (adopted === undefined) {
      // it may still take this sync's copies before it ends: they are closed when it has (the 'exit' handler)
      if (this.running === r) {
        this.running = undefined;
        this.failed('dns reader thread did not answer; ended');
      }
      void r.worker.terminate();
      return;
    }
    // copies the reader did not take are ours to close
    for (const [ip, fd] of r.fds) {
      if (given.includes(fd) && !adopted.includes(fd)) {
        closeQuietly(fd);
        r.fds.delete(ip);
      }
    }
  }

  /** Counters of the reader threads (running and ended), to add to the main thread's. */
  counters(): Counters {
    const out = { ...this.ended };
    for (const r of this.liveSet) for (const [k, v] of Object.entries(r.stats)) out[k] = (out[k] ?? 0) + v;
    return out;
  }

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Reader threads still alive (reading, or ending after stop()). */
  get live(): number {
    return this.liveSet.size;
  }

  private add(stats: Counters): void {
    for (const [k, v] of Object.entries(stats)) this.ended[k] = (this.ended[k] ?? 0) + v;
  }

  close(): void {
    const r = this.running;
    this.running = undefined;
    if (r) void r.worker.terminate();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already gone */
  }
}
