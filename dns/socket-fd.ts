// A second descriptor for one of our bound UDP sockets, for a reader thread
// (dns/readers.ts). Node's dgram does not expose a socket's descriptor (only
// through the deprecated `_handle`), so it is found the way `ss -p` finds it:
// the socket's inode from /proc/net/udp{,6} by its local address, then the
// descriptor of ours that links to `socket:[inode]`. dup(2) itself is libc's,
// through koffi (loaded here only: most servers never start a reader).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ipToBytes } from '../src/lib/ip.js';

const F_DUPFD_CLOEXEC = 1030;

/**
 * The inode of the unconnected UDP socket bound to ip:port, from the text of
 * /proc/net/udp (IPv4) or /proc/net/udp6 (IPv6). Addresses there are
 * 32-bit words in the host's byte order (little-endian on every target we
 * build for), ports big-endian hex.
 */
export function inodeOf(table: string, ip: string, port: number): number | undefined {
  const want = `${procAddress(ip)}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    if (f[1] === want && f[3] === '07' && f[9] !== undefined) return Number(f[9]);
  }
  return undefined;
}

/** ip as /proc/net/udp{,6} writes it. */
export function procAddress(ip: string): string {
  const bytes = ipToBytes(ip);
  if (!bytes) throw new Error(`not an IP address: ${ip}`);
  let out = '';
  for (let w = 0; w < bytes.length; w += 4) {
    for (let b = 3; b >= 0; b--) out += bytes[w + b]!.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Our descriptor for the UDP socket bound to ip:port, or undefined. */
export function findUdpFd(ip: string, port: number): number | undefined {
  const table = readFileSync(`/proc/thread-self/net/${ip.includes(':') ? 'udp6' : 'udp'}`, 'utf8');
  const inode = inodeOf(table, ip, port);
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === target) return Number(name);
    } catch {
      /* closed meanwhile */
    }
  }
  return undefined;
}

type Fcntl = (fd: number, cmd: number, ...args: unknown[]) => number;
let fcntl: Fcntl | undefined;

/** A new close-on-exec descriptor for the same open socket; throws when the kernel says no. */
export function dupFd(fd: number): number {
  if (!fcntl) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, ...)') as unknown as Fcntl;
  }
  const copy = fcntl(fd, F_DUPFD_CLOEXEC, 'int', 3);
  if (copy < 0) throw new Error(`cannot duplicate descriptor ${fd}`);
  return copy;
}
