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
import { randomInt } from 'node:crypto';
import { TcpFramer, frame } from './tcp-framer.js';
import { getId, sameQuestion, setId, RCODE_SERVFAIL } from './wire.js';
import { canonicalIp } from './ip.js';

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
  asked: Set<string>;
  sent: number;
  fallback: Buffer | undefined;
  stagger: NodeJS.Timeout | undefined;
  deadline: NodeJS.Timeout;
  /** upstream → its socket; the query's id is registered in each */
  pools: Map<string, Pool>;
  done: Done;
}

interface Pool {
  socket: Socket;
  pending: Map<number, Pending>;
}

const MAX_SENDS = 4;
/** replies that mean "this upstream cannot help": SERVFAIL, NOTIMP, REFUSED */
const RCODE_REFUSED_OR_FAIL = new Set([RCODE_SERVFAIL, 4, 5]);
/** sockets for upstreams nobody asked for a while are closed beyond this many */
const MAX_SOCKETS = 64;

export class Forwarder {
  private readonly port: number;
  private readonly deadlineMs: number;
  private readonly staggerMs: number;
  private readonly sockets = new Map<string, Pool>();
  private closed = false;

  constructor(o: UpstreamOptions = {}) {
    this.port = o.port ?? 53;
    this.deadlineMs = o.deadlineMs ?? 1800;
    this.staggerMs = o.staggerMs ?? 400;
  }

  /** Forwards a UDP query (`packet` is the client's bytes; not modified). */
  forwardUdp(packet: Buffer, qEnd: number, servers: readonly string[], done: Done): void {
    if (servers.length === 0 || this.closed) return done(undefined);
    const pools = new Map<string, Pool>();
    for (const s of servers) pools.set(s, this.socketFor(s));
    const inUse = (id: number): boolean => {
      for (const p of pools.values()) if (p.pending.has(id)) return true;
      return false;
    };
    let id = randomInt(0, 65536);
    for (let tries = 0; inUse(id) && tries < 65536; tries++) id = (id + 1) & 0xffff;
    if (inUse(id)) return done(undefined); // 65536 queries in flight to one upstream: shed load
    const copy = Buffer.from(packet);
    setId(copy, id);
    const p: Pending = {
      id,
      origId: getId(packet),
      packet: copy,
      qEnd,
      servers,
      asked: new Set(),
      sent: 0,
      fallback: undefined,
      stagger: undefined,
      deadline: setTimeout(() => this.finish(p, p.fallback), this.deadlineMs),
      pools,
      done,
    };
    for (const pool of pools.values()) pool.pending.set(id, p);
    this.sendNext(p);
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
    const pool: Pool = { socket, pending: new Map() };
    socket.on('message', (msg, rinfo) => this.onReply(pool, msg, rinfo.address, rinfo.port));
    socket.on('error', () => {
      /* per-send errors are reported to the send callback; keep the socket */
    });
    socket.bind(0);
    socket.unref();
    this.sockets.set(server, pool);
    return pool;
  }

  private sendNext(p: Pending): void {
    if (p.sent >= MAX_SENDS) return;
    // cycle through the servers: a retransmit to the first one covers a lost datagram
    const server = p.servers[p.sent % p.servers.length]!;
    p.sent++;
    p.asked.add(canonicalIp(server) ?? server);
    p.pools.get(server)?.socket.send(p.packet, this.port, server, () => {
      /* unreachable upstream: the stagger timer moves on */
    });
    p.stagger = setTimeout(() => this.sendNext(p), this.staggerMs);
  }

  private onReply(pool: Pool, msg: Buffer, address: string, port: number): void {
    if (msg.length < 12) return;
    const p = pool.pending.get(getId(msg));
    if (!p || port !== this.port || !p.asked.has(canonicalIp(address) ?? address)) return;
    if (!sameQuestion(p.packet, p.qEnd, msg)) return;
    const rcode = msg[3]! & 0xf;
    if (RCODE_REFUSED_OR_FAIL.has(rcode) && p.sent < Math.min(p.servers.length, MAX_SENDS)) {
      // this upstream cannot help; ask the next one now, keep this reply in case none can
      p.fallback = msg;
      if (p.stagger) clearTimeout(p.stagger);
      this.sendNext(p);
      return;
    }
    this.finish(p, msg);
  }

  private finish(p: Pending, reply: Buffer | undefined): void {
    let live = false;
    for (const pool of p.pools.values()) {
      if (pool.pending.get(p.id) === p) {
        live = true;
        pool.pending.delete(p.id);
      }
    }
    if (!live) return;
    clearTimeout(p.deadline);
    if (p.stagger) clearTimeout(p.stagger);
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
    for (const pool of this.sockets.values()) {
      for (const p of [...pool.pending.values()]) this.finish(p, undefined);
      pool.socket.close();
    }
    this.sockets.clear();
  }
}
