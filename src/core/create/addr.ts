// Address math for `create`, on ip-address. Addresses are bigints so that
// pool walking, containment and ordering are plain integer comparisons.
import { Address4, Address6 } from 'ip-address';

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

const V4_DOTTED = /^\d{1,3}(\.\d{1,3}){3}$/;

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Parses a plain IP address (no prefix, no zone); undefined when it is not one. */
export function parseIp(text: string): Ip | undefined {
  if (V4_DOTTED.test(text)) {
    if (!Address4.isValid(text) || text.split('.').some((o) => Number(o) > 255)) return undefined;
    return { family: 4, value: new Address4(text).bigInt() };
  }
  if (!text.includes(':') || text.includes('%') || text.includes('/') || !Address6.isValid(text)) return undefined;
  return { family: 6, value: new Address6(text).bigInt() };
}

/** Parses "addr/prefix" (host bits allowed, as Rust's IpNet does). */
export function parseNet(text: string): Net | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits(ip.family)) return undefined;
  return { family: ip.family, network: ip.value & mask(ip.family, prefix), prefix, addr: ip.value };
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
