// Address math for `create`, on ip-address. Addresses are bigints so that
// pool walking, containment and ordering are plain integer comparisons.
import { Address4, Address6 } from 'ip-address';
import { parseCidr, parseIp as parseIpText } from '../../schemas/ip.js';

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

/** A subnet as written: `addr` may have host bits set (`hostBits` says so). */
export interface Net {
  family: Family;
  /** network address (host bits cleared) */
  network: bigint;
  prefix: number;
  /** the address part exactly as given, for "is this a network address" checks */
  addr: bigint;
}

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

function toBigInt(family: Family, canonical: string): bigint {
  return family === 4 ? new Address4(canonical).bigInt() : new Address6(canonical).bigInt();
}

/** Parses a plain IP address (no prefix, no zone); undefined when it is not one. Same grammar as every other schema. */
export function parseIp(text: string): Ip | undefined {
  const ip = parseIpText(text);
  return ip && { family: ip.family, value: toBigInt(ip.family, ip.address) };
}

/** Parses "addr/prefix" (host bits allowed, as Rust's IpNet does). */
export function parseNet(text: string): Net | undefined {
  const c = parseCidr(text);
  if (!c) return undefined;
  return { family: c.family, network: toBigInt(c.family, c.network), prefix: c.prefix, addr: parseIp(text.slice(0, text.indexOf('/')))!.value };
}

export function mask(family: Family, prefix: number): bigint {
  const width = BigInt(bits(family));
  const all = (1n << width) - 1n;
  return all ^ ((1n << (width - BigInt(prefix))) - 1n);
}

export function formatIp(ip: Ip): string {
  return ip.family === 4 ? Address4.fromBigInt(ip.value).correctForm() : Address6.fromBigInt(ip.value).correctForm();
}

/** Canonical "network/prefix" text. */
export function formatNet(n: Net): string {
  return `${formatIp({ family: n.family, value: n.network })}/${n.prefix}`;
}

export function size(n: Net): bigint {
  return 1n << BigInt(bits(n.family) - n.prefix);
}

export function contains(n: Net, ip: Ip): boolean {
  return n.family === ip.family && (ip.value & mask(n.family, n.prefix)) === n.network;
}

export function overlaps(a: Net, b: Net): boolean {
  if (a.family !== b.family) return false;
  return contains(a, { family: b.family, value: b.network }) || contains(b, { family: a.family, value: a.network });
}

export function sameNet(a: Net, b: Net): boolean {
  return a.family === b.family && a.network === b.network && a.prefix === b.prefix;
}
