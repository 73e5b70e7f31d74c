// Typed IP and CIDR values for the boundary schemas. The text grammar (what
// parses, the canonical text Skiff compares, stores and prints) is
// src/lib/ip.ts, shared with the netlink facade and skiff-dns.
import { familyOf, formatIp, formatMac, ipToBytes, networkOf, parseMac as parseMacBytes, prefixContains } from '../src/lib/ip.js';

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  /** canonical text, e.g. "10.88.0.2", "fd00::2" */
  address: string;
}

export interface Cidr {
  family: Family;
  /** canonical network address (host bits cleared) */
  network: string;
  prefix: number;
  /** "network/prefix" */
  text: string;
}

/** Parses a plain IP (no prefix, no zone); undefined when it is not one. */
export function parseIp(text: string): Ip | undefined {
  const b = ipToBytes(text);
  return b ? { family: familyOf(b), address: formatIp(b) } : undefined;
}

/** Parses "addr/prefix"; host bits are allowed and cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const b = ipToBytes(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!b || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > b.length * 8) return undefined;
  const network = formatIp(networkOf(b, prefix));
  return { family: familyOf(b), network, prefix, text: `${network}/${prefix}` };
}

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.family !== ip.family) return false;
  return prefixContains(ipToBytes(cidr.network)!, cidr.prefix, ipToBytes(ip.address)!);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const inA = cidrContains(a, { family: b.family, address: b.network });
  const inB = cidrContains(b, { family: a.family, address: a.network });
  return inA || inB;
}

/** First usable host address of a subnet (the default gateway): network + 1. */
export function firstHost(cidr: Cidr): string {
  const b = ipToBytes(cidr.network)!;
  for (let i = b.length - 1; i >= 0; i--) {
    b[i] = (b[i]! + 1) & 0xff;
    if (b[i] !== 0) break;
  }
  return formatIp(b);
}

/** Normalises a MAC given as aa:bb:.. or aa-bb-.. to lowercase colon form. */
export function parseMac(text: string): string | undefined {
  const b = parseMacBytes(text);
  return b ? formatMac(b) : undefined;
}

