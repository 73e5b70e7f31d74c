// Reverse-lookup names → address bytes. The IP text grammar itself (parse,
// canonical text) is src/lib/ip.ts, shared with the CLI: records are keyed by
// its canonical form, so `fd00:0::2` in a config file matches the `fd00::2`
// the kernel reports as a query's source.
import { parseIPv4 } from '../src/lib/ip.js';

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
