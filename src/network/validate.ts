// The rules `create` enforces, one small pure function each. Messages are
// netavark's (nv:src/network/create_config/validation.rs): podman and users
// match on them, e.g. "network already exists <name>" → ErrNetworkExists.
import type { Network, NetworkSubnet } from '../../schemas/network.js';
import { ConfigError } from '../lib/errors.js';
import { bits, contains, formatIp, formatNet, overlaps, parseIp, parseNet, sameNet, type Ip, type Net } from './addr.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ID_RE = /^[0-9a-fA-F]{64}$/;
/** IFNAMSIZ - 1 (linux include/uapi/linux/if.h) */
export const MAX_INTERFACE_NAME_LEN = 15;

export function validateNameId(name: string, id: string, existing: Readonly<Record<string, string>>): void {
  if (name === '') throw new ConfigError('Network name must be supplied');
  if (!NAME_RE.test(name)) {
    throw new ConfigError(`Invalid characters in network name ${JSON.stringify(name)}: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  }
  if (Object.hasOwn(existing, name)) throw new ConfigError(`network already exists ${name}`);
  if (id === '') throw new ConfigError('Network id must be supplied');
  if (!/^[0-9a-fA-F]*$/.test(id)) throw new ConfigError(`Network id must be a hexadecimal string ${JSON.stringify(id)}`);
  if (!ID_RE.test(id)) throw new ConfigError(`Network id must be exactly 64 characters long, got ${id.length}: ${id}`);
}

export function validateInterfaceName(name: string): void {
  // the kernel limit is in bytes, so a name with multi-byte characters is measured in bytes
  if (Buffer.byteLength(name, 'utf8') > MAX_INTERFACE_NAME_LEN) {
    throw new ConfigError(
      `Interface name is too long: interface names must be ${MAX_INTERFACE_NAME_LEN} characters or less: ${name}`,
    );
  }
  if (name === '' || name === '.' || name === '..') throw new ConfigError('Interface name cannot be . or ..');
  const bad = [...name].find((c) => c === '/' || c === ':' || /\s/.test(c));
  if (bad !== undefined) throw new ConfigError(`Interface name cannot contain ${JSON.stringify(bad)}`);
}

export const IPAM_HOST_LOCAL = 'host-local';
export const IPAM_DHCP = 'dhcp';
export const IPAM_NONE = 'none';

/** The IPAM driver; an empty string is Go's zero value and means unset. */
export function ipamDriver(n: Network): string | undefined {
  return n.ipam_options?.['driver'] || undefined;
}

export function validateIpamDriver(n: Network): void {
  const driver = ipamDriver(n);
  if (driver === undefined || driver === IPAM_HOST_LOCAL || driver === IPAM_DHCP) return;
  if (driver === IPAM_NONE) {
    if ((n.subnets?.length ?? 0) > 0) throw new ConfigError('None ipam driver is set but subnets are given');
    return;
  }
  throw new ConfigError(`Unsupported ipam driver: ${driver}`);
}

/** network_dns_servers are upstreams for our DNS server, so they need DNS on the network. */
export function validateDnsServers(n: Network): void {
  if ((n.network_dns_servers?.length ?? 0) > 0 && !n.dns_enabled) {
    throw new ConfigError('cannot set NetworkDNSServers if DNS is not enabled for the network');
  }
}

function net(s: NetworkSubnet): Net {
  // syntax was checked by toNetwork; a subnet added by us is canonical
  return parseNet(s.subnet)!;
}

/** Duplicate and overlapping subnets inside one network. */
export function validateSubnetsDistinct(subnets: readonly NetworkSubnet[]): void {
  const seen: Net[] = [];
  for (const s of subnets) {
    const cur = net(s);
    for (const prev of seen) {
      if (sameNet(prev, cur)) throw new ConfigError(`duplicate subnet defined: ${formatNet(cur)}`);
      if (overlaps(prev, cur)) throw new ConfigError(`overlapping subnets: ${formatNet(prev)} and ${formatNet(cur)}`);
    }
    seen.push(cur);
  }
}

export function intersectsAny(n: Net, used: readonly Net[]): boolean {
  return used.some((u) => overlaps(n, u));
}

/**
 * The gateway we pick when none is given: network address + 1. An IPv4 /31
 * or /32 has no room for one next to the network and broadcast addresses.
 */
export function firstHost(n: Net): Ip {
  const max = bits(n.family);
  const limit = n.family === 4 ? max - 1 : max;
  if (n.prefix >= limit) {
    throw new ConfigError(
      `could not create gateway for subnet ${formatNet(n)} because it has a ${limit} or greater subnet prefix`,
    );
  }
  return { family: n.family, value: n.network + 1n };
}

function compareIp(a: Ip, b: Ip): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function validateLeaseRange(s: NetworkSubnet, n: Net): void {
  const range = s.lease_range;
  if (!range) return;
  const check = (key: 'start_ip' | 'end_ip'): Ip | undefined => {
    const text = range[key];
    if (text === undefined) return undefined;
    const ip = parseIp(text)!;
    if (!contains(n, ip)) throw new ConfigError(`lease range ${key} ${text} not in subnet ${formatNet(n)}`);
    return ip;
  };
  const start = check('start_ip');
  const end = check('end_ip');
  if (start && end && compareIp(start, end) > 0) {
    throw new ConfigError(`lease range start_ip ${formatIp(start)} must be less than or equal to end_ip ${formatIp(end)}`);
  }
}

/**
 * One subnet: not already used (when asked), gateway inside it (added when
 * `addGateway`), lease range inside it. Returns the subnet with its gateway.
 */
export function validateSubnet(s: NetworkSubnet, o: { addGateway: boolean; checkUsed: boolean; used: readonly Net[] }): NetworkSubnet {
  const n = net(s);
  if (o.checkUsed && intersectsAny(n, o.used)) {
    throw new ConfigError(`subnet ${formatNet(n)} is already used on the host or by another config`);
  }
  const out = { ...s };
  if (s.gateway !== undefined) {
    if (!contains(n, parseIp(s.gateway)!)) throw new ConfigError(`gateway ${s.gateway} not in subnet ${formatNet(n)}`);
  } else if (o.addGateway) {
    out.gateway = formatIp(firstHost(n));
  }
  validateLeaseRange(s, n);
  return out;
}

const ROUTE_TYPES_WITHOUT_GATEWAY = ['blackhole', 'unreachable', 'prohibit'];

export function validateRoutes(n: Network): void {
  for (const r of n.routes ?? []) {
    const dest = parseNet(r.destination)!;
    // a route to a host address with a prefix (10.0.0.5/24) is almost always a typo
    if (dest.addr !== dest.network) throw new ConfigError('route destination invalid');
    const type = r.route_type ?? 'unicast';
    if (type === 'unicast' || type === '') {
      if (r.gateway === undefined) throw new ConfigError(`route ${r.destination} requires a gateway for type unicast`);
      if (parseIp(r.gateway)!.family !== dest.family) {
        throw new ConfigError(`route ${r.destination}: gateway ${r.gateway} is not the same IP family as the destination`);
      }
    } else if (ROUTE_TYPES_WITHOUT_GATEWAY.includes(type)) {
      if (r.gateway !== undefined) throw new ConfigError(`route ${r.destination} must not have a gateway for type ${type}`);
    } else {
      throw new ConfigError(`invalid route type ${JSON.stringify(type)}`);
    }
  }
}
