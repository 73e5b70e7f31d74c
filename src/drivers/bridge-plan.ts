// The bridge driver's decisions, as data: which links, addresses, routes,
// sysctls, firewall and DNS entries one attachment needs.
import { ConfigError } from '../lib/errors.js';
import { parseIp, parseMac } from '../../schemas/ip.js';
import type { Attachment } from '../../schemas/network-options.js';
import type { FirewallNetwork, PortForward } from '../../firewall/firewall.js';
import type { DhcpPlan } from '../dhcp/attach.js';
import { parseBridgeOptions } from './driver-options.js';
import type { DnsPlan, PlanBase, PlanContext, PlannedRoute, StatusSubnet, Sysctl } from './plan.js';
import { ipamDriver, planAddressing } from './addressing.js';

export const DNS_SEARCH_DOMAIN = 'dns.podman';
/** Stands for the host veth's name in planned sysctl keys until the kernel has named it. */
export const HOST_VETH = '{host_veth}';
const IFNAMSIZ = 15;

export interface BridgePlan extends PlanBase {
  driver: 'bridge';
  attachment: Attachment;
  bridge: string;
  managed: boolean;
  /** undefined: the MTU of the host's default-route interface (kernel default if none) */
  mtu: number | undefined;
  /** host-side veth name (host_interface_name); undefined: the kernel's next veth%d */
  hostVeth: string | undefined;
  containerIf: string;
  containerMac: string | undefined;
  /** addresses with the subnet's prefix, e.g. "10.88.0.2/16" */
  containerAddrs: string[];
  /** gateway addresses on the bridge, e.g. "10.88.0.1/16" */
  bridgeAddrs: string[];
  routes: PlannedRoute[];
  /** written only when this call creates the bridge */
  bridgeSysctls: Sysctl[];
  /** keys name the host veth as HOST_VETH when the kernel picks the name */
  hostVethSysctls: Sysctl[];
  containerSysctls: Sysctl[];
  /** persisted under /run/sysctl.d when the bridge is created (systemd hosts, root only) */
  sysctlFile: { path: string; content: string } | undefined;
  vrf: string | undefined;
  vlan: number | undefined;
  ipv6: boolean;
  firewall: FirewallNetwork | undefined;
  ports: PortForward | undefined;
  dns: DnsPlan | undefined;
  /** IPAM dhcp (unmanaged bridges only): the proxy leases the address at apply time */
  dhcp: DhcpPlan | undefined;
  status: { subnets: StatusSubnet[]; dnsServerIps: string[]; dnsSearchDomains: string[] };
}

function checkIfName(name: string, where: string): void {
  if (name.length > IFNAMSIZ) throw new ConfigError(`${where}: interface name ${name} is longer than ${IFNAMSIZ} characters`);
  if (/[\s/:]/.test(name) || name === '.' || name === '..') throw new ConfigError(`${where}: invalid interface name ${JSON.stringify(name)}`);
}

export function planBridge(att: Attachment, ctx: PlanContext): BridgePlan {
  const { network: net, opts, path } = att;
  const netPath = `network_info.${att.name}`;
  const o = parseBridgeOptions(net.options, netPath);
  const bridge = net.network_interface ?? '';
  if (bridge === '') throw new ConfigError(`${netPath}.network_interface: a bridge network needs a bridge name`);
  checkIfName(bridge, `${netPath}.network_interface`);
  checkIfName(opts.interface_name, `${path}.interface_name`);
  const managed = o.mode === 'managed';
  // netavark's text (scripts match it); the field path goes to the debug log
  if (net.ipam_options['driver'] === 'dhcp' && managed) {
    throw new ConfigError('cannot use dhcp ipam driver without using the option mode=unmanaged', { detail: `${netPath}.ipam_options.driver` });
  }
  const ipam = ipamDriver(att);
  // no name: the kernel names the host end veth0, veth1, … (lowest free), as for netavark
  const hostVeth = opts.options['host_interface_name'] || undefined;
  if (hostVeth !== undefined) checkIfName(hostVeth, `${path}.options.host_interface_name`);

  const { subnets, containerAddrs, statusSubnets, routes } = planAddressing(att, ipam, {
    metric: o.metric,
    defaultRoutes: !net.internal && !o.noDefaultRoute,
  });
  const ipv4 = att.staticIps.filter((ip) => !ip.includes(':'));
  const ipv6Addrs = att.staticIps.filter((ip) => ip.includes(':'));
  const ipv6 = subnets.some((s) => s.cidr.family === 6);
  const bridgeAddrs = managed
    ? subnets.filter((s) => s.gateway).map((s) => `${s.gateway}/${s.cidr.prefix}`)
    : [];
  const gateways = subnets.flatMap((s) => (s.gateway ? [s.gateway] : []));

  const bridgeSysctls: Sysctl[] = [];
  const hostVethSysctls: Sysctl[] = [];
  if (managed) {
    if (net.internal) {
      bridgeSysctls.push({ key: `net/ipv4/conf/${bridge}/forwarding`, value: '0' });
      if (ipv6) bridgeSysctls.push({ key: `net/ipv6/conf/${bridge}/forwarding`, value: '0' });
    } else {
      bridgeSysctls.push({ key: 'net/ipv4/ip_forward', value: '1' });
      if (ipv6) bridgeSysctls.push({ key: 'net/ipv6/conf/all/forwarding', value: '1' });
      bridgeSysctls.push({ key: `net/ipv4/conf/${bridge}/route_localnet`, value: '1' });
    }
    if (ipv6) {
      bridgeSysctls.push({ key: `net/ipv6/conf/${bridge}/accept_dad`, value: '0' });
      bridgeSysctls.push({ key: `net/ipv6/conf/${bridge}/accept_ra`, value: '0' });
    }
    bridgeSysctls.push({ key: `net/ipv4/conf/${bridge}/rp_filter`, value: '2' });
    if (ipv6) hostVethSysctls.push({ key: `net/ipv6/conf/${hostVeth ?? HOST_VETH}/accept_dad`, value: '0' });
  }
  const ifc = opts.interface_name;
  const containerSysctls: Sysctl[] = managed
    ? [
        { key: `net/ipv6/conf/${ifc}/autoconf`, value: '0', optional: true },
        ...(ipv6 ? [{ key: `net/ipv6/conf/${ifc}/accept_dad`, value: '0', optional: true }] : []),
        { key: `net/ipv4/conf/${ifc}/arp_notify`, value: '1' },
        { key: `net/ipv4/conf/${ifc}/rp_filter`, value: '2' },
      ]
    : [];

  const sysctlFile =
    managed && ctx.systemd && !ctx.rootless
      ? {
          // netavark's file: systemd-sysctl re-applies it, and tools know the name
          path: `/run/sysctl.d/10-netavark-${bridge}.conf`,
          content: sysctlFileContent(bridgeSysctls),
        }
      : undefined;

  const firewall: FirewallNetwork | undefined = managed
    ? {
        networkId: net.id,
        networkName: att.name,
        bridge,
        subnets: subnets.map((s) => s.cidr.text),
        gateways,
        isolate: o.isolate,
        internal: net.internal,
        dnsPort: ctx.dnsPort,
        dnsEnabled: net.dns_enabled && ctx.dnsAvailable,
        ...(o.outboundAddr4 ? { outboundAddr4: o.outboundAddr4 } : {}),
        ...(o.outboundAddr6 ? { outboundAddr6: o.outboundAddr6 } : {}),
      }
    : undefined;
  const ports =
    firewall && !net.internal && ctx.portMappings.length > 0
      ? {
          containerId: ctx.containerId,
          network: firewall,
          ...(ipv4[0] ? { containerIpV4: ipv4[0] } : {}),
          ...(ipv6Addrs[0] ? { containerIpV6: ipv6Addrs[0] } : {}),
          portMappings: ctx.portMappings,
        }
      : undefined;

  const dnsOn = net.dns_enabled && ctx.dnsAvailable;
  // unmanaged bridges: the DNS server binds the bridge's own addresses, known only at apply time
  const dns = dnsOn
    ? {
        network: att.name,
        internal: net.internal,
        bindIps: managed ? gateways : [],
        networkDnsServers: net.network_dns_servers.map((s) => parseIp(s)!.address),
        ipv4,
        ipv6: ipv6Addrs,
        names: [ctx.containerName, ...att.aliases],
      }
    : undefined;

  return {
    driver: 'bridge',
    attachment: att,
    bridge,
    managed,
    mtu: o.mtu,
    hostVeth,
    containerIf: ifc,
    containerMac: opts.static_mac ? parseMac(opts.static_mac) : undefined,
    containerAddrs,
    bridgeAddrs,
    routes,
    bridgeSysctls,
    hostVethSysctls,
    containerSysctls,
    sysctlFile,
    vrf: o.vrf,
    vlan: o.vlan,
    ipv6,
    firewall,
    ports,
    dns,
    dhcp:
      ipam === 'dhcp'
        ? {
            defaultRouteMetric: net.internal || o.noDefaultRoute ? undefined : o.metric,
            userDns: ctx.dnsServers.length > 0 || (net.network_dns_servers?.length ?? 0) > 0,
          }
        : undefined,
    status: {
      subnets: statusSubnets,
      dnsServerIps: dns ? (managed ? gateways : []) : ctx.dnsServers,
      dnsSearchDomains: dns ? [DNS_SEARCH_DOMAIN] : [],
    },
  };
}

/** netavark's /run/sysctl.d file: slash-form keys, which systemd-sysctl accepts too. */
export function sysctlFileContent(sysctls: Sysctl[]): string {
  return '# autogenerated by netavark\n' + sysctls.map((s) => `${s.key} = ${s.value}`).join('\n') + '\n';
}
