// Address math for every boundary schema, on `ip-address`. Canonical text forms
// (correctForm) are what Skiff compares, stores and prints.
import { Address4, Address6 } from 'ip-address';

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
  if (text.includes('/') || text.includes('%')) return undefined;
  if (Address4.isValid(text) && /^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    return { family: 4, address: new Address4(text).correctForm() };
  }
  if (text.includes(':') && Address6.isValid(text)) return { family: 6, address: new Address6(text).correctForm() };
  return undefined;
}

/** Parses "addr/prefix"; host bits are allowed and cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === 4 ? 32 : 128)) return undefined;
  const network =
    ip.family === 4
      ? new Address4(`${ip.address}/${prefix}`).startAddress().correctForm()
      : new Address6(`${ip.address}/${prefix}`).startAddress().correctForm();
  return { family: ip.family, network, prefix, text: `${network}/${prefix}` };
}

export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.family !== ip.family) return false;
  return cidr.family === 4
    ? new Address4(ip.address).isInSubnet(new Address4(cidr.text))
    : new Address6(ip.address).isInSubnet(new Address6(cidr.text));
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const inA = cidrContains(a, { family: b.family, address: b.network });
  const inB = cidrContains(b, { family: a.family, address: a.network });
  return inA || inB;
}

/** First usable host address of a subnet (the default gateway). */
export function firstHost(cidr: Cidr): string {
  return cidr.family === 4
    ? new Address4(cidr.text).startAddressExclusive().correctForm()
    : new Address6(cidr.text).startAddressExclusive().correctForm();
}

/** Normalises a MAC given as aa:bb:.. or aa-bb-.. to lowercase colon form. */
export function parseMac(text: string): string | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  return m ? m.slice(1).join(':').toLowerCase() : undefined;
}
