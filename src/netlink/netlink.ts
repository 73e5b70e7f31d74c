// The rtnetlink facade: one instance per network namespace, one small method
// per kernel verb. Only rtnl.ts talks to the `netlink` package; everything else
// sees this interface, so the kernel's quirks stay in one file.

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: 'bridge', 'veth', 'macvlan', ... ; undefined for physical/loopback. */
  kind: string | undefined;
  /** lowercase aa:bb:cc:dd:ee:ff, undefined when the link has none. */
  mac: string | undefined;
  mtu: number;
  up: boolean;
  /** ifindex of the bridge (or other master) this link is attached to. */
  master: number | undefined;
  /**
   * IFLA_LINK: a veth's peer, a macvlan's parent. For a veth whose peer is in
   * another namespace, the index is valid in that namespace.
   */
  peerIndex?: number | undefined;
  /** a VRF's routing table (IFLA_VRF_TABLE) */
  vrfTable?: number | undefined;
}

export interface Address {
  linkIndex: number;
  /** e.g. "10.88.0.1/16" or "fd00::1/64" */
  cidr: string;
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface RouteSpec {
  /** destination CIDR; "0.0.0.0/0" or "::/0" for default routes */
  destination: string;
  gateway?: string;
  /** output link index (unicast routes) */
  linkIndex?: number;
  metric?: number;
  type?: RouteType;
}

export interface Route extends RouteSpec {
  family: 4 | 6;
  table: number;
}

/**
 * Every method fails with NetlinkError: `Netlink error: <what>: <strerror> (os error N)`
 * naming the object, with `errno` set ('EEXIST', 'ENODEV', ...) and sometimes a
 * `hint`. Input the kernel would refuse (bad MAC, CIDR, interface name) fails
 * the same way with errno 'EINVAL' before anything is sent.
 */
export interface Netlink {
  /** Every link in the namespace. */
  links(): Promise<Link[]>;
  /** The indexes of the links whose master is `master` (a bridge's index): its ports. */
  ports(master: number): Promise<number[]>;
  getLink(name: string): Promise<Link | undefined>;
  getLinkByIndex(index: number): Promise<Link | undefined>;
  /**
   * Creates a bridge; EEXIST → NetlinkError with errno 'EEXIST'. `vlanFiltering`
   * on a kernel without CONFIG_BRIDGE_VLAN_FILTERING fails with 'EOPNOTSUPP'
   * (the kernel removes the half-made bridge).
   */
  createBridge(o: { name: string; mtu?: number; mac?: string; vlanFiltering?: boolean }): Promise<Link>;
  /**
   * Creates a veth pair whose `host` end stays here (attached to `master` when
   * given) and whose `peer` end is created directly inside the namespace behind
   * `peerNetnsFd`. `peerMac` sets the container end's MAC.
   */
  createVeth(o: {
    /** omitted: the kernel names it veth0, veth1, … (lowest free index) */
    host?: string;
    peer: string;
    peerNetnsFd: number;
    mtu?: number;
    peerMac?: string;
    master?: number;
  }): Promise<void>;
  /**
   * Creates a macvlan/ipvlan on `parent` (a link of this namespace) directly
   * inside the namespace behind `netnsFd`; the name only has to be free there.
   * `bcQueueLenOrCutoff` is macvlan's IFLA_MACVLAN_BC_CUTOFF (ignored for ipvlan).
   * A kernel without the driver answers 'EOPNOTSUPP'.
   */
  createVlanLink(o: {
    kind: 'macvlan' | 'ipvlan';
    name: string;
    parent: number;
    netnsFd: number;
    mode: number;
    mtu?: number;
    mac?: string;
    bcQueueLenOrCutoff?: number;
  }): Promise<void>;
  setMaster(link: number, master: number): Promise<void>;
  setMac(link: number, mac: string): Promise<void>;
  setMtu(link: number, mtu: number): Promise<void>;
  /**
   * Bridge port hairpin mode: lets a frame leave through the port it came in on,
   * which a container reaching its own published port needs when br_netfilter
   * is loaded (the DNAT happens after the bridge decided where the frame goes).
   */
  setHairpin(link: number, on: boolean): Promise<void>;
  setUp(link: number): Promise<void>;
  /**
   * Deletes a link; an absent link is not an error. Deleting either veth end removes both.
   * `known`: the link as just read by name, saving the lookup.
   */
  deleteLink(name: string, known?: Link): Promise<'deleted' | 'absent'>;
  addresses(linkIndex?: number): Promise<Address[]>;
  /** Adds an address; an identical existing address is not an error. */
  addAddress(a: Address): Promise<void>;
  /** 'absent' also when the link itself is gone. */
  deleteAddress(a: Address): Promise<'deleted' | 'absent'>;
  /**
   * Main-table (or `table`) routes, one entry per nexthop (an IPv6 multipath route lists each
   * gateway), metric as the kernel stores it (IPv6 routes added without one: 1024).
   */
  routes(family?: 4 | 6, table?: number): Promise<Route[]>;
  /**
   * Adds a route to the main table; an identical existing route is not an error,
   * and another gateway for the same destination and metric is added beside it
   * (two networks' default routes).
   */
  addRoute(r: RouteSpec): Promise<void>;
  /** Deletes the route matching `r` (metric/link only when given); 'absent' when none does. */
  deleteRoute(r: RouteSpec): Promise<'deleted' | 'absent'>;
  close(): void;
}
