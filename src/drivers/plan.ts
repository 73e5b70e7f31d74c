// What every driver's plan shares, as plain data. Plans are pure (unit-tested
// without root); apply layers carry them out. Each driver's own plan type
// lives beside it (bridge-plan.ts, vlan-plan.ts, plugin.ts).
import type { Attachment } from '../../schemas/network-options.js';
import type { PortMapping } from '../../schemas/port-mapping.js';
import type { FirewallNetwork, PortForward } from '../../firewall/firewall.js';
import type { RouteSpec } from '../netlink/netlink.js';

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

/**
 * The fields of a plan that core reads, whatever the driver: which network it
 * is for, and what it asks of the firewall and the DNS server (absent: nothing).
 */
export interface PlanBase {
  /** shown by `setup --dry-run`; core never branches on it */
  driver: string;
  attachment: Attachment;
  firewall?: FirewallNetwork | undefined;
  ports?: PortForward | undefined;
  dns?: DnsPlan | undefined;
}

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
