// The macvlan/ipvlan driver's decisions (as netavark's src/network/vlan.rs)
// as data: the link to create on the parent, its addresses and routes. Pure;
// an apply layer creates the link with Netlink.createVlanLink directly inside
// the container namespace and carries out the rest.
import { ConfigError } from '../lib/errors.js';
import { parseMac } from '../../schemas/ip.js';
import type { Attachment } from '../../schemas/network-options.js';
import { OptionReader } from './driver-options.js';
import { ipamDriver, planAddressing } from './addressing.js';
import type { PlanBase, PlanContext, PlannedRoute, StatusSubnet, Sysctl } from './plan.js';
import type { DhcpPlan } from '../dhcp/attach.js';

/** linux/if_link.h enum macvlan_mode: a bit per mode. */
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
/** linux/if_link.h enum ipvlan_mode. */
export const IPVLAN_MODE = { l2: 0, l3: 1, l3s: 2 } as const;

/** Below the bridge default (100) so a macvlan default route wins (podman#23984). */
export const VLAN_DEFAULT_METRIC = 99;

export interface VlanPlan extends PlanBase {
  driver: 'macvlan' | 'ipvlan';
  attachment: Attachment;
  /** parent link on the host; undefined = the interface of the host's default route (resolved at apply) */
  parent: string | undefined;
  containerIf: string;
  /** kernel mode number (MACVLAN_MODE_* / IPVLAN_MODE_*) */
  mode: number;
  /** undefined: kernel default (the parent's MTU) */
  mtu: number | undefined;
  /** macvlan only; ipvlan links share the parent's MAC */
  containerMac: string | undefined;
  /** IFLA_MACVLAN_BC_CUTOFF; macvlan only, -1 disables broadcast queueing */
  bcCutoff: number | undefined;
  /** addresses with the subnet's prefix, e.g. "192.168.1.50/24" */
  containerAddrs: string[];
  /** default routes (unless internal / no_default_route), then the network's static routes */
  routes: PlannedRoute[];
  containerSysctls: Sysctl[];
  /** IPAM dhcp: the proxy leases the address at apply time */
  dhcp: DhcpPlan | undefined;
  status: { subnets: StatusSubnet[]; dnsServerIps: string[]; dnsSearchDomains: string[] };
}

function modeNumber(driver: 'macvlan' | 'ipvlan', r: OptionReader): number {
  if (driver === 'macvlan') return MACVLAN_MODE[r.oneOf('mode', ['bridge', 'private', 'vepa', 'passthru', 'source'] as const, 'bridge')];
  return IPVLAN_MODE[r.oneOf('mode', ['l2', 'l3', 'l3s'] as const, 'l2')];
}

/**
 * Plans one macvlan/ipvlan attachment. Throws ConfigError naming the field
 * for bad options, DHCP on ipvlan and missing static IPs. With IPAM dhcp the
 * address, gateway and DNS come from the lease at apply time (src/dhcp/attach.ts).
 */
export function planVlan(att: Attachment, ctx: PlanContext): VlanPlan {
  const { network: net, opts } = att;
  const driver = net.driver;
  if (driver !== 'macvlan' && driver !== 'ipvlan') throw new ConfigError(`planVlan: unsupported VLAN type ${driver}`);
  const netPath = `network_info.${att.name}`;
  const r = new OptionReader(net.options, netPath);
  const mode = modeNumber(driver, r);
  const mtu = r.uint('mtu', 65535) || undefined;
  const metric = r.uint('metric') ?? VLAN_DEFAULT_METRIC;
  const noDefaultRoute = r.bool('no_default_route');
  const bcCutoff = driver === 'macvlan' ? r.int('bclim', -2147483648, 2147483647) : undefined;

  // netavark's wording, without a field path: podman users match on it
  if (net.ipam_options['driver'] === 'dhcp' && driver === 'ipvlan') throw new ConfigError('ipam driver dhcp is not supported with ipvlan');
  const ipam = ipamDriver(att);
  // internal: the gateways are not ours to route through (netavark drops them)
  const { containerAddrs, statusSubnets, routes } = planAddressing(att, ipam, { metric, defaultRoutes: !net.internal && !noDefaultRoute });

  return {
    driver,
    attachment: att,
    parent: net.network_interface || undefined,
    containerIf: opts.interface_name,
    mode,
    mtu,
    containerMac: driver === 'macvlan' && opts.static_mac ? parseMac(opts.static_mac) : undefined,
    bcCutoff,
    containerAddrs,
    routes,
    // addresses are static; router advertisements on the parent's LAN must not add more
    containerSysctls: [{ key: `net/ipv6/conf/${opts.interface_name}/autoconf`, value: '0', optional: true }],
    dhcp:
      ipam === 'dhcp'
        ? {
            defaultRouteMetric: net.internal || noDefaultRoute ? undefined : metric,
            userDns: ctx.dnsServers.length > 0 || (net.network_dns_servers?.length ?? 0) > 0,
          }
        : undefined,
    // no DNS server on these networks; with DHCP, setup fills these from the lease
    status: { subnets: statusSubnets, dnsServerIps: [], dnsSearchDomains: [] },
  };
}
