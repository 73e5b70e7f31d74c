// The DHCP client's socket: UDP port 68 bound to one interface inside the
// container's namespace. Before the interface has an address, the kernel sends
// to 255.255.255.255 from 0.0.0.0 only on a socket bound to a device
// (SO_BINDTODEVICE), and delivers the server's broadcast replies to it; once
// the lease is applied the same socket unicasts renewals. Node's dgram cannot
// bind to a device nor open its socket in another namespace, so the socket is
// made here with libc (synchronously, inside the namespace) and handed to
// dgram, which adopts an existing fd.
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
import { runInNetns, type NetnsHandle } from '../netlink/netns.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { DHCP_CLIENT_PORT } from './packet.js';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BROADCAST = 6;
const SO_BINDTODEVICE = 25;

interface SockLib {
  socket(domain: number, type: number, proto: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  close(fd: number): number;
  errno(): number;
}

let lib: SockLib | undefined;

function load(): SockLib {
  if (lib) return lib;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  const socket = c.func('int socket(int domain, int type, int protocol)');
  const setsockopt = c.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
  const bind = c.func('int bind(int fd, const void *addr, uint32_t len)');
  const close = c.func('int close(int fd)');
  const errnoLoc = c.func('int *__errno_location(void)');
  lib = {
    socket: (d, t, p) => socket(d, t, p) as number,
    setsockopt: (fd, l, n, v, len) => setsockopt(fd, l, n, v, len) as number,
    bind: (fd, a, len) => bind(fd, a, len) as number,
    close: (fd) => close(fd) as number,
    errno: () => koffi.decode(errnoLoc(), 'int') as number,
  };
  return lib;
}

const ERRNO: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 19: 'ENODEV', 22: 'EINVAL', 98: 'EADDRINUSE' };

function check(l: SockLib, r: number, what: string): void {
  if (r < 0) {
    const e = l.errno();
    throw new SkiffError(`${what} failed: ${ERRNO[e] ?? `errno ${e}`}`, { code: ErrorCode.SKIFF_ERR_SYSCALL });
  }
}

/** A raw fd: UDP 0.0.0.0:68, broadcast allowed, bound to `ifname` in the current namespace. */
function openFd(ifname: string): number {
  const l = load();
  const fd = l.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  check(l, fd, 'socket');
  try {
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    check(l, l.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4), 'setsockopt(SO_REUSEADDR)');
    check(l, l.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, one, 4), 'setsockopt(SO_BROADCAST)');
    const dev = Buffer.from(`${ifname}\0`);
    check(l, l.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length), `bind to device ${ifname}`);
    const sa = Buffer.alloc(16);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(DHCP_CLIENT_PORT, 2);
    check(l, l.bind(fd, sa, 16), `bind to port ${DHCP_CLIENT_PORT}`);
    return fd;
  } catch (e) {
    l.close(fd);
    throw e;
  }
}

/** Opens the DHCP client socket for `ifname` inside `ns` (or the current namespace). */
export async function openDhcpSocket(ifname: string, ns: NetnsHandle | undefined): Promise<dgram.Socket> {
  const fd = ns ? runInNetns(ns, () => openFd(ifname)) : openFd(ifname);
  const sock = dgram.createSocket({ type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ fd }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  return sock;
}
