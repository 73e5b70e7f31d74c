// Shared inputs for the rootless unit tests: feature sets of a current and an
// old pasta/slirp4netns, and a baseline RootlessOptions to vary per case.
import type { Features, PortForward, RootlessOptions } from '../../../src/rootless/types.js';

const set = (s: string): ReadonlySet<string> => new Set(s.split(/\s+/).filter(Boolean));

/** pasta 2024_08_14 and later: --map-guest-addr exists. */
export const pastaNew: Features = {
  version: 'pasta 2024_08_21.1d6142f',
  options: set('debug trace quiet foreground stderr log-file pid mtu address netmask gateway outbound dns dns-forward no-map-gw map-guest-addr map-host-loopback ipv4-only ipv6-only tcp-ports udp-ports tcp-ns udp-ns userns netns netns-only config-net ns-ifname'),
};
/** The Debian 12 pasta (2023-03-09): no --map-guest-addr. */
export const pastaOld: Features = {
  version: 'pasta unknown version',
  options: set('debug trace quiet foreground stderr log-file pid mtu address outbound dns dns-forward no-map-gw ipv4-only tcp-ports udp-ports tcp-ns udp-ns userns netns netns-only config-net ns-ifname'),
};
export const slirpFull: Features = {
  version: 'slirp4netns version 1.2.0',
  options: set('configure exit-fd ready-fd mtu enable-ipv6 api-socket cidr disable-host-loopback netns-type userns-path enable-sandbox enable-seccomp outbound-addr outbound-addr6 disable-dns macaddress target-type'),
};
/** slirp4netns 0.3-era: no sandbox, seccomp, cidr, outbound or ipv6. */
export const slirpOld: Features = {
  version: 'slirp4netns version 0.3.0',
  options: set('configure exit-fd ready-fd mtu api-socket disable-host-loopback netns-type userns-path'),
};

export function opts(over: Partial<RootlessOptions> = {}): RootlessOptions {
  return { backend: 'pasta', netns: '/run/user/1000/netns/netns-1234', ipv6: true, hostLoopback: false, ports: [], extraArgs: [], debug: false, ...over };
}

export const tcp8080: PortForward = { proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80, range: 1 };
export const udpRange: PortForward = { proto: 'udp', hostIp: '127.0.0.1', hostPort: 5000, containerPort: 6000, range: 3 };
