// Shared shapes of the rootless adapter: what the user asked for (validated
// options), what the installed helper can do (probed features), and what we
// print once the container namespace is configured.
import type { PortMapping } from '../../schemas/port-mapping.js';

export type Backend = 'pasta' | 'slirp4netns';
export const BACKENDS: readonly Backend[] = ['pasta', 'slirp4netns'];

/** One published port after validation: tcp or udp only, ranges kept as a count. */
export interface PortForward {
  proto: 'tcp' | 'udp';
  hostIp: string; // '' = every address
  hostPort: number;
  containerPort: number;
  range: number; // >= 1
}

/** Everything `rootless setup` needs; built from flags + stdin by options.ts. */
export interface RootlessOptions {
  backend: Backend;
  /** Path of the container's network namespace (a bare name means /run/netns/NAME). */
  netns: string;
  /** User namespace that owns `netns`, when it is not ours (joined by the helper). */
  userns?: string;
  mtu?: number;
  ipv6: boolean;
  /** Source addresses for outbound traffic, at most one IPv4 and one IPv6. */
  outboundAddr4?: string;
  outboundAddr6?: string;
  /** pasta only: the address in the container that forwards to the host's resolver. */
  dnsForward?: string;
  /** Let the container reach the host's loopback through the gateway address. */
  hostLoopback: boolean;
  /** slirp4netns only: the virtual network (default 10.0.2.0/24). */
  cidr?: string;
  /** Interface name inside the container (pasta: host's name, slirp4netns: tap0). */
  interface?: string;
  /** pasta's `--map-guest-addr` target for host.containers.internal. */
  mapGuestAddr?: string;
  ports: PortForward[];
  /** Extra arguments passed through to the helper, like containers.conf pasta_options. */
  extraArgs: string[];
  /** Pass --debug to the helper instead of --quiet. */
  debug: boolean;
}

/** What `--help` (and `--version`) of the installed helper told us. */
export interface Features {
  version: string;
  /** Long options the help text mentions, without the leading dashes. */
  options: ReadonlySet<string>;
}

export interface RootlessResult {
  backend: Backend;
  netns: string;
  pid: number;
  interface: string;
  mtu?: number;
  /** CIDR notation, global scope only (IPv6 link-local is skipped). */
  addresses: string[];
  gateway4?: string;
  gateway6?: string;
  dns_servers: string[];
  /** Where the container reaches the host's loopback, when host-loopback is on. */
  host_loopback?: string;
  port_mappings: PortMapping[];
}
