// Host upstreams from /etc/resolv.conf. Parsing is split from reading so the
// tolerant parser can be tested on strings: bad lines become warnings, never a
// hang or a crash.
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

export const RESOLV_CONF = '/etc/resolv.conf';
/** aardvark-dns stops at 3 (glibc's MAXNS); we keep a few more and warn about none. */
const MAX_SERVERS = 8;

export interface ResolvConf {
  servers: string[];
  warnings: string[];
}

export function parseResolvConf(content: string): ResolvConf {
  const servers: string[] = [];
  const warnings: string[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, value, ...rest] = line.split(/\s+/);
    if (key !== 'nameserver') continue;
    if (value === undefined || rest.length > 0) {
      warnings.push(`line ${i + 1}: expected "nameserver <ip>", got "${line}"`);
      continue;
    }
    const zone = value.indexOf('%');
    const ip = zone >= 0 ? value.slice(0, zone) : value;
    if (!(isIPv4(ip) || (isIPv6(ip) && (zone < 0 || zone < value.length - 1)))) {
      warnings.push(`line ${i + 1}: "${value}" is not an IP address`);
      continue;
    }
    if (servers.includes(value)) continue;
    if (servers.length >= MAX_SERVERS) {
      warnings.push(`line ${i + 1}: more than ${MAX_SERVERS} nameservers, "${value}" ignored`);
      continue;
    }
    servers.push(value);
  }
  return { servers, warnings };
}

/** Reads the host file; a missing or unreadable file means no host upstreams. */
export function readResolvConf(path = RESOLV_CONF): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch (e) {
    return { servers: [], warnings: [`cannot read ${path}: ${(e as Error).message}`] };
  }
}
