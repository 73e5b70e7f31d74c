// Address syntax of a create input, checked before any rule runs (netavark gets
// this from serde while decoding). Every address comes out in canonical text;
// every error names the JSON field.
import type { CreateNetworkInput } from '../../schemas/create-input.js';
import type { Network, NetworkRoute, NetworkSubnet } from '../../schemas/network.js';
import { ConfigError } from '../lib/errors.js';
import { formatIp, formatNet, parseIp, parseNet, type Net } from './addr.js';

export function canonicalIp(text: string, where: string): string {
  const ip = parseIp(text);
  if (!ip) throw new ConfigError(`${where}: invalid IP address syntax ${JSON.stringify(text)}`);
  return formatIp(ip);
}

/** Canonical "network/prefix"; host bits are cleared as podman does when it parses a subnet. */
export function canonicalNet(text: string, where: string): string {
  return formatNet(parsedNet(text, where));
}

export function parsedNet(text: string, where: string): Net {
  const net = parseNet(text);
  if (!net) throw new ConfigError(`${where}: invalid IP address syntax ${JSON.stringify(text)} (expected a CIDR such as 10.89.0.0/24)`);
  return net;
}

function subnet(s: NonNullable<CreateNetworkInput['subnets']>[number], where: string): NetworkSubnet {
  const out: NetworkSubnet = { subnet: canonicalNet(s.subnet, `${where}.subnet`) };
  if (s.gateway) out.gateway = canonicalIp(s.gateway, `${where}.gateway`);
  if (s.lease_range) {
    out.lease_range = {};
    if (s.lease_range.start_ip) out.lease_range.start_ip = canonicalIp(s.lease_range.start_ip, `${where}.lease_range.start_ip`);
    if (s.lease_range.end_ip) out.lease_range.end_ip = canonicalIp(s.lease_range.end_ip, `${where}.lease_range.end_ip`);
  }
  return out;
}

function route(r: NonNullable<CreateNetworkInput['routes']>[number], where: string): NetworkRoute {
  const dest = parseNet(r.destination);
  if (!dest) throw new ConfigError(`${where}.destination: invalid IP address syntax ${JSON.stringify(r.destination)} (expected a CIDR)`);
  // Keep the address as written: validateRoutes rejects a host address here.
  const out: NetworkRoute = { destination: `${formatIp({ family: dest.family, value: dest.addr })}/${dest.prefix}` };
  if (r.gateway) out.gateway = canonicalIp(r.gateway, `${where}.gateway`);
  if (r.metric !== null && r.metric !== undefined) out.metric = r.metric;
  if (r.route_type) out.route_type = r.route_type;
  return out;
}

/** Shape-checked input → Network draft with canonical addresses. `path` prefixes error fields. */
export function toNetwork(raw: CreateNetworkInput, path = 'network'): Network {
  const n: Network = {
    name: raw.name,
    id: raw.id,
    driver: raw.driver,
    ipv6_enabled: raw.ipv6_enabled,
    internal: raw.internal,
    dns_enabled: raw.dns_enabled,
  };
  // An empty string is what a Go zero value looks like; it means "not set".
  if (raw.network_interface) n.network_interface = raw.network_interface;
  if (raw.subnets) n.subnets = raw.subnets.map((s, i) => subnet(s, `${path}.subnets[${i}]`));
  if (raw.routes) n.routes = raw.routes.map((r, i) => route(r, `${path}.routes[${i}]`));
  if (raw.network_dns_servers && raw.network_dns_servers.length > 0) {
    n.network_dns_servers = raw.network_dns_servers.map((s, i) => canonicalIp(s, `${path}.network_dns_servers[${i}]`));
  }
  if (raw.labels) n.labels = { ...raw.labels };
  if (raw.options) n.options = { ...raw.options };
  if (raw.ipam_options) n.ipam_options = { ...raw.ipam_options };
  return n;
}
