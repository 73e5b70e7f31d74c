// "Address already in use" on port 53 is a classic (dnsmasq, libvirt, a
// container publishing 53). Say who holds the port: find the socket inode in
// /proc/net/{udp,tcp}{,6}, then the process that has it open. Only run on the
// error path; best effort, never throws.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { ipToBytes } from '../src/lib/ip.js';

/** /proc/net hex form of an address: IPv4 as one little-endian word, IPv6 as four. */
function procHex(ip: string): string | undefined {
  const b = ipToBytes(ip);
  if (!b) return undefined;
  let out = '';
  for (let i = 0; i < b.length; i += 4) out += Buffer.from([b[i + 3]!, b[i + 2]!, b[i + 1]!, b[i]!]).toString('hex');
  return out.toUpperCase();
}

function socketInodes(proto: 'udp' | 'tcp', ip: string, port: number): Set<string> {
  const inodes = new Set<string>();
  const want = procHex(ip);
  const anyAddr = ip.includes(':') ? '0'.repeat(32) : '00000000';
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const file = `/proc/net/${proto}${ip.includes(':') ? '6' : ''}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return inodes;
  }
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const [addr, p] = (cols[1] ?? '').split(':');
    // tcp: only listeners (state 0A); a wildcard bind blocks the specific address too
    if (p !== portHex || (addr !== want && addr !== anyAddr) || (proto === 'tcp' && cols[3] !== '0A')) continue;
    if (cols[9] && cols[9] !== '0') inodes.add(cols[9]);
  }
  return inodes;
}

/** `dnsmasq (pid 1234)`, or undefined when the owner cannot be seen (other namespace, no permission). */
export function portOwner(proto: 'udp' | 'tcp', ip: string, port: number): string | undefined {
  const inodes = socketInodes(proto, ip, port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        let comm = '?';
        try {
          comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          /* exited meanwhile */
        }
        return `${comm} (pid ${pid})`;
      }
    }
  }
  return undefined;
}
