// IP and MAC text <-> bytes: the one grammar every part of Skiff uses (input
// schemas, the netlink facade, skiff-dns). Strict where readers disagree:
// no leading zeros in IPv4 (netavark's Rust parser refuses them and `inet_aton`
// would read them as octal), no zone (`%eth0`) — callers that accept zones,
// like resolv.conf nameservers, strip them first. Printing is `inet_ntop`'s,
// i.e. what `ip` and the kernel show: RFC 5952, v4-mapped and v4-compatible
// addresses dotted. test/unit/lib/ip.test.ts holds the table, checked against
// node:net and ip-address.

export type IpFamily = 4 | 6;

/** Dotted quad → 4 bytes; undefined when not exactly one. */
export function parseIPv4(s: string): Buffer | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** IPv6 text (with `::` and an optional trailing dotted quad, no zone) → 16 bytes. */
export function parseIPv6(s: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let tail: Buffer | undefined;
  let text = s;
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    if (lastColon < 0) return undefined;
    tail = parseIPv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    text = s.slice(0, lastColon + 1) + '0:0'; // two placeholder groups, overwritten below
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] => (h ? h.split(':') : []);
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out.writeUInt16BE(parseInt(g, 16), i * 2);
  }
  if (tail) tail.copy(out, 12);
  return out;
}

/** Either family; the family is the byte length (4 or 16). */
export function ipToBytes(s: string): Buffer | undefined {
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

export function familyOf(b: Uint8Array): IpFamily {
  return b.length === 4 ? 4 : 6;
}

/** inet_ntop's text: dotted quad, or RFC 5952 IPv6 (longest zero run compressed, first on a tie, lower case). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new Error(`not an IP address (${b.length} bytes)`);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  // glibc writes v4-mapped (::ffff:a.b.c.d) and v4-compatible (::a.b.c.d) addresses dotted
  const quad = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${quad}`;
  if (g.slice(0, 6).every((x) => x === 0) && g[6] !== 0) return `::${quad}`;
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The canonical text of an address (what Skiff stores, compares and prints), or undefined. */
export function canonicalIp(s: string): string | undefined {
  const b = ipToBytes(s);
  return b ? formatIp(b) : undefined;
}

/** A copy of `addr` with the host bits beyond `prefix` cleared. */
export function networkOf(addr: Uint8Array, prefix: number): Buffer {
  const out = Buffer.from(addr);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether `ip` lies in `net/prefix` (same family and the first `prefix` bits equal). */
export function prefixContains(net: Uint8Array, prefix: number, ip: Uint8Array): boolean {
  if (net.length !== ip.length) return false;
  return networkOf(net, prefix).equals(networkOf(ip, prefix));
}

/** MAC as aa:bb:cc:dd:ee:ff or aa-bb-…, any case → 6 bytes. */
export function parseMac(s: string): Buffer | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s);
  return m ? Buffer.from(m.slice(1).join(''), 'hex') : undefined;
}

/** Lower-case colon form, as `ip link` prints it. */
export function formatMac(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
