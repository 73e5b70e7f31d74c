// Forwarding to upstream resolvers. Never silent: if no upstream gives a usable
// answer before the deadline (under 2 s in total), the caller gets `undefined`
// and answers SERVFAIL. Instead of waiting out a per-server budget, the next
// upstream is tried after a short stagger while the earlier ones may still
// answer; the first good reply wins. Each upstream has its own UDP socket,
// shared by all queries to it (own random ids, replies matched by id, source
// and question), so forwarding does not pay a socket per query — and an
// upstream whose address does not resolve (packets queued for ARP fill that
// socket's send buffer) cannot starve the others.
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { TcpFramer, frame } from './tcp-framer.js';
import { getId, sameQuestion, setId, RCODE_SERVFAIL } from './wire.js';
import { canonicalIp } from '../src/lib/ip.js';

export interface UpstreamOptions {
  port?: number;
  /** whole budget for one query, ms */
  deadlineMs?: number;
  /** wait this long for a reply before also asking the next upstream, ms */
  staggerMs?: number;
}

export type Done = (reply: Buffer | undefined) => void;

interface Pending {
  id: number;
  origId: number;
  packet: Buffer;
  qEnd: number;
  servers: readonly string[];
  /** one socket per server, same order; the query's id is registered in each */
  pools: Pool[];
  /** bit i set: servers[i] was asked (only their replies count) */
  asked: number;
  sent: number;
  fallback: Buffer | undefined;
  started: number;
  /** when to ask the next upstream (or the same one again) */
  nextAt: number;
  done: Done;
}

interface Pool {
  socket: Socket;
  server: string;
  /** canonical text of `server`, as the kernel reports a reply's source */
  address: string;
  pending: Map<number, Pending>;
  /** packets waiting for the socket to be connected (only right after it was created) */
  queue: Buffer[] | undefined;
  /** connecting failed: nothing can be sent through this socket */
  failed?: boolean;
}

const MAX_SENDS = 4;
/** replies that mean "this upstream cannot help": SERVFAIL, NOTIMP, REFUSED */
const RCODE_REFUSED_OR_FAIL = new Set([RCODE_SERVFAIL, 4, 5]);
/** sockets for upstreams nobody asked for a while are closed beyond this many */
const MAX_SOCKETS = 64;
/** how often in-flight queries are checked for their next step; bounds the SERVFAIL delay */
const SWEEP_MS = 25;

export class Forwarder {
  private readonly port: number;
  private readonly deadlineMs: number;
  private readonly staggerMs: number;
  private readonly sockets = new Map<string, Pool>();
  /** in-flight UDP queries, oldest first (insertion order): one sweep timer instead of timers per query */
  private readonly inflight = new Set<Pending>();
  private sweeper: NodeJS.Timeout | undefined;
  private ids = new Uint16Array(0);
  private idPos = 0;
  private closed = false;

  constructor(o: UpstreamOptions = {}) {
    this.port = o.port ?? 53;
    this.deadlineMs = o.deadlineMs ?? 1800;
    this.staggerMs = o.staggerMs ?? 400;
  }

  /** Unpredictable query ids (spoofed replies must guess them), drawn in batches. */
  private randomId(): number {
    if (this.idPos >= this.ids.length) {
      this.ids = new Uint16Array(randomBytes(8192).buffer);
      this.idPos = 0;
    }
    return this.ids[this.idPos++]!;
  }

  /** Forwards a UDP query (`packet` is the client's bytes; not modified). */
  forwardUdp(packet: Buffer, qEnd: number, servers: readonly string[], done: Done): void {
    if (servers.length === 0 || this.closed) return done(undefined);
    const pools = servers.map((s) => this.socketFor(s));
    let id = this.randomId();
    for (let tries = 0; pools.some((p) => p.pending.has(id)); tries++) {
      if (tries > 65536) return done(undefined); // every id in flight to one upstream: shed load
      id = (id + 1) & 0xffff;
    }
    const copy = Buffer.from(packet);
    setId(copy, id);
    const now = Date.now();
    const p: Pending = {
      id,
      origId: getId(packet),
      packet: copy,
      qEnd,
      servers,
      pools,
      asked: 0,
      sent: 0,
      fallback: undefined,
      started: now,
      nextAt: now,
      done,
    };
    for (const pool of pools) pool.pending.set(id, p);
    this.inflight.add(p);
    this.sendNext(p, now);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (const p of this.inflight) {
      if (now - p.started >= this.deadlineMs) this.finish(p, p.fallback);
      else if (now >= p.nextAt) this.sendNext(p, now);
      // later entries started later still: none of them can be due yet
      else if (now - p.started < this.staggerMs) break;
    }
    if (this.inflight.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private socketFor(server: string): Pool {
    const have = this.sockets.get(server);
    if (have) return have;
    if (this.sockets.size >= MAX_SOCKETS) {
      for (const [k, pool] of this.sockets) {
        if (pool.pending.size > 0) continue;
        pool.socket.close();
        this.sockets.delete(k);
        if (this.sockets.size < MAX_SOCKETS) break;
      }
    }
    const socket = createSocket({ type: server.includes(':') ? 'udp6' : 'udp4' });
    const pool: Pool = { socket, server, address: canonicalIp(server.split('%')[0]!) ?? server, pending: new Map(), queue: [] };
    socket.on('message', (msg, rinfo) => this.onReply(pool, msg, rinfo.address, rinfo.port));
    socket.on('error', () => {
      /* an unreachable upstream (ICMP errors arrive on connected sockets): the sweep moves on */
    });
    // connected: the kernel keeps the route (cheaper sends) and drops datagrams from anyone else
    socket.connect(this.port, server, (err?: Error) => {
      // no route to this upstream (ENETUNREACH...): the socket is not connected and can send nothing.
      // Its queries go on to the next upstream at once, or get SERVFAIL if none is left; the next query tries a fresh socket.
      if (err) return this.failPool(pool);
      try {
        // replies arrive in bursts under load; dropping them here would cost a retransmit each
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        /* capped by net.core.rmem_max */
      }
      const queued = pool.queue ?? [];
      pool.queue = undefined;
      for (const b of queued) if (!this.send(pool, b)) return;
    });
    socket.unref();
    this.sockets.set(server, pool);
    return pool;
  }

  private sendNext(p: Pending, now: number): void {
    for (;;) {
      // every upstream failed at once (no route): nothing can answer, so do not wait out the deadline
      if (p.pools.every((pool) => pool.failed)) return this.finish(p, p.fallback);
      // each upstream is asked at most twice: more retransmits would only multiply the load on a busy one
      if (p.sent >= Math.min(MAX_SENDS, 2 * p.servers.length)) {
        p.nextAt = Infinity;
        return;
      }
      // cycle through the servers: a retransmit to the first one covers a lost datagram
      const i = p.sent % p.servers.length;
      p.sent++;
      const pool = p.pools[i]!;
      if (pool.failed) continue; // skip it, without waiting a stagger
      p.asked |= 1 << i;
      p.nextAt = now + this.staggerMs;
      if (pool.queue) pool.queue.push(p.packet);
      else if (!this.send(pool, p.packet, p)) continue;
      return;
    }
  }

  /**
   * Sends on a pool's socket; false if it failed. A send that throws (a closed
   * or unconnected socket) must never escape into the event loop: that would
   * end the server for every network. No route on send (the route went away
   * after connect) fails the pool like a failed connect.
   */
  private send(pool: Pool, packet: Buffer, current?: Pending): boolean {
    try {
      pool.socket.send(packet, (err) => {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENETUNREACH' || code === 'EHOSTUNREACH') this.failPool(pool);
      });
      return true;
    } catch {
      this.failPool(pool, current);
      return false;
    }
  }

  /**
   * Nothing can be sent through this pool any more: close it, forget it (the next
   * query tries a fresh socket), and move on the queries whose latest try went
   * to it (`current` is moved on by its caller).
   */
  private failPool(pool: Pool, current?: Pending): void {
    if (pool.failed) return;
    pool.failed = true;
    pool.queue = undefined;
    if (this.sockets.get(pool.server) === pool) this.sockets.delete(pool.server);
    try {
      pool.socket.close();
    } catch {
      /* already closed */
    }
    const now = Date.now();
    for (const p of [...pool.pending.values()]) {
      if (p === current || !this.inflight.has(p)) continue;
      if (p.pools[(p.sent - 1) % p.servers.length] === pool) this.sendNext(p, now);
      else if (p.pools.every((x) => x.failed)) this.finish(p, p.fallback);
    }
  }

  private onReply(pool: Pool, msg: Buffer, address: string, port: number): void {
    if (msg.length < 12) return;
    const p = pool.pending.get(getId(msg));
    if (!p || port !== this.port || (address !== pool.address && canonicalIp(address) !== pool.address)) return;
    const i = p.pools.indexOf(pool);
    if (i < 0 || !(p.asked & (1 << i)) || !sameQuestion(p.packet, p.qEnd, msg)) return;
    const rcode = msg[3]! & 0xf;
    if (RCODE_REFUSED_OR_FAIL.has(rcode) && p.sent < Math.min(p.servers.length, MAX_SENDS)) {
      // this upstream cannot help; ask the next one now, keep this reply in case none can
      p.fallback = msg;
      this.sendNext(p, Date.now());
      return;
    }
    this.finish(p, msg);
  }

  private finish(p: Pending, reply: Buffer | undefined): void {
    if (!this.inflight.delete(p)) return;
    for (const pool of p.pools) if (pool.pending.get(p.id) === p) pool.pending.delete(p.id);
    if (reply) setId(reply, p.origId);
    p.done(reply);
  }

  /**
   * Forwards a query that came over TCP over TCP (a reply may be too big for
   * UDP). One connection per attempt, servers in turn, same overall deadline.
   */
  forwardTcp(packet: Buffer, servers: readonly string[], done: Done): void {
    if (servers.length === 0 || this.closed) return done(undefined);
    const started = Date.now();
    let finished = false;
    let fallback: Buffer | undefined;
    const finish = (r: Buffer | undefined): void => {
      if (finished) return;
      finished = true;
      done(r);
    };
    const attempt = (i: number): void => {
      const left = this.deadlineMs - (Date.now() - started);
      if (i >= servers.length || left <= 0) return finish(fallback);
      // give every remaining server a fair share of what is left
      const budget = Math.max(50, Math.floor(left / (servers.length - i)));
      const sock = connect({ host: servers[i]!, port: this.port });
      const framer = new TcpFramer();
      let moved = false;
      const next = (): void => {
        if (moved) return;
        moved = true;
        clearTimeout(timer);
        sock.destroy();
        attempt(i + 1);
      };
      const timer = setTimeout(next, budget);
      sock.on('connect', () => sock.write(frame(packet)));
      sock.on('data', (chunk: Buffer) => {
        if (framer.buffered > 70000) return next();
        for (const msg of framer.push(chunk)) {
          if (moved || msg.length < 12 || getId(msg) !== getId(packet)) continue;
          if (RCODE_REFUSED_OR_FAIL.has(msg[3]! & 0xf) && i + 1 < servers.length) {
            fallback = Buffer.from(msg);
            return next();
          }
          moved = true;
          clearTimeout(timer);
          sock.destroy();
          return finish(Buffer.from(msg));
        }
      });
      sock.on('error', next);
      sock.on('close', next);
    };
    attempt(0);
  }

  close(): void {
    this.closed = true;
    for (const p of [...this.inflight]) this.finish(p, undefined);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const pool of this.sockets.values()) pool.socket.close();
    this.sockets.clear();
  }
}
