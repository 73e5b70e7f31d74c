// The firewall driver seam. `skiff setup` hands each driver plain data: which
// networks exist and which ports a container publishes. Drivers own their
// state files (under <config>/firewall/, not in rootless mode).
// Driver-neutral files sit here (select.ts picks the driver, reload.ts replays
// saved state, none.ts, firewalld*.ts); nftables/ holds the nftables driver.
import type { PortMapping } from '../schemas/port-mapping.js';

/** isolate option: strict (default), true, false. */
export type Isolation = 'strict' | 'true' | 'false';

export interface FirewallNetwork {
  networkId: string;
  networkName: string;
  /** bridge interface name */
  bridge: string;
  /** subnet CIDRs in canonical form, e.g. "10.88.0.0/16", "fd00::/64" */
  subnets: string[];
  /** gateway IPs on the bridge (the DNS server addresses) */
  gateways: string[];
  isolate: Isolation;
  internal: boolean;
  /** NETAVARK_DNS_PORT; 53 unless set */
  dnsPort: number;
  /** DNS is served on the gateways for this network */
  dnsEnabled: boolean;
  outboundAddr4?: string;
  outboundAddr6?: string;
  /** false: traffic leaving the network keeps its source address (CNI `ipMasq: false`); default true */
  masquerade?: boolean;
  /** destinations reached without NAT, e.g. a cluster's pod CIDR (CNI `clusterCIDR`) */
  noNatDestinations?: string[];
}

export interface PortForward {
  containerId: string;
  network: FirewallNetwork;
  /** first container address of each family on this network, if any */
  containerIpV4?: string;
  containerIpV6?: string;
  portMappings: PortMapping[];
}

export interface FirewallDriver {
  readonly name: 'nftables' | 'none';
  /** Ensures a network's rules; idempotent. */
  setupNetwork(n: FirewallNetwork): Promise<void>;
  /** Removes a network's rules when `complete` (its bridge's last container left). */
  teardownNetwork(n: FirewallNetwork, o: { complete: boolean }): Promise<void>;
  /** Adds a container's published ports; idempotent. */
  setupPorts(p: PortForward): Promise<void>;
  /** Removes exactly what setupPorts added for this container on this network. */
  teardownPorts(p: PortForward): Promise<void>;
  /** Re-applies all saved state (firewall-reload). */
  reload(): Promise<void>;
}

export interface FirewallContext {
  /** --config dir; state lives in <configDir>/firewall */
  configDir: string;
  rootless: boolean;
}
