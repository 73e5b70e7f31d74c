// Sockets: one UDP socket and one TCP listener per bind IP. A reload swaps the
// whole Backend in one assignment and then opens/closes only the listeners
// whose IP came or went, so queries in flight never see a half-built record
// set and unchanged sockets are never touched.
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import type { Log } from '../src/lib/log.js';
import { Backend } from './backend.js';
import { ReplyCache } from './cache.js';
import { canonicalSource, resolve, type ResolveOptions } from './resolve.js';
import { TcpFramer, frame } from './tcp-framer.js';
import { Forwarder, type UpstreamOptions } from './upstream.js';
import { portOwner } from './port-owner.js';
import { SourcePolicy } from './source-policy.js';
import { NativeUdpSocket, nativeUdpAvailable } from './udp-native.js';
import {
  buildEmptyReply,
  buildHeaderReply,
  buildMixedReply,
  buildReply,
  parseQuery,
  scanResponse,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  type Query,
} from './wire.js';

export interface ServerOptions {
  port: number;
  searchDomain: string;
  noProxy: boolean;
  hostServers: readonly string[];
  log: Log;
  upstream?: UpstreamOptions;
  /** close a TCP connection after this long without a complete query, ms */
  tcpIdleMs?: number;
  cache?: ReplyCache;
  /**
   * A reader thread's server: queries that would go upstream (or be answered
   * from the cache) are handed to this instead, so that one cache and one set
   * of upstream sockets serve the whole process (dns/reader-thread.ts).
   */
  handOff?: (query: Buffer, address: string, port: number, listenerIp: string) => void;
}

/** decide(): the query is for the main thread (ServerOptions.handOff) */
const HAND_OFF = Symbol('hand-off');

/** A listener's UDP socket: recvmmsg/sendmmsg (dns/udp-native.ts), or dgram where that is not available. */
type Udp = { kind: 'native'; sock: NativeUdpSocket } | { kind: 'dgram'; sock: UdpSocket };

interface Listener {
  ip: string;
  udp: Udp;
  tcp: TcpServer;
  conns: Set<TcpSocket>;
}

interface ForwardJob {
  q: Query;
  servers: readonly string[];
  key: string;
}

/** UDP queries between two calls of onUdpSample */
export const UDP_SAMPLE = 256;
const MAX_TCP_CONNS = 1024;
const MAX_TCP_INFLIGHT = 64;
const MAX_TCP_UNREAD = 64 * 1024;
/** queries handled per connection per event-loop turn: a flood on one connection must not starve UDP and the others */
const TCP_SLICE = 4;
/** queries received but not yet handled, per connection */
const MAX_TCP_QUEUED = 4096;

export class DnsServer {
  private backend = new Backend([]);
  private readonly listeners = new Map<string, Listener>();
  private readonly forwarder: Forwarder;
  private readonly cache: ReplyCache;
  private readonly resolveOpts: ResolveOptions;
  private readonly tcpIdleMs: number;
  private tcpConns = 0;
  /** UDP through dns/udp-native.ts (else dgram) */
  readonly native: boolean;
  /** counters since start, for SIGUSR1 (see daemon.ts) */
  readonly stats = { udp: 0, tcp: 0, local: 0, nxdomain: 0, forwarded: 0, cacheHits: 0, servfail: 0, malformed: 0, refused: 0 };
  private readonly sources = new SourcePolicy((s) => this.backend.requesters.has(s));
  /** called every UDP_SAMPLE UDP queries (dns/readers.ts: is a second reader worth it?) */
  onUdpSample: (() => void) | undefined;

  constructor(private readonly o: ServerOptions) {
    this.native = nativeUdpAvailable();
    this.forwarder = new Forwarder(o.upstream);
    this.cache = o.cache ?? new ReplyCache();
    this.resolveOpts = { searchDomain: o.searchDomain, noProxy: o.noProxy, hostServers: o.hostServers };
    this.tcpIdleMs = o.tcpIdleMs ?? 3000;
  }

  setHostServers(servers: readonly string[]): void {
    this.resolveOpts.hostServers = servers;
  }

  get listening(): string[] {
    return [...this.listeners.keys()];
  }

  /**
   * Serves `backend` from now on, then binds new IPs and closes dropped ones.
   * Returns one message per listener that could not be bound; the rest keep going.
   */
  async apply(backend: Backend): Promise<string[]> {
    this.setBackend(backend);
    const want = new Set(backend.bindIps());
    const errors: string[] = [];
    for (const [ip, l] of this.listeners) {
      if (!want.has(ip)) {
        this.listeners.delete(ip);
        this.closeListener(l);
      }
    }
    await Promise.all(
      [...want].filter((ip) => !this.listeners.has(ip)).map(async (ip) => {
        try {
          this.listeners.set(ip, await this.openListener(ip));
        } catch (e) {
          errors.push((e as Error).message);
        }
      }),
    );
    return errors;
  }

  /**
   * Answers from `backend` from now on, without touching listeners (a reader
   * thread's sockets are its main thread's: dns/reader-thread.ts).
   */
  setBackend(backend: Backend): void {
    const before = this.backend.bindIps();
    this.backend = backend;
    const now = backend.bindIps();
    // the namespace's own addresses change with the networks served (a gateway per network):
    // re-read them (a netlink dump) only then; allows() still looks again for an unknown source
    if (now.length !== before.length || now.some((ip, i) => ip !== before[i])) this.sources.refresh();
  }

  /** The native UDP socket of each listener (none on the dgram fallback), for a reader thread to read too. */
  nativeSockets(): Map<string, NativeUdpSocket> {
    const out = new Map<string, NativeUdpSocket>();
    for (const [ip, l] of this.listeners) if (l.udp.kind === 'native') out.set(ip, l.udp.sock);
    return out;
  }

  /**
   * Answers the UDP queries arriving on `udp` (a socket listening on `ip`):
   * the listeners' own sockets, and in a reader thread, its copies of them.
   */
  serveUdp(ip: string, udp: Udp): void {
    if (udp.kind === 'native') {
      udp.sock.start((msg, address, port, reply) => {
        if (++this.stats.udp % UDP_SAMPLE === 0) this.onUdpSample?.();
        this.handleUdp(reply, msg, address, port, ip);
      });
      return;
    }
    const sock = udp.sock;
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (++this.stats.udp % UDP_SAMPLE === 0) this.onUdpSample?.();
      this.handleUdp((out) => sock.send(out, rinfo.port, rinfo.address), msg, rinfo.address, rinfo.port, ip);
    });
    sock.on('error', (e) => this.o.log.warn(`udp listener ${ip}:${this.o.port}: ${e.message}`));
  }

  /** A UDP query a reader thread handed over (counted there): answered through our listener on `ip`. */
  handleHandedOff(msg: Buffer, address: string, port: number, ip: string): void {
    const l = this.listeners.get(ip);
    if (!l) return;
    const udp = l.udp;
    this.handleUdp(udp.kind === 'native' ? (out) => udp.sock.sendTo(out, address, port) : (out) => udp.sock.send(out, port, address), msg, address, port, ip);
  }

  private handleUdp(send: (answer: Buffer) => void, msg: Buffer, address: string, port: number, ip: string): void {
    const out = this.answer(msg, address, ip, false);
    if (out === undefined) return;
    if (out === HAND_OFF) {
      this.o.handOff?.(msg, address, port, ip);
      return;
    }
    if (Buffer.isBuffer(out)) {
      send(out);
      return;
    }
    this.forwarder.forwardUdp(msg, out.q.questionEnd, out.servers, (reply) => {
      try {
        send(this.relay(msg, out, reply));
      } catch {
        /* the listener closed meanwhile (its network went away on reload) */
      }
    });
  }

  close(): void {
    for (const l of this.listeners.values()) this.closeListener(l);
    this.listeners.clear();
    this.forwarder.close();
  }

  /** Answers locally when it can; otherwise says where to forward. Never throws. */
  private answer(msg: Buffer, address: string, listenerIp: string, tcp: boolean): Buffer | ForwardJob | typeof HAND_OFF | undefined {
    try {
      return this.decide(msg, address, listenerIp, tcp);
    } catch (e) {
      // a bug must cost one query, not the daemon
      this.o.log.error(`query from ${address} failed: ${(e as Error).message}`);
      return msg.length >= 12 ? buildHeaderReply(msg, RCODE_SERVFAIL) : undefined;
    }
  }

  private decide(msg: Buffer, address: string, listenerIp: string, tcp: boolean): Buffer | ForwardJob | typeof HAND_OFF | undefined {
    const r = parseQuery(msg);
    if (!r.ok) {
      this.stats.malformed++;
      if (r.reply === 'drop') return undefined;
      return buildHeaderReply(msg, r.reply === 'formerr' ? RCODE_FORMERR : RCODE_NOTIMP);
    }
    const q = r.query;
    const source = canonicalSource(address);
    if (!this.sources.allows(source)) {
      this.stats.refused++;
      return buildEmptyReply(msg, q, RCODE_REFUSED, false);
    }
    const maxSize = tcp ? 65535 : q.udpSize;
    const d = resolve(q, source, listenerIp, this.backend, this.resolveOpts);
    switch (d.kind) {
      case 'answer':
        this.stats.local++;
        return buildReply(msg, q, RCODE_NOERROR, d.type, d.rdatas, maxSize);
      case 'answer-any':
        this.stats.local++;
        return buildMixedReply(msg, q, d.answers, maxSize);
      case 'nxdomain':
        this.stats.nxdomain++;
        return buildEmptyReply(msg, q, RCODE_NXDOMAIN, true);
      case 'forward': {
        if (this.o.handOff && !tcp) return HAND_OFF;
        if (d.servers.length === 0) {
          this.stats.servfail++;
          return buildEmptyReply(msg, q, RCODE_SERVFAIL, false);
        }
        const key = ReplyCache.key(d.servers, q.name, q.type, q.qclass, q.udpSize);
        const hit = this.cache.get(key, q.id);
        if (hit && hit.length <= maxSize) {
          this.stats.cacheHits++;
          return hit;
        }
        this.stats.forwarded++;
        return { q, servers: d.servers, key };
      }
    }
  }

  private relay(msg: Buffer, job: ForwardJob, reply: Buffer | undefined): Buffer {
    if (!reply) {
      this.stats.servfail++;
      this.o.log.debug('no upstream answered', { name: job.q.name, servers: job.servers });
      return buildEmptyReply(msg, job.q, RCODE_SERVFAIL, false);
    }
    const scan = scanResponse(reply);
    if (scan) this.cache.put(job.key, reply, scan);
    return reply;
  }

  private async openListener(ip: string): Promise<Listener> {
    const udp = await bindUdp(ip, this.o.port, this.native);
    let tcp: TcpServer;
    try {
      tcp = await this.bindTcp(ip);
    } catch (e) {
      udp.sock.close();
      throw e;
    }
    const l: Listener = { ip, udp, tcp, conns: new Set() };
    this.serveUdp(ip, udp);
    tcp.on('connection', (sock) => this.onTcp(l, sock));
    tcp.on('error', (e) => this.o.log.warn(`tcp listener ${ip}:${this.o.port}: ${e.message}`));
    return l;
  }

  private bindTcp(ip: string): Promise<TcpServer> {
    return retryAddrNotAvail(
      () =>
        new Promise<TcpServer>((resolve, reject) => {
          const srv = createServer({ pauseOnConnect: false });
          srv.once('error', (e) => {
            srv.close();
            reject(new Error(`failed to bind tcp listener on ${fmtAddr(ip, this.o.port)}: ${errText(e, 'tcp', ip, this.o.port)}`, { cause: e }));
          });
          srv.listen({ host: ip, port: this.o.port, ipv6Only: ip.includes(':'), backlog: 511, exclusive: true }, () => {
            srv.removeAllListeners('error');
            resolve(srv);
          });
        }),
    );
  }

  private onTcp(l: Listener, sock: TcpSocket): void {
    if (this.tcpConns >= MAX_TCP_CONNS) {
      sock.destroy();
      return;
    }
    this.tcpConns++;
    l.conns.add(sock);
    const framer = new TcpFramer();
    let inflight = 0;
    sock.setNoDelay(true);
    // idle = no complete message for tcpIdleMs: bytes trickling in (slowloris) do not keep a connection
    const idle = setTimeout(() => sock.destroy(), this.tcpIdleMs);
    const queue: Buffer[] = [];
    let head = 0;
    let draining = false;
    const handle = (msg: Buffer): void => {
      this.stats.tcp++;
      const out = this.answer(msg, sock.remoteAddress ?? '', l.ip, true);
      if (out === undefined || out === HAND_OFF) return;
      if (Buffer.isBuffer(out)) {
        sock.write(frame(out));
      } else if (inflight >= MAX_TCP_INFLIGHT) {
        sock.write(frame(buildEmptyReply(msg, out.q, RCODE_SERVFAIL, false)));
      } else {
        inflight++;
        this.forwarder.forwardTcp(msg, out.servers, (reply) => {
          inflight--;
          if (!sock.destroyed) sock.write(frame(this.relay(msg, out, reply)));
        });
      }
      // a client that sends but never reads must not make us buffer replies without end
      if (sock.writableLength > MAX_TCP_UNREAD) sock.destroy();
    };
    const drain = (): void => {
      for (let n = 0; n < TCP_SLICE && head < queue.length && !sock.destroyed; n++) handle(queue[head++]!);
      if (sock.destroyed) return;
      if (head < queue.length) {
        setImmediate(drain);
        return;
      }
      queue.length = 0;
      head = 0;
      draining = false;
      sock.resume();
    };
    sock.on('data', (chunk: Buffer) => {
      let msgs: Buffer[];
      try {
        msgs = framer.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      if (msgs.length === 0) return;
      // a zero-length frame is no DNS message: a broken or hostile client
      if (msgs.some((m) => m.length === 0) || queue.length - head + msgs.length > MAX_TCP_QUEUED) {
        sock.destroy();
        return;
      }
      idle.refresh();
      queue.push(...msgs);
      if (draining) return;
      draining = true;
      sock.pause();
      drain();
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      clearTimeout(idle);
      this.tcpConns--;
      l.conns.delete(sock);
    });
  }

  private closeListener(l: Listener): void {
    l.udp.sock.close();
    l.tcp.close();
    for (const c of l.conns) c.destroy();
  }
}

async function bindUdp(ip: string, port: number, native: boolean): Promise<Udp> {
  if (native) {
    return retryAddrNotAvail(async () => {
      try {
        return { kind: 'native', sock: NativeUdpSocket.open(ip, port) };
      } catch (e) {
        throw new Error(`failed to bind udp listener on ${fmtAddr(ip, port)}: ${errText(e as Error, 'udp', ip, port)}`, { cause: e });
      }
    });
  }
  return { kind: 'dgram', sock: await bindDgram(ip, port) };
}

function bindDgram(ip: string, port: number): Promise<UdpSocket> {
  return retryAddrNotAvail(
    () =>
      new Promise<UdpSocket>((resolve, reject) => {
        const s = createSocket({ type: ip.includes(':') ? 'udp6' : 'udp4', ipv6Only: ip.includes(':'), lookup: literalLookup });
        s.once('error', (e) => {
          s.close();
          reject(new Error(`failed to bind udp listener on ${fmtAddr(ip, port)}: ${errText(e, 'udp', ip, port)}`, { cause: e }));
        });
        s.bind({ address: ip, port, exclusive: true }, () => {
          s.removeAllListeners('error');
          try {
            // bursts of queries must queue in the kernel, not be dropped
            s.setRecvBufferSize(4 * 1024 * 1024);
          } catch {
            /* capped by net.core.rmem_max; the default still works */
          }
          resolve(s);
        });
      }),
  );
}

/**
 * Replies go to the address the query came from, always an IP literal: skip
 * dns.lookup (and the tick it defers each send by).
 */
function literalLookup(address: string, family: unknown, cb: (err: Error | null, address: string, family: number) => void): void {
  cb(null, address, address.includes(':') ? 6 : 4);
}

/** A fresh IPv6 gateway may still be tentative (DAD) for a moment: retry briefly. */
async function retryAddrNotAvail<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      if (code !== 'EADDRNOTAVAIL' || i >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function fmtAddr(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function errText(e: Error, proto: 'udp' | 'tcp', ip: string, port: number): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    const owner = portOwner(proto, ip, port);
    return `Address already in use${owner ? ` (held by ${owner})` : ''}`;
  }
  return code === 'EADDRNOTAVAIL' ? 'Cannot assign requested address' : e.message;
}
