// Flags and stdin of `skiff rootless ...` → validated RootlessOptions. Pure:
// every mistake is a ConfigError that names the flag or the JSON path, before
// anything is started.
import { Address4, Address6 } from 'ip-address';
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { portMappingSchema, type PortMapping } from '../../schemas/port-mapping.js';
import { formatPath } from '../../schemas/parse.js';
import { ConfigError } from '../lib/errors.js';
import { toForwards } from './ports.js';
import { BACKENDS, type Backend, type RootlessOptions } from './types.js';

/** Flags as commander hands them over (strings, booleans, repeatable lists). */
export interface RootlessFlags {
  backend?: string;
  mtu?: string;
  ipv6?: boolean;
  outboundAddr?: string[];
  dnsForward?: string;
  hostLoopback?: boolean;
  cidr?: string;
  userns?: string;
  interface?: string;
  mapGuestAddr?: string;
  helperArg?: string[];
  debug?: boolean;
}

const portInputSchema = z.looseObject({ port_mappings: z.nullish(z.array(portMappingSchema)) });

/** stdin of setup / ports: `{"port_mappings":[...]}`; empty input means no ports. */
export function parsePortInput(text: string, where = 'stdin'): PortMapping[] {
  if (text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${where}: not valid JSON: ${(e as Error).message}`);
  }
  const r = portInputSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(`${where}: ${issue ? `${formatPath(issue.path) || '(top level)'}: ${issue.message}` : 'invalid input'}`);
  }
  return r.data.port_mappings ?? [];
}

function ip(value: string, flag: string): 4 | 6 {
  if (Address4.isValid(value) && !value.includes('/')) return 4;
  if (Address6.isValid(value) && !value.includes('/')) return 6;
  throw new ConfigError(`${flag}: "${value}" is not an IP address`);
}

function parseBackend(v: string | undefined): Backend {
  const b = v ?? 'pasta';
  if (!(BACKENDS as readonly string[]).includes(b)) throw new ConfigError(`--backend: unknown backend "${b}" (use pasta or slirp4netns)`);
  return b as Backend;
}

/** A bare name is a namespace from `ip netns add`, as pasta itself reads it. */
export function netnsPath(netns: string): string {
  if (netns === '') throw new ConfigError('NETNS: must not be empty');
  return netns.includes('/') ? netns : `/run/netns/${netns}`;
}

export function parseRootlessOptions(netns: string, flags: RootlessFlags, mappings: readonly PortMapping[]): RootlessOptions {
  const backend = parseBackend(flags.backend);
  const o: RootlessOptions = {
    backend,
    netns: netnsPath(netns),
    ipv6: flags.ipv6 ?? true,
    hostLoopback: flags.hostLoopback ?? false,
    ports: toForwards(mappings),
    extraArgs: flags.helperArg ?? [],
    debug: flags.debug ?? false,
  };
  if (flags.userns !== undefined) o.userns = flags.userns;
  if (flags.mtu !== undefined) {
    const mtu = Number(flags.mtu);
    // 68 is the IPv4 minimum; 65520 is what both helpers accept.
    if (!/^\d+$/.test(flags.mtu) || mtu < 68 || mtu > 65520) throw new ConfigError(`--mtu: "${flags.mtu}" must be a number from 68 to 65520`);
    o.mtu = mtu;
  }
  for (const a of flags.outboundAddr ?? []) {
    const fam = ip(a, '--outbound-addr');
    const key = fam === 4 ? 'outboundAddr4' : 'outboundAddr6';
    if (o[key] !== undefined) throw new ConfigError(`--outbound-addr: give at most one IPv${fam} address (got ${o[key]} and ${a})`);
    if (fam === 6 && !o.ipv6) throw new ConfigError(`--outbound-addr: ${a} is IPv6 but IPv6 is disabled (--no-ipv6)`);
    o[key] = a;
  }
  if (flags.dnsForward !== undefined) {
    if (backend !== 'pasta') throw new ConfigError('--dns-forward: pasta only; slirp4netns serves DNS at the .3 address of its --cidr');
    ip(flags.dnsForward, '--dns-forward');
    o.dnsForward = flags.dnsForward;
  }
  if (flags.mapGuestAddr !== undefined) {
    if (backend !== 'pasta') throw new ConfigError('--map-guest-addr: pasta only');
    ip(flags.mapGuestAddr, '--map-guest-addr');
    o.mapGuestAddr = flags.mapGuestAddr;
  }
  if (flags.cidr !== undefined) {
    if (backend !== 'slirp4netns') throw new ConfigError('--cidr: slirp4netns only; pasta copies the host\'s addresses');
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(flags.cidr);
    // slirp4netns puts the guest at .100, so the network needs at least a /25.
    if (!m || !Address4.isValid(flags.cidr) || Number(m[2]) > 25 || Number(m[2]) < 1) {
      throw new ConfigError(`--cidr: "${flags.cidr}" must be an IPv4 network with a prefix of /1 to /25 (e.g. 10.0.2.0/24)`);
    }
    o.cidr = flags.cidr;
  }
  if (flags.interface !== undefined) {
    if (!/^[^\s/:]{1,15}$/.test(flags.interface)) throw new ConfigError(`--interface: "${flags.interface}" is not a valid interface name (1-15 characters, no spaces, '/' or ':')`);
    o.interface = flags.interface;
  }
  if (backend === 'slirp4netns' && o.ports.length > 0) {
    for (const f of o.ports) {
      if (f.hostIp !== '' && !Address4.isValid(f.hostIp)) throw new ConfigError(`port_mappings: host_ip ${f.hostIp}: slirp4netns publishes on IPv4 addresses only (use --backend pasta)`);
    }
  }
  return o;
}
