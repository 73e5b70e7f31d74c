// The DHCP client's socket: UDP port 68 bound to one interface inside the
// container's namespace. Before the interface has an address, the kernel sends
// to 255.255.255.255 from 0.0.0.0 only on a socket bound to a device
// (SO_BINDTODEVICE), and delivers the server's broadcast replies to it; once
// the lease is applied the same socket unicasts renewals. Node's dgram cannot
// bind to a device nor open its socket in another namespace, so the socket is
// made here with libc (synchronously, inside the namespace) and handed to
// dgram, which adopts an existing fd.
import dgram from 'node:dgram';
import { runInNetns, type NetnsHandle } from '../netlink/netns.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { AF_INET, intOption, SO_BINDTODEVICE, SO_BROADCAST, SO_REUSEADDR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, sockaddr, socketLib, SOL_SOCKET, type SocketLib } from '../lib/socket.js';
import { DHCP_CLIENT_PORT } from './packet.js';

const ERRNO: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 19: 'ENODEV', 22: 'EINVAL', 98: 'EADDRINUSE' };

function check(l: SocketLib, r: number, what: string): void {
  if (r < 0) {
    const e = l.errno();
    throw new SkiffError(`${what} failed: ${ERRNO[e] ?? `errno ${e}`}`, { code: ErrorCode.SKIFF_ERR_SYSCALL });
  }
}

/** A raw fd: UDP 0.0.0.0:68, broadcast allowed, bound to `ifname` in the current namespace. */
function openFd(ifname: string): number {
  const l = socketLib();
  const fd = l.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  check(l, fd, 'socket');
  try {
    check(l, l.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, intOption(1), 4), 'setsockopt(SO_REUSEADDR)');
    check(l, l.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, intOption(1), 4), 'setsockopt(SO_BROADCAST)');
    const dev = Buffer.from(`${ifname}\0`);
    check(l, l.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length), `bind to device ${ifname}`);
    const sa = sockaddr('0.0.0.0', DHCP_CLIENT_PORT);
    check(l, l.bind(fd, sa, sa.length), `bind to port ${DHCP_CLIENT_PORT}`);
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
