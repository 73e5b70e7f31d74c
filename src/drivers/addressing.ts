// The addressing every driver with host-side IPAM shares (bridge, macvlan,
// ipvlan): which IPAM drivers exist, the container's addresses and the
// StatusBlock subnets they make, one default route per family and the
// network's static routes. netavark's texts where it has them (scripts match
// them); the field path goes to the debug log.
import { ConfigError } from '../lib/errors.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from '../../schemas/ip.js';
import type { Attachment } from '../../schemas/network-options.js';
import type { PlannedRoute, StatusSubnet } from './plan.js';

export type IpamDriver = 'host-local' | 'dhcp' | 'none';

export interface PlannedSubnet {
  cidr: Cidr;
  /** canonical text, undefined when the network has no gateway there */
  gateway: string | undefined;
}

export interface Addressing {
  subnets: PlannedSubnet[];
  /** "ip/prefix" in input order */
  containerAddrs: string[];
  statusSubnets: StatusSubnet[];
  /** default routes (unless left out), then the network's static routes */
  routes: PlannedRoute[];
}

/** The network's IPAM driver; an unknown one is netavark's error. */
export function ipamDriver(att: Attachment): IpamDriver {
  const ipam = att.network.ipam_options['driver'] ?? 'host-local';
  if (ipam !== 'host-local' && ipam !== 'none' && ipam !== 'dhcp') {
    throw new ConfigError(`unsupported ipam driver ${ipam}`, { detail: `network_info.${att.name}.ipam_options.driver (expected host-local, dhcp or none)` });
  }
  return ipam;
}

function contains(cidr: Cidr, ip: string): boolean {
  const p = parseIp(ip);
  return !!p && cidrContains(cidr, p);
}

/**
 * Addresses and routes of one attachment. `defaultRoutes` false (internal
 * network, no_default_route) leaves the default routes out; `metric` is the
 * driver's default for routes that name none.
 */
export function planAddressing(att: Attachment, ipam: IpamDriver, o: { metric: number | undefined; defaultRoutes: boolean }): Addressing {
  const net = att.network;
  const subnets: PlannedSubnet[] = net.subnets.map((s) => ({
    cidr: parseCidr(s.subnet)!,
    gateway: s.gateway ? parseIp(s.gateway)!.address : undefined,
  }));
  if (ipam === 'host-local' && subnets.length > 0 && att.staticIps.length === 0) {
    throw new ConfigError('no static ips provided', { detail: `${att.path}.static_ips: network ${att.name}` });
  }

  const containerAddrs: string[] = [];
  const statusSubnets: StatusSubnet[] = [];
  for (const ip of att.staticIps) {
    // parseNetworkOptions already guarantees a subnet for host-local IPAM
    const s = subnets.find((x) => contains(x.cidr, ip));
    const prefix = s?.cidr.prefix ?? (ip.includes(':') ? 128 : 32);
    containerAddrs.push(`${ip}/${prefix}`);
    statusSubnets.push({ ipnet: `${ip}/${prefix}`, gateway: s?.gateway ?? null });
  }

  const routes: PlannedRoute[] = [];
  if (o.defaultRoutes) {
    for (const family of [4, 6] as const) {
      // one per family, via the gateway of the first subnet of that family we have an address in
      const s = subnets.find((x) => x.cidr.family === family && x.gateway && att.staticIps.some((ip) => contains(x.cidr, ip)));
      if (s?.gateway) routes.push({ destination: family === 4 ? '0.0.0.0/0' : '::/0', gateway: s.gateway, metric: o.metric });
    }
  }
  for (const r of net.routes) {
    routes.push({
      destination: parseCidr(r.destination)!.text,
      ...(r.gateway ? { gateway: parseIp(r.gateway)!.address } : {}),
      metric: r.metric ?? o.metric,
      type: r.route_type ?? 'unicast',
    });
  }
  return { subnets, containerAddrs, statusSubnets, routes };
}
