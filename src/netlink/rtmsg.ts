// rtnetlink message bodies, pure: ifinfomsg / ifaddrmsg / rtmsg plus the
// attributes the facade uses, and the parsers that turn kernel replies into the
// facade's Link / Address / Route. Numbers are from <linux/rtnetlink.h>,
// <linux/if_link.h> and <linux/if_addr.h>.
import type { Address, Link, Route, RouteSpec, RouteType } from './netlink.js';
import { attr, decodeAttrs, findAttr, nest, readStr, readU32, str, u16, u32, u8 } from './wire.js';
import { familyOf, formatIp, formatMac, ipToBytes, parseMac as parseMacBytes } from '../lib/ip.js';

export const RTM_NEWLINK = 16;
/** PF_BRIDGE port settings (hairpin, ...) go through SETLINK, not NEWLINK. */
export const RTM_SETLINK = 19;
const AF_BRIDGE = 7;
const IFLA_PROTINFO = 12;
const IFLA_BRPORT_MODE = 4;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

const IFF_UP = 0x1;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_LINK_NETNSID = 37;
const IFLA_EXT_MASK = 29;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_BR_VLAN_FILTERING = 7;
const IFLA_MACVLAN_MODE = 1;
const IFLA_MACVLAN_BC_CUTOFF = 9;
const IFLA_IPVLAN_MODE = 1;
const IFLA_VRF_TABLE = 1;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_F_NODAD = 0x02;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_MULTIPATH = 9;
const RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;
const RTPROT_STATIC = 4;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;
const RTM_F_CLONED = 0x200;

const RTN: Record<RouteType, number> = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8 };
const RTN_NAME = new Map<number, RouteType>(Object.entries(RTN).map(([k, v]) => [v, k as RouteType]));

/** IPv6 routes without RTA_PRIORITY get this metric from the kernel (IP6_RT_PRIO_USER). */
export const IP6_DEFAULT_METRIC = 1024;

// --- links ------------------------------------------------------------------

/** struct ifinfomsg: family, pad, type, index, flags, change. */
export function ifinfomsg(o: { index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE(o.flags ?? 0, 8);
  b.writeUInt32LE(o.change ?? 0, 12);
  return b;
}

/** `bridge link set dev <port> hairpin on|off`: a PF_BRIDGE SETLINK with IFLA_BRPORT_MODE. */
export function bridgePortHairpinRequest(index: number, on: boolean): Buffer {
  const msg = ifinfomsg({ index });
  msg.writeUInt8(AF_BRIDGE, 0);
  return Buffer.concat([msg, nest(IFLA_PROTINFO, u8(IFLA_BRPORT_MODE, on ? 1 : 0))]);
}

export const linkAttr = {
  name: (n: string) => str(IFLA_IFNAME, validIfName(n)),
  /** Leaves the per-link counters out of GETLINK replies: a third of their size. */
  skipStats: () => u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS),
  mtu: (m: number) => u32(IFLA_MTU, m),
  mac: (m: string) => attr(IFLA_ADDRESS, parseMac(m)),
  master: (i: number) => u32(IFLA_MASTER, i),
  parent: (i: number) => u32(IFLA_LINK, i),
  netnsFd: (fd: number) => u32(IFLA_NET_NS_FD, fd),
  info: (kind: string, ...data: Buffer[]) =>
    data.length ? nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, kind), nest(IFLA_INFO_DATA, ...data)) : nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, kind)),
  /** VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's attributes. */
  vethPeer: (...peerAttrs: Buffer[]) => nest(VETH_INFO_PEER, ifinfomsg(), ...peerAttrs),
  bridgeVlanFiltering: (on: boolean) => u8(IFLA_BR_VLAN_FILTERING, on ? 1 : 0),
  macvlanMode: (m: number) => u32(IFLA_MACVLAN_MODE, m),
  macvlanBcCutoff: (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n, 0);
    return attr(IFLA_MACVLAN_BC_CUTOFF, b);
  },
  ipvlanMode: (m: number) => u16(IFLA_IPVLAN_MODE, m),
};

export const IFF = { UP: IFF_UP };

/** The kernel's dev_valid_name(): 1-15 bytes, not . or .., no '/', ':' or whitespace. */
export function validIfName(n: string): string {
  const why =
    n === '' ? 'it is empty'
    : Buffer.byteLength(n) > 15 ? 'it is longer than 15 bytes'
    : n === '.' || n === '..' ? 'it is . or ..'
    : /[/:\s]/.test(n) ? "it contains '/', ':' or whitespace"
    : undefined;
  if (why) throw new Error(`invalid interface name "${n}": ${why}`);
  return n;
}

/** The ifindex of an RTM_NEWLINK payload (ifinfomsg.ifi_index). */
export function linkIndex(payload: Buffer): number {
  return payload.readInt32LE(4);
}

/** IFLA_MASTER of an RTM_NEWLINK payload, found without decoding the rest; undefined when it has none. */
export function linkMaster(payload: Buffer): number | undefined {
  return readU32(findAttr(payload.subarray(16), IFLA_MASTER));
}

export function parseLink(payload: Buffer): Link {
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const a = decodeAttrs(payload.subarray(16));
  const info = a.get(IFLA_LINKINFO);
  const mac = a.get(IFLA_ADDRESS);
  const master = readU32(a.get(IFLA_MASTER));
  const peer = readU32(a.get(IFLA_LINK));
  const infoAttrs = info ? decodeAttrs(info) : undefined;
  const kind = infoAttrs ? readStr(infoAttrs.get(IFLA_INFO_KIND)) : undefined;
  const infoData = infoAttrs?.get(IFLA_INFO_DATA);
  const vrfTable = kind === 'vrf' && infoData ? readU32(decodeAttrs(infoData).get(IFLA_VRF_TABLE)) : undefined;
  return {
    index,
    name: readStr(a.get(IFLA_IFNAME)) ?? '',
    kind,
    mac: mac && mac.length ? formatMac(mac) : undefined,
    mtu: readU32(a.get(IFLA_MTU)) ?? 0,
    up: (flags & IFF_UP) !== 0,
    master: master ? master : undefined,
    // IFLA_LINK is the link's own index for most devices; a peer in another
    // namespace (IFLA_LINK_NETNSID present) may well have the same number there
    ...(peer && (peer !== index || a.has(IFLA_LINK_NETNSID)) ? { peerIndex: peer } : {}),
    ...(vrfTable !== undefined ? { vrfTable } : {}),
  };
}

// --- addresses --------------------------------------------------------------

export function addressRequest(a: Address): Buffer {
  const { family, bytes, prefix } = parseCidr(a.cidr);
  const b = Buffer.alloc(8);
  b.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt8(prefix, 1);
  // v6: no DAD, so the address is usable at once (netavark does the same)
  b.writeUInt8(family === 6 ? IFA_F_NODAD : 0, 2);
  b.writeUInt8(RT_SCOPE_UNIVERSE, 3);
  b.writeUInt32LE(a.linkIndex, 4);
  const attrs = [attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)];
  if (family === 4 && prefix < 31) attrs.push(attr(IFA_BROADCAST, broadcast4(bytes, prefix)));
  return Buffer.concat([b, ...attrs]);
}

/** A dump request body for one family (0 = both). */
export function familyOnly(family: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt8(family, 0);
  return b;
}

export function parseAddress(payload: Buffer): Address & { family: 4 | 6 } {
  const family = payload.readUInt8(0) === AF_INET ? 4 : 6;
  const prefix = payload.readUInt8(1);
  const linkIndex = payload.readUInt32LE(4);
  const a = decodeAttrs(payload.subarray(8));
  // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links
  const bytes = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS) ?? Buffer.alloc(family === 4 ? 4 : 16);
  return { family, linkIndex, cidr: `${formatIp(bytes)}/${prefix}` };
}

// --- routes -----------------------------------------------------------------

/** rtmsg + attributes for RTM_NEWROUTE / RTM_DELROUTE in the main table. */
export function routeRequest(r: RouteSpec, op: 'add' | 'delete'): Buffer {
  const dst = parseCidr(r.destination);
  const type = r.type ?? 'unicast';
  const gw = r.gateway === undefined ? undefined : parseIp(r.gateway);
  if (gw && gw.family !== dst.family) throw new Error(`gateway ${r.gateway} is not in the family of ${r.destination}`);
  if (gw && type !== 'unicast') throw new Error(`a ${type} route takes no gateway`);
  const b = Buffer.alloc(12);
  b.writeUInt8(dst.family === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt8(dst.prefix, 1);
  b.writeUInt8(RT_TABLE_MAIN, 4);
  b.writeUInt8(op === 'add' ? RTPROT_STATIC : 0, 5);
  // same scope choice as iproute2: a unicast route with no gateway is on-link
  const scope = op === 'delete' ? RT_SCOPE_NOWHERE : type === 'unicast' && !gw ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  b.writeUInt8(scope, 6);
  b.writeUInt8(RTN[type], 7);
  const attrs: Buffer[] = [];
  if (dst.prefix > 0) attrs.push(attr(RTA_DST, dst.bytes));
  if (gw) attrs.push(attr(RTA_GATEWAY, gw.bytes));
  if (r.linkIndex !== undefined) attrs.push(u32(RTA_OIF, r.linkIndex));
  if (r.metric !== undefined) attrs.push(u32(RTA_PRIORITY, r.metric));
  return Buffer.concat([b, ...attrs]);
}

/**
 * The main-table (or `wantTable`) routes in one RTM_NEWROUTE message: one per nexthop, so an
 * IPv6 multipath route (two networks' default routes with the same metric)
 * reads like the two IPv4 routes it would be. Other tables, cached routes and
 * types the facade does not model (local, broadcast, ...) give none.
 */
export function parseRoute(payload: Buffer, wantTable: number = RT_TABLE_MAIN): Route[] {
  const fam = payload.readUInt8(0);
  if (fam !== AF_INET && fam !== AF_INET6) return [];
  const family = fam === AF_INET ? 4 : 6;
  const dstLen = payload.readUInt8(1);
  const type = RTN_NAME.get(payload.readUInt8(7));
  const flags = payload.readUInt32LE(8);
  const a = decodeAttrs(payload.subarray(12));
  const table = readU32(a.get(RTA_TABLE)) ?? payload.readUInt8(4);
  if (table !== wantTable || !type || flags & RTM_F_CLONED) return [];
  const dst = a.get(RTA_DST) ?? Buffer.alloc(family === 4 ? 4 : 16);
  const base: Route = { family, table, destination: `${formatIp(dst)}/${dstLen}`, type };
  const metric = readU32(a.get(RTA_PRIORITY));
  const route = (gw: Buffer | undefined, oif: number | undefined): Route => {
    const r: Route = { ...base };
    if (gw) r.gateway = formatIp(gw);
    if (oif !== undefined) r.linkIndex = oif;
    if (metric !== undefined) r.metric = metric;
    return r;
  };
  const multipath = a.get(RTA_MULTIPATH);
  if (!multipath) return [route(a.get(RTA_GATEWAY), readU32(a.get(RTA_OIF)))];
  // struct rtnexthop { u16 len; u8 flags; u8 hops; s32 ifindex; } + attributes
  const out: Route[] = [];
  for (let off = 0; off + 8 <= multipath.length; ) {
    const len = multipath.readUInt16LE(off);
    if (len < 8 || off + len > multipath.length) break;
    const nh = decodeAttrs(multipath.subarray(off + 8, off + len));
    out.push(route(nh.get(RTA_GATEWAY), multipath.readInt32LE(off + 4)));
    off += (len + 3) & ~3;
  }
  return out;
}

/** Whether an existing route is the one `r` asks for (as the kernel stores it). */
export function sameRoute(have: Route, want: RouteSpec): boolean {
  const dst = parseCidr(want.destination);
  const wantMetric = want.metric ?? (dst.family === 6 ? IP6_DEFAULT_METRIC : 0);
  return (
    have.family === dst.family &&
    have.destination === `${formatIp(dst.bytes)}/${dst.prefix}` &&
    (have.type ?? 'unicast') === (want.type ?? 'unicast') &&
    (have.gateway ?? '') === (want.gateway === undefined ? '' : formatIp(parseIp(want.gateway).bytes)) &&
    (want.linkIndex === undefined || have.linkIndex === want.linkIndex) &&
    (have.metric ?? 0) === wantMetric
  );
}

// --- IP and MAC text <-> bytes (the grammar is lib/ip.ts; these throw for the facade) ---

export interface ParsedIp {
  family: 4 | 6;
  bytes: Buffer;
}

export function parseIp(s: string): ParsedIp {
  const bytes = ipToBytes(s);
  if (!bytes) throw new Error(`invalid IP address "${s}"`);
  return { family: familyOf(bytes), bytes };
}

/** "10.88.0.1/16" → bytes + prefix; a bare address is a host prefix. */
export function parseCidr(s: string): ParsedIp & { prefix: number } {
  const slash = s.indexOf('/');
  const ip = parseIp(slash === -1 ? s : s.slice(0, slash));
  const max = ip.family === 4 ? 32 : 128;
  const p = slash === -1 ? String(max) : s.slice(slash + 1);
  const prefix = Number(p);
  if (!/^\d{1,3}$/.test(p) || prefix > max) throw new Error(`invalid prefix length in "${s}"`);
  return { ...ip, prefix };
}

function broadcast4(addr: Buffer, prefix: number): Buffer {
  const host = prefix === 0 ? 0xffffffff : (1 << (32 - prefix)) - 1;
  const b = Buffer.alloc(4);
  b.writeUInt32BE((addr.readUInt32BE(0) | host) >>> 0, 0);
  return b;
}

export function parseMac(s: string): Buffer {
  const b = parseMacBytes(s);
  if (!b) throw new Error(`invalid MAC address "${s}"`);
  return b;
}

export { formatIp, formatMac };
