// The socket calls skiffd needs and Node has no API for: a Unix socket whose
// peer credentials (SO_PEERCRED) can be read and that receives the client's
// stdin/stdout/stderr as SCM_RIGHTS fds, and dup/dup2 to put those fds where
// the CLI writes. Every fd here is non-blocking and CLOEXEC; readiness comes
// from koffi's poll handle on the Node event loop, so nothing blocks it.
import { createRequire } from 'node:module';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { Errno, errnoName } from '../lib/errno.js';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const F_DUPFD_CLOEXEC = 1030;

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

interface Bindings {
  koffi: Koffi;
  socket: Fn;
  bind: Fn;
  listen: Fn;
  accept4: Fn;
  getsockopt: Fn;
  recvmsg: Fn;
  send: Fn;
  recv: Fn;
  fcntl: Fn;
  dup2: Fn;
  close: Fn;
  sigmask: Fn;
}

let b: Bindings | undefined;

function lib(): Bindings {
  if (b) return b;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const c = koffi.load('libc.so.6');
  b = {
    koffi,
    socket: c.func('int socket(int domain, int type, int protocol)') as Fn,
    bind: c.func('int bind(int fd, const void *addr, uint32_t len)') as Fn,
    listen: c.func('int listen(int fd, int backlog)') as Fn,
    accept4: c.func('int accept4(int fd, void *addr, void *len, int flags)') as Fn,
    getsockopt: c.func('int getsockopt(int fd, int level, int name, void *val, void *len)') as Fn,
    recvmsg: c.func('intptr_t recvmsg(int fd, void *msg, int flags)') as Fn,
    send: c.func('intptr_t send(int fd, const void *buf, size_t len, int flags)') as Fn,
    recv: c.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as Fn,
    fcntl: c.func('int fcntl(int fd, int cmd, ...)') as Fn,
    dup2: c.func('int dup2(int oldfd, int newfd)') as Fn,
    close: c.func('int close(int fd)') as Fn,
    sigmask: c.func('int pthread_sigmask(int how, const void *set, void *oldset)') as Fn,
  };
  return b;
}

export class SysError extends SkiffError {
  constructor(
    what: string,
    readonly errno: number,
  ) {
    super(`${what} failed: ${errnoName(errno)}`, { code: ErrorCode.SKIFF_ERR_SYSCALL });
  }
}

function check(what: string, rc: unknown): number {
  const n = Number(rc);
  if (n < 0) throw new SysError(what, lib().koffi.errno());
  return n;
}

/** A listening Unix stream socket bound at `path` (which must not exist). */
export function listenUnix(path: string, backlog = 128): number {
  const l = lib();
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(path) > 107) throw new SkiffError(`socket path too long: ${path}`);
  addr.write(path, 2);
  const fd = check('socket', l.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  try {
    check(`bind ${path}`, l.bind(fd, addr, 2 + Buffer.byteLength(path) + 1));
    check('listen', l.listen(fd, backlog));
  } catch (e) {
    l.close(fd);
    throw e;
  }
  return fd;
}

/** Accepts one pending connection; undefined when none is pending. */
export function accept(fd: number): number | undefined {
  const l = lib();
  const rc = Number(l.accept4(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (rc >= 0) return rc;
  const errno = l.koffi.errno();
  if (errno === Errno.EAGAIN || errno === Errno.EINTR || errno === Errno.ECONNABORTED) return undefined;
  throw new SysError('accept4', errno);
}

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

export function peerCred(fd: number): PeerCred {
  const val = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(12);
  check('getsockopt SO_PEERCRED', lib().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, val, len));
  return { pid: val.readInt32LE(0), uid: val.readUInt32LE(4), gid: val.readUInt32LE(8) };
}

export interface Received {
  data: Buffer;
  fds: number[];
}

/**
 * One non-blocking recvmsg: the bytes read (empty at EOF) and any fds passed
 * with them. Undefined when nothing is ready yet.
 */
export function receive(fd: number, max = 65536): Received | undefined {
  const l = lib();
  const addr = (x: Buffer): bigint => l.koffi.address(x);
  const data = Buffer.alloc(max);
  const control = Buffer.alloc(128);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(addr(data), 0);
  iov.writeBigUInt64LE(BigInt(max), 8);
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(addr(iov), 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(addr(control), 32);
  msg.writeBigUInt64LE(BigInt(control.length), 40);
  const rc = Number(l.recvmsg(fd, msg, MSG_CMSG_CLOEXEC));
  if (rc < 0) {
    const errno = l.koffi.errno();
    if (errno === Errno.EAGAIN || errno === Errno.EINTR) return undefined;
    throw new SysError('recvmsg', errno);
  }
  const fds: number[] = [];
  const controlLen = Number(msg.readBigUInt64LE(40));
  // walk the cmsghdr list: { size_t len; int level; int type; data[] }, 8-byte aligned
  for (let off = 0; off + 16 <= controlLen; ) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16) break;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return { data: data.subarray(0, rc), fds };
}

/** Writes all of `text` (a short reply) without SIGPIPE; false when the peer is gone. */
export function sendAll(fd: number, text: string): boolean {
  const l = lib();
  let buf = Buffer.from(text);
  for (let tries = 0; buf.length > 0 && tries < 1000; tries++) {
    const rc = Number(l.send(fd, buf, buf.length, MSG_NOSIGNAL));
    if (rc < 0) {
      const errno = l.koffi.errno();
      if (errno === Errno.EAGAIN || errno === Errno.EINTR) continue;
      return false;
    }
    buf = buf.subarray(rc);
  }
  return buf.length === 0;
}

/** dup(2) with CLOEXEC, at a number above the stdio fds. */
export function dupCloexec(fd: number): number {
  return check('fcntl F_DUPFD_CLOEXEC', lib().fcntl(fd, F_DUPFD_CLOEXEC, 'int', 3));
}

/** Makes an inherited fd (a socket-activation fd) CLOEXEC and non-blocking, at a new number. */
export function adoptFd(fd: number): number {
  const l = lib();
  const copy = dupCloexec(fd);
  l.close(fd);
  const flags = check('fcntl F_GETFL', l.fcntl(copy, 3));
  check('fcntl F_SETFL', l.fcntl(copy, 4, 'int', flags | SOCK_NONBLOCK));
  return copy;
}

export function dup2(from: number, to: number): void {
  check(`dup2 ${from} ${to}`, lib().dup2(from, to));
}

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const MSG_DONTWAIT = 0x40;

/** A netlink socket of `protocol` in this thread's network namespace (CLOEXEC), for questions the kernel answers at once. */
export function netlinkSocket(protocol: number): number {
  return check('socket AF_NETLINK', lib().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
}

/** Sends one request on a netlink socket; false when the kernel did not take it whole. */
export function netlinkSend(fd: number, request: Buffer): boolean {
  return Number(lib().send(fd, request, request.length, 0)) === request.length;
}

/** One datagram already queued on a netlink socket (never waits); undefined when there is none. */
export function netlinkReceive(fd: number, max = 4096): Buffer | undefined {
  const buf = Buffer.alloc(max);
  const rc = Number(lib().recv(fd, buf, max, MSG_DONTWAIT));
  return rc > 0 ? buf.subarray(0, rc) : undefined;
}

export function closeFd(fd: number): void {
  lib().close(fd);
}

const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
const SIGSET_BYTES = 128; // glibc's sigset_t
const ALL_SIGNALS = Buffer.alloc(SIGSET_BYTES, 0xff);

/**
 * Runs `fn` with every signal blocked on this thread; they are delivered once it
 * returns. For a blocking C call that a signal would cut short with EINTR and
 * that does not retry (libnftables' select(2), see nft-in-process.ts).
 */
export function withSignalsBlocked<T>(fn: () => T): T {
  const saved = Buffer.alloc(SIGSET_BYTES);
  if (lib().sigmask(SIG_BLOCK, ALL_SIGNALS, saved) !== 0) return fn();
  try {
    return fn();
  } finally {
    lib().sigmask(SIG_SETMASK, saved, null);
  }
}

export type PollHandle = import('koffi').node.PollHandle;

/** Calls `onReadable` on the event loop whenever `fd` is readable (or hung up). */
export function pollReadable(fd: number, onReadable: () => void): PollHandle {
  return lib().koffi.node.poll(fd, { readable: true, disconnect: true }, () => onReadable());
}
