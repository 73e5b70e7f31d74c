// IP text <-> bytes. Records are keyed by one canonical text form so that an
// address written as `fd00:0::2` in a config file matches the `fd00::2` the
// kernel reports as a query's source.
import { isIPv4 } from 'node:net';

export function parseIPv4(s: string): Buffer | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const b = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    b[i] = n;
  }
  return b;
}

export function parseIPv6(s: string): Buffer | undefined {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const groups: number[] = [];
  // a trailing dotted quad counts as two groups
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    text = text.slice(0, lastColon + 1) + ((v4[0]! << 8) | v4[1]!).toString(16) + ':' + ((v4[2]! << 8) | v4[3]!).toString(16);
  }
  const dbl = text.indexOf('::');
  if (dbl !== text.lastIndexOf('::')) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parse(text.slice(0, dbl));
    const tail = parse(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parse(text);
    if (!all || all.length !== 8) return undefined;
    groups.push(...all);
  }
  const b = Buffer.allocUnsafe(16);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(groups[i]!, i * 2);
  return b;
}

export function parseIp(s: string): Buffer | undefined {
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

/** RFC 5952 text: lower case, longest run (≥2) of zero groups compressed, first on a tie. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Canonical text of any IP text, or undefined when it is not an IP. */
export function canonicalIp(s: string): string | undefined {
  if (isIPv4(s)) return s;
  const b = parseIPv6(s);
  return b ? formatIp(b) : undefined;
}

/**
 * `4.3.2.1.in-addr.arpa` / nibble `ip6.arpa` name (lower case, no trailing
 * dot) → address bytes; undefined for partial or malformed names.
 */
export function reverseNameToIp(name: string): Buffer | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4) return undefined;
    return parseIPv4(parts.reverse().join('.'));
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32) return undefined;
    const b = Buffer.alloc(16);
    for (let i = 0; i < 32; i++) {
      const n = nibbles[31 - i] ?? '';
      if (!/^[0-9a-f]$/.test(n)) return undefined;
      const v = parseInt(n, 16);
      b[i >> 1] = b[i >> 1]! | (i % 2 === 0 ? v << 4 : v);
    }
    return b;
  }
  return undefined;
}
