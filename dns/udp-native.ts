// UDP listeners without node:dgram. dgram costs, per datagram, a 64 KiB
// receive allocation, an rinfo object, a send request and one syscall each
// way; at tens of thousands of queries a second that was most of the
// server's CPU (the answer itself is ~3 µs). Here a socket is read with
// recvmmsg(2) and answered with sendmmsg(2), up to BATCH datagrams per
// syscall, through fixed buffers in native memory (koffi), when libuv says
// it is readable (koffi's uv_poll). Measured on a canned answer: ~2x the
// queries per second of dgram on the same core.
//
// Answers given while a batch is handled go out with the batch; answers
// given later (forwarded queries) go out with sendto(2). Only 64-bit Linux
// layouts are written here; elsewhere (and with SKIFF_DNS_UDP=dgram) the
// server uses dgram (dns/server.ts).
import { formatIp } from '../src/lib/ip.js';
import {
  AF_INET,
  AF_INET6,
  F_DUPFD_CLOEXEC,
  intOption,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  MSG_DONTWAIT,
  MSG_TRUNC,
  SO_RCVBUF,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  sockaddr,
  socketLib,
  SOL_SOCKET,
  sysError,
} from '../src/lib/socket.js';

/** datagrams per recvmmsg/sendmmsg */
const BATCH = 32;
/** batches per readable event, so a flood cannot starve timers, TCP and reloads */
const BATCHES_PER_TURN = 8;
/** bytes per datagram slot: larger queries are dropped (they are no DNS queries), larger answers go out with sendto */
const SLOT = 4096;
const NAME = 32; // sockaddr_in6 is 28
const HDR = 64; // struct mmsghdr on 64-bit Linux: msghdr (56) + msg_len + padding
const IOV = 16;

interface Poll {
  close(): void;
}

/** Whether this platform gets native sockets (the layouts above are 64-bit Linux). */
export function nativeUdpAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.SKIFF_DNS_UDP === 'dgram' || process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) return false;
  try {
    socketLib();
    return true;
  } catch {
    return false;
  }
}

/** Source address and port of a sockaddr_in / sockaddr_in6 as the kernel wrote it. */
export function parseSockaddr(b: Buffer, at: number): { address: string; port: number } {
  const port = b.readUInt16BE(at + 2);
  if (b.readUInt16LE(at) === AF_INET) return { address: `${b[at + 4]}.${b[at + 5]}.${b[at + 6]}.${b[at + 7]}`, port };
  return { address: formatIp(b.subarray(at + 8, at + 24)), port };
}

/** One query's way back once its batch is over: its source address (copied), or done when already answered. */
interface Late {
  name: Buffer | undefined;
  done: boolean;
}

/** Reply to one datagram: now (with its batch) or later (sendto). */
export type Reply = (answer: Buffer) => void;
export type OnDatagram = (msg: Buffer, address: string, port: number, reply: Reply) => void;

export class NativeUdpSocket {
  private poll: Poll | undefined;
  private readonly mem: unknown;
  private readonly b: Buffer;
  private readonly sendHeaders: Buffer;
  /** per slot of the batch being handled: the answer's length, 0 = none yet */
  private readonly answered = new Int32Array(BATCH);
  /** true while a batch's datagrams are handed out: answers given meanwhile go out with the batch */
  private inBatch = false;
  private batch = 0;
  /** per slot: the source address, copied once the batch is over and the query still unanswered */
  private readonly late: (Late | undefined)[] = new Array<Late | undefined>(BATCH);
  private closed = false;

  private constructor(readonly fd: number) {
    const l = socketLib();
    // [recv headers][send headers][recv iovecs][send iovecs][names][recv slots][send slots]
    const size = 2 * BATCH * HDR + 2 * BATCH * IOV + BATCH * NAME + 2 * BATCH * SLOT;
    this.mem = l.koffi.alloc('uint8_t', size);
    const base = l.koffi.address(this.mem);
    this.b = Buffer.from(l.koffi.view(this.mem, size));
    this.b.fill(0);
    const at = (off: number): bigint => base + BigInt(off);
    for (let i = 0; i < BATCH; i++) {
      for (const [hdr, iov, slot] of [
        [O.rh, O.ri, O.rs],
        [O.sh, O.si, O.ss],
      ] as const) {
        const h = hdr + i * HDR;
        this.b.writeBigUInt64LE(at(O.nm + i * NAME), h); // msg_name
        this.b.writeUInt32LE(NAME, h + 8); // msg_namelen
        this.b.writeBigUInt64LE(at(iov + i * IOV), h + 16); // msg_iov
        this.b.writeBigUInt64LE(1n, h + 24); // msg_iovlen
        this.b.writeBigUInt64LE(at(slot + i * SLOT), iov + i * IOV); // iov_base
        this.b.writeBigUInt64LE(BigInt(SLOT), iov + i * IOV + 8); // iov_len
      }
    }
    this.sendHeaders = this.b.subarray(O.sh, O.sh + BATCH * HDR);
  }

  /** A socket bound to ip:port (errors carry Node's `code`, e.g. EADDRINUSE). */
  static open(ip: string, port: number, recvBuffer = 4 * 1024 * 1024): NativeUdpSocket {
    const l = socketLib();
    const addr = sockaddr(ip, port);
    const v6 = addr.length === 28;
    const fd = l.socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError('socket', l.errno());
    if (v6 && l.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, intOption(1), 4) !== 0) {
      const errno = l.errno();
      l.close(fd);
      throw sysError('setsockopt IPV6_V6ONLY', errno);
    }
    // bursts of queries must queue in the kernel, not be dropped (capped by net.core.rmem_max; the default still works)
    l.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, intOption(recvBuffer), 4);
    if (l.bind(fd, addr, addr.length) !== 0) {
      const errno = l.errno();
      l.close(fd);
      throw sysError('bind', errno);
    }
    return new NativeUdpSocket(fd);
  }

  /** Takes over `fd` (a bound UDP socket, e.g. another thread's copy from dup()). */
  static adopt(fd: number): NativeUdpSocket {
    return new NativeUdpSocket(fd);
  }

  /** A new close-on-exec descriptor for this socket, for another thread to read too. */
  dup(): number {
    const l = socketLib();
    const copy = l.fcntl(this.fd, F_DUPFD_CLOEXEC, 'int', 3);
    if (copy < 0) throw sysError('dup', l.errno());
    return copy;
  }

  /**
   * One answer on its own (for a query another thread read from this socket). A link-local IPv6 source's
   * scope is not in its text: such an answer goes out without it.
   */
  sendTo(answer: Buffer, address: string, port: number): void {
    if (this.closed) return;
    const name = sockaddr(address, port);
    socketLib().sendto(this.fd, answer, answer.length, MSG_DONTWAIT, name, name.length);
  }

  start(onDatagram: OnDatagram): void {
    const l = socketLib();
    this.poll = l.koffi.node.poll(this.fd, { readable: true }, () => this.readable(onDatagram));
  }

  private readable(onDatagram: OnDatagram): void {
    const l = socketLib();
    for (let turn = 0; turn < BATCHES_PER_TURN && !this.closed; turn++) {
      const n = l.recvmmsg(this.fd, this.b, BATCH, MSG_DONTWAIT, null);
      if (n <= 0) return; // EAGAIN: drained (other errors: ICMP reports on an unconnected socket; nothing to do)
      const batch = ++this.batch;
      this.answered.fill(0);
      this.inBatch = true;
      for (let i = 0; i < n; i++) {
        const h = O.rh + i * HDR;
        this.late[i] = undefined;
        if (this.b.readInt32LE(h + 48) & MSG_TRUNC) continue; // msg_flags: bigger than any query
        const len = this.b.readUInt32LE(h + 56);
        const { address, port } = parseSockaddr(this.b, O.nm + i * NAME);
        // the handler may keep the query (forwarding): it gets its own copy, not the slot
        const msg = Buffer.from(this.b.subarray(O.rs + i * SLOT, O.rs + i * SLOT + len));
        const slot = i;
        const late: Late = { name: undefined, done: false };
        this.late[i] = late;
        const reply: Reply = (answer) => {
          // one answer per query: a second one could only go to whoever uses the slot now
          if (this.closed || late.done) return;
          late.done = true;
          if (this.batch === batch && this.inBatch && answer.length <= SLOT) {
            answer.copy(this.b, O.ss + slot * SLOT);
            this.answered[slot] = answer.length;
            return;
          }
          // later, or too big for a slot: on its own, to where the query came from
          const name = late.name ?? this.b.subarray(O.nm + slot * NAME, O.nm + slot * NAME + this.b.readUInt32LE(O.rh + slot * HDR + 8));
          l.sendto(this.fd, answer, answer.length, MSG_DONTWAIT, name, name.length);
        };
        try {
          onDatagram(msg, address, port, reply);
        } catch {
          /* a bug costs this query, not the batch (the server logs its own errors) */
        }
      }
      this.inBatch = false;
      // the slots are reused by the next batch: a query still unanswered keeps its source address
      for (let i = 0; i < n; i++) {
        const late = this.late[i];
        if (late && !late.done) late.name = Buffer.from(this.b.subarray(O.nm + i * NAME, O.nm + i * NAME + this.b.readUInt32LE(O.rh + i * HDR + 8)));
      }
      this.flush(n);
      if (n < BATCH) return;
    }
  }

  /** Sends the answers given during the batch, in one sendmmsg (compacting the headers of the unanswered). */
  private flush(n: number): void {
    const l = socketLib();
    let k = 0;
    for (let i = 0; i < n; i++) {
      const len = this.answered[i]!;
      if (len === 0) continue;
      const recvName = O.rh + i * HDR;
      const h = O.sh + k * HDR;
      // send header k: slot i's name and answer (the prepared header i points to exactly those)
      if (k !== i) this.b.copy(this.b, h, O.sh + i * HDR, O.sh + (i + 1) * HDR);
      this.b.writeUInt32LE(this.b.readUInt32LE(recvName + 8), h + 8); // msg_namelen as received
      this.b.writeBigUInt64LE(BigInt(len), O.si + i * IOV + 8); // iov_len of slot i's iovec
      k++;
    }
    for (let sent = 0; sent < k; ) {
      const r = l.sendmmsg(this.fd, this.sendHeaders.subarray(sent * HDR), k - sent, MSG_DONTWAIT);
      if (r <= 0) break; // send buffer full: UDP answers may be lost, the client asks again
      sent += r;
    }
    // headers moved down are restored for the next batch
    if (k !== n) this.resetSendHeaders();
  }

  private resetSendHeaders(): void {
    const l = socketLib();
    const base = l.koffi.address(this.mem);
    for (let i = 0; i < BATCH; i++) {
      const h = O.sh + i * HDR;
      this.b.writeBigUInt64LE(base + BigInt(O.nm + i * NAME), h);
      this.b.writeBigUInt64LE(base + BigInt(O.si + i * IOV), h + 16);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poll?.close();
    socketLib().close(this.fd);
    socketLib().koffi.free(this.mem);
  }
}

/** Offsets in a socket's native buffer. */
const O = (() => {
  const rh = 0;
  const sh = rh + BATCH * HDR;
  const ri = sh + BATCH * HDR;
  const si = ri + BATCH * IOV;
  const nm = si + BATCH * IOV;
  const rs = nm + BATCH * NAME;
  const ss = rs + BATCH * SLOT;
  return { rh, sh, ri, si, nm, rs, ss };
})();

