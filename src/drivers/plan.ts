// What a driver decides for one container on one network, as plain data.
// Plans are pure (unit-tested without root); apply layers carry them out.
import type { Attachment } from '../../schemas/network-options.js';
import type { PortMapping } from '../../schemas/port-mapping.js';
import type { FirewallNetwork, PortForward } from '../../firewall/firewall.js';
import type { RouteSpec } from '../netlink/netlink.js';
import type { VlanPlan } from './vlan-plan.js';
import type { DhcpPlan } from '../dhcp/attach.js';

export interface Sysctl {
  key: string;
  value: string;
  /** ENOENT/EROFS are not errors for this key (e.g. IPv6 disabled in the kernel) */
  optional?: boolean;
}

/** Routes as planned: the output link is the container interface, resolved at apply time. */
export type PlannedRoute = Omit<RouteSpec, 'linkIndex'>;

export interface DnsPlan {
  network: string;
  internal: boolean;
  /** addresses the DNS server listens on (bridge gateways) */
  bindIps: string[];
  networkDnsServers: string[];
  ipv4: string[];
  ipv6: string[];
  /** container name first, then aliases */
  names: string[];
}

export interface StatusSubnet {
  ipnet: string;
  gateway: string | null;
}

export interface BridgePlan {
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
  /** keys name the host veth as HOST_VETH (bridge-plan.ts) when the kernel picks the name */
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

/** A network whose driver is an external plugin. */
export interface PluginPlan {
  driver: 'plugin';
  attachment: Attachment;
  /** the plugin executable */
  path: string;
}

export type AttachmentPlan = BridgePlan | VlanPlan | PluginPlan;

export interface PlanContext {
  containerId: string;
  containerName: string;
  portMappings: PortMapping[];
  dnsServers: string[];
  /** the DNS server binary exists (else DNS is off, as netavark does) */
  dnsAvailable: boolean;
  dnsPort: number;
  rootless: boolean;
  /** /run/systemd/system exists (persist sysctls to /run/sysctl.d) */
  systemd: boolean;
}
