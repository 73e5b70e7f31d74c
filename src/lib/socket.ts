// Sockets made with libc (koffi) where node:dgram cannot: the DHCP client's
// socket bound to a device inside a container's namespace (src/dhcp/udp.ts),
// and skiff-dns' batched UDP (dns/udp-native.ts). The constants and struct
// layouts are 64-bit Linux's. Loaded on first use: koffi costs start-up time.
import { createRequire } from 'node:module';
import { errnoName } from './errno.js';
import { ipToBytes } from './ip.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_BROADCAST = 6;
export const SO_RCVBUF = 8;
export const SO_BINDTODEVICE = 25;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const F_DUPFD_CLOEXEC = 1030;

type Fn = (...args: unknown[]) => number;

export interface SocketLib {
  koffi: typeof import('koffi');
  socket: Fn;
  bind: Fn;
  setsockopt: Fn;
  sendto: Fn;
  recvmmsg: Fn;
  sendmmsg: Fn;
  fcntl: Fn;
  close: Fn;
  /** errno of the last call on this thread */
  errno(): number;
}

let lib: SocketLib | undefined;

export function socketLib(): SocketLib {
  if (lib) return lib;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  const f = (decl: string): Fn => c.func(decl) as unknown as Fn;
  lib = {
    koffi,
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, uint32_t len)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    sendto: f('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)'),
    recvmmsg: f('int recvmmsg(int fd, void *vec, unsigned int vlen, int flags, void *timeout)'),
    sendmmsg: f('int sendmmsg(int fd, void *vec, unsigned int vlen, int flags)'),
    fcntl: f('int fcntl(int fd, int cmd, ...)'),
    close: f('int close(int fd)'),
    errno: () => koffi.errno(),
  };
  return lib;
}

/** An Error like Node's socket errors: `code` is the errno name. */
export function sysError(what: string, errno: number): NodeJS.ErrnoException {
  const e = new Error(`${what}: ${errnoName(errno)}`) as NodeJS.ErrnoException;
  e.code = errnoName(errno);
  e.errno = errno;
  return e;
}

/** An int socket option's value. */
export function intOption(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

/** sockaddr_in / sockaddr_in6 for ip:port. */
export function sockaddr(ip: string, port: number): Buffer {
  const bytes = ipToBytes(ip);
  if (!bytes) throw new Error(`not an IP address: ${ip}`);
  const b = Buffer.alloc(bytes.length === 4 ? 16 : 28);
  b.writeUInt16LE(bytes.length === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  bytes.copy(b, bytes.length === 4 ? 4 : 8);
  return b;
}
