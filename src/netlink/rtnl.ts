// The Netlink facade on the npm `netlink` package. Only its raw socket layer
// (dist/raw) is loaded: the package's message codecs cost ~25 ms of start-up
// on every `skiff setup` and do not model IFLA_LINKINFO, so the few messages we
// need are encoded in rtmsg.ts. The socket belongs to the network namespace of
// the thread that creates it (netns.ts relies on that).
import { createRequire } from 'node:module';
import type { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { NetlinkError } from '../lib/errors.js';
import type { Address, Link, Netlink, Route, RouteSpec } from './netlink.js';
import {
  AF_INET, AF_INET6, AF_UNSPEC, IFF, RTM_DELADDR, RTM_DELLINK, RTM_DELROUTE, RTM_GETADDR, RTM_GETLINK,
  RTM_GETROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, RTM_SETLINK, addressRequest, bridgePortHairpinRequest, familyOnly, formatIp, ifinfomsg,
  linkAttr, linkIndex, linkMaster, parseAddress, parseCidr, parseLink, parseRoute, routeRequest, sameRoute,
} from './rtmsg.js';
import {
  NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_REQUEST,
  decodeMessages, encodeMessage, errnoName, errnoText, errorCode,
} from './wire.js';
import { Errno } from '../lib/errno.js';
import { statSync } from 'node:fs';
import { quickDeleteHandler, type DeleteWhere } from '../lib/quick-delete.js';

const NETLINK_ROUTE = 0;
const NEW = NLM_F_CREATE | NLM_F_EXCL;
/** The kernel answers at once; this only guards against a lost reply hanging `skiff setup`. */
const REPLY_TIMEOUT_MS = 30_000;

const noop = (): void => {};

type RawCtor = new (protocol: number, options?: object) => RawNetlinkSocket;
let Raw: RawCtor | undefined;

function rawSocketClass(): RawCtor {
  Raw ??= (createRequire(import.meta.url)('netlink/dist/raw.js') as { RawNetlinkSocket: RawCtor }).RawNetlinkSocket;
  return Raw;
}

/** The kernel refused a request with this (positive) errno. */
class KernelError extends Error {
  constructor(readonly errno: number) {
    super(errnoText(errno));
  }
}

interface Pending {
  replies: Buffer[];
  interrupted: boolean;
  resolve(r: { replies: Buffer[]; interrupted: boolean }): void;
  reject(e: Error): void;
}

/** Request/reply over one NETLINK_ROUTE socket: sequence numbers, ACKs, multipart dumps. */
class RtnlSocket {
  private readonly sock: RawNetlinkSocket;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  constructor() {
    const Ctor = rawSocketClass();
    this.sock = new Ctor(NETLINK_ROUTE);
    this.sock.unref(); // referenced only while a request waits
    this.sock.on('message', (buf) => this.receive(buf));
    this.sock.on('error', (err) => this.failAll(err));
  }

  /**
   * Sends one request; resolves with the payloads of the reply messages (none
   * for a bare ACK). Requests go one at a time: the kernel runs one dump per
   * socket and answers a second one with EBUSY.
   */
  request(type: number, flags: number, body: Buffer): Promise<Buffer[]> {
    const run = async (): Promise<Buffer[]> => {
      for (let attempt = 0; ; attempt++) {
        const r = await this.once(type, flags, body);
        // a dump that raced with a change is inconsistent: take it again
        if (!r.interrupted || attempt >= 4) return r.replies;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.then(noop, noop);
    return p;
  }

  private once(type: number, flags: number, body: Buffer): Promise<{ replies: Buffer[]; interrupted: boolean }> {
    if (this.closed) return Promise.reject(new Error('netlink socket is closed'));
    const seq = (this.seq = (this.seq + 1) >>> 0 || 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(Object.assign(new Error(`no reply from the kernel within ${REPLY_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), REPLY_TIMEOUT_MS);
      timer.unref();
      const done = (err: Error | undefined, r?: { replies: Buffer[]; interrupted: boolean }): void => {
        clearTimeout(timer);
        this.pending.delete(seq);
        if (this.pending.size === 0 && !this.closed) this.sock.unref();
        if (err) reject(err);
        else resolve(r!);
      };
      this.pending.set(seq, { replies: [], interrupted: false, resolve: (r) => done(undefined, r), reject: done });
      try {
        this.sock.ref();
        this.sock.send(encodeMessage(type, flags | NLM_F_REQUEST | NLM_F_ACK, seq, body), {}, (err) => {
          if (err) done(err);
        });
      } catch (e) {
        done(e as Error); // the native side closed the socket after a poll error
      }
    });
  }

  private receive(buf: Buffer): void {
    let msgs;
    try {
      msgs = decodeMessages(buf);
    } catch (e) {
      this.failAll(e as Error);
      return;
    }
    for (const m of msgs) {
      const p = this.pending.get(m.seq);
      if (!p) continue; // a late reply to a timed-out request
      if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
      if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
        // DONE carries an int too: a dump that failed half-way
        const errno = m.payload.length >= 4 ? errorCode(m.payload) : 0;
        if (errno > 0) p.reject(new KernelError(errno));
        else p.resolve({ replies: p.replies, interrupted: p.interrupted });
      } else {
        p.replies.push(m.payload);
      }
    }
  }

  private failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('netlink socket closed'));
    this.sock.close();
  }
}

/**
 * Opens a facade on an rtnetlink socket in the calling thread's current network
 * namespace. Use netns.ts `openNetlinkIn` for another namespace.
 */
export async function openNetlink(): Promise<Netlink> {
  return openNetlinkSync();
}

/** Same as `openNetlink`, synchronous: netns.ts creates the socket between two setns calls. */
export function openNetlinkSync(nsFd?: number): Netlink {
  try {
    // where the socket lives, for skiffd's quick deletes (only looked up where there is a handler)
    const where: DeleteWhere | undefined = !quickDeleteHandler()
      ? undefined
      : nsFd !== undefined
        ? { nsFd }
        : { ino: statSync('/proc/thread-self/ns/net').ino };
    return new Rtnl(new RtnlSocket(), where);
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    throw new NetlinkError(`Netlink error: open rtnetlink socket: ${errno ? errnoText(errno) : (e as Error).message}`, {
      errno: errno ? errnoName(errno) : undefined,
      cause: e,
    });
  }
}

class Rtnl implements Netlink {
  constructor(
    private readonly sock: RtnlSocket,
    private readonly where: DeleteWhere | undefined,
  ) {}

  /** Runs a request; a kernel refusal becomes `Netlink error: <what>: <strerror> (os error N)`. */
  private async call(what: string, type: number, flags: number, body: Buffer, hint?: (errno: string) => string | undefined): Promise<Buffer[]> {
    try {
      return await this.sock.request(type, flags, body);
    } catch (e) {
      throw toNetlinkError(what, e, hint);
    }
  }

  /** Builds a request body; invalid input (bad MAC, CIDR) fails as EINVAL naming the object. */
  private body(what: string, build: () => Buffer): Buffer {
    try {
      return build();
    } catch (e) {
      throw new NetlinkError(`Netlink error: ${what}: ${(e as Error).message}`, { errno: 'EINVAL', cause: e });
    }
  }

  async links(): Promise<Link[]> {
    return (await this.call('list links', RTM_GETLINK, NLM_F_DUMP, Buffer.concat([ifinfomsg(), linkAttr.skipStats()]))).map(parseLink);
  }

  async ports(master: number): Promise<number[]> {
    // the kernel answers only the ports (IFLA_MASTER dump filter, Linux 4.15+); an older one answers every link,
    // hence the check. Each reply is scanned for IFLA_MASTER, not parsed: a bridge's last teardowns read
    // every port of it, and a whole parse of each made that O(ports) of work per teardown
    const body = Buffer.concat([ifinfomsg(), linkAttr.master(master), linkAttr.skipStats()]);
    return (await this.call(`list ports of link ${master}`, RTM_GETLINK, NLM_F_DUMP, body)).filter((p) => linkMaster(p) === master).map(linkIndex);
  }

  async getLink(name: string): Promise<Link | undefined> {
    return this.getOne(`get link ${name}`, () => [ifinfomsg(), linkAttr.name(name)]);
  }

  async getLinkByIndex(index: number): Promise<Link | undefined> {
    return this.getOne(`get link ${index}`, () => [ifinfomsg({ index })]);
  }

  private async getOne(what: string, parts: () => Buffer[]): Promise<Link | undefined> {
    const body = this.body(what, () => Buffer.concat([...parts(), linkAttr.skipStats()]));
    try {
      const [reply] = await this.sock.request(RTM_GETLINK, 0, body);
      return reply ? parseLink(reply) : undefined;
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENODEV) return undefined;
      throw toNetlinkError(what, e);
    }
  }

  async createBridge(o: { name: string; mtu?: number; mac?: string; vlanFiltering?: boolean }): Promise<Link> {
    const what = `create bridge ${o.name}`;
    const body = this.body(what, () => {
      const attrs = [linkAttr.name(o.name)];
      if (o.mtu !== undefined) attrs.push(linkAttr.mtu(o.mtu));
      if (o.mac !== undefined) attrs.push(linkAttr.mac(o.mac));
      const data = o.vlanFiltering === undefined ? [] : [linkAttr.bridgeVlanFiltering(o.vlanFiltering)];
      attrs.push(linkAttr.info('bridge', ...data));
      return Buffer.concat([ifinfomsg(), ...attrs]);
    });
    await this.call(what, RTM_NEWLINK, NEW, body, (errno) =>
      errno === 'EOPNOTSUPP' && o.vlanFiltering
        ? 'This kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); create the network without vlan filtering'
        : undefined,
    );
    const link = await this.getLink(o.name);
    if (!link) throw new NetlinkError(`Netlink error: ${what}: bridge vanished right after creation`, { errno: 'ENODEV' });
    return link;
  }

  async createVeth(o: { host?: string; peer: string; peerNetnsFd: number; mtu?: number; peerMac?: string; master?: number }): Promise<void> {
    const what = `create veth pair ${o.host ?? 'veth%d'} <-> ${o.peer}`;
    const body = this.body(what, () => {
      const peer = [linkAttr.name(o.peer), linkAttr.netnsFd(o.peerNetnsFd)];
      if (o.mtu !== undefined) peer.push(linkAttr.mtu(o.mtu));
      if (o.peerMac !== undefined) peer.push(linkAttr.mac(o.peerMac));
      // without IFLA_IFNAME the kernel names the device "veth%d": the lowest free index
      const attrs = o.host === undefined ? [] : [linkAttr.name(o.host)];
      if (o.mtu !== undefined) attrs.push(linkAttr.mtu(o.mtu));
      if (o.master !== undefined) attrs.push(linkAttr.master(o.master));
      attrs.push(linkAttr.info('veth', linkAttr.vethPeer(...peer)));
      return Buffer.concat([ifinfomsg(), ...attrs]);
    });
    await this.call(what, RTM_NEWLINK, NEW, body, (errno) =>
      errno === 'EEXIST' ? `An interface named ${o.host ?? 'veth%d'} exists here or one named ${o.peer} exists in the container namespace` : undefined,
    );
  }

  async createVlanLink(o: {
    kind: 'macvlan' | 'ipvlan';
    name: string;
    parent: number;
    netnsFd: number;
    mode: number;
    mtu?: number;
    mac?: string;
    bcQueueLenOrCutoff?: number;
  }): Promise<void> {
    const what = `create ${o.kind} ${o.name} on link ${o.parent}`;
    const body = this.body(what, () => {
      const attrs = [linkAttr.name(o.name), linkAttr.parent(o.parent), linkAttr.netnsFd(o.netnsFd)];
      if (o.mtu !== undefined) attrs.push(linkAttr.mtu(o.mtu));
      if (o.mac !== undefined) attrs.push(linkAttr.mac(o.mac));
      const data =
        o.kind === 'macvlan'
          ? [linkAttr.macvlanMode(o.mode), ...(o.bcQueueLenOrCutoff === undefined ? [] : [linkAttr.macvlanBcCutoff(o.bcQueueLenOrCutoff)])]
          : [linkAttr.ipvlanMode(o.mode)];
      attrs.push(linkAttr.info(o.kind, ...data));
      return Buffer.concat([ifinfomsg(), ...attrs]);
    });
    await this.call(what, RTM_NEWLINK, NEW, body, (errno) =>
      errno === 'EOPNOTSUPP' ? `This kernel has no ${o.kind} support (CONFIG_${o.kind.toUpperCase()})` : undefined,
    );
  }

  async setMaster(link: number, master: number): Promise<void> {
    await this.setLink(`attach link ${link} to master ${master}`, link, () => [linkAttr.master(master)]);
  }

  async setMac(link: number, mac: string): Promise<void> {
    await this.setLink(`set MAC of link ${link} to ${mac}`, link, () => [linkAttr.mac(mac)]);
  }

  async setMtu(link: number, mtu: number): Promise<void> {
    await this.setLink(`set MTU of link ${link} to ${mtu}`, link, () => [linkAttr.mtu(mtu)]);
  }

  async setHairpin(link: number, on: boolean): Promise<void> {
    const what = `set hairpin ${on ? 'on' : 'off'} on bridge port ${link}`;
    await this.call(what, RTM_SETLINK, 0, this.body(what, () => bridgePortHairpinRequest(link, on)));
  }

  async setUp(link: number): Promise<void> {
    await this.setLink(`set link ${link} up`, link, () => [], { flags: IFF.UP, change: IFF.UP });
  }

  private async setLink(what: string, index: number, attrs: () => Buffer[], f: { flags?: number; change?: number } = {}): Promise<void> {
    const body = this.body(what, () => Buffer.concat([ifinfomsg({ index, ...f }), ...attrs()]));
    await this.call(what, RTM_NEWLINK, 0, body);
  }

  async deleteLink(name: string, known?: Link): Promise<'deleted' | 'absent'> {
    const body = this.body(`delete link ${name}`, () => Buffer.concat([ifinfomsg(), linkAttr.name(name)]));
    try {
      const quick = this.where && quickDeleteHandler();
      if (quick && this.where) {
        // by index, on another thread, done once the device is unlisted (lib/quick-delete.ts)
        const link = known?.name === name ? known : await this.getLink(name);
        if (!link) return 'absent';
        const started = quick(this.where, link.index);
        const errno = started ? await started : -1;
        if (errno === 0) return 'deleted';
        if (errno > 0) throw new KernelError(errno);
      }
      await this.sock.request(RTM_DELLINK, 0, body);
      return 'deleted';
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENODEV) return 'absent';
      throw toNetlinkError(`delete link ${name}`, e);
    }
  }

  async addresses(linkIndex?: number): Promise<Address[]> {
    const replies = await this.call('list addresses', RTM_GETADDR, NLM_F_DUMP, familyOnly(AF_UNSPEC, 8));
    return replies
      .map(parseAddress)
      .filter((a) => linkIndex === undefined || a.linkIndex === linkIndex)
      .map(({ linkIndex: l, cidr }) => ({ linkIndex: l, cidr }));
  }

  async addAddress(a: Address): Promise<void> {
    const what = `add address ${a.cidr} to link ${a.linkIndex}`;
    const body = this.body(what, () => addressRequest(a));
    try {
      await this.sock.request(RTM_NEWADDR, NEW, body);
    } catch (e) {
      if (!(e instanceof KernelError && e.errno === Errno.EEXIST)) throw toNetlinkError(what, e);
      // EEXIST: fine when it is the same address with the same prefix
      const want = canonicalCidr(a.cidr);
      const have = await this.addresses(a.linkIndex);
      if (!have.some((x) => x.cidr === want)) {
        const other = have.find((x) => sameIp(x.cidr, want));
        throw toNetlinkError(what, e, () => (other ? `The link already has ${other.cidr}` : undefined));
      }
    }
  }

  async deleteAddress(a: Address): Promise<'deleted' | 'absent'> {
    const what = `delete address ${a.cidr} from link ${a.linkIndex}`;
    const body = this.body(what, () => addressRequest(a));
    try {
      await this.sock.request(RTM_DELADDR, 0, body);
      return 'deleted';
    } catch (e) {
      // EADDRNOTAVAIL: no such address; ENODEV: the link (and so the address) is gone
      if (e instanceof KernelError && (e.errno === Errno.EADDRNOTAVAIL || e.errno === Errno.ENODEV)) return 'absent';
      throw toNetlinkError(what, e);
    }
  }

  async routes(family?: 4 | 6, table?: number): Promise<Route[]> {
    const af = family === 4 ? AF_INET : family === 6 ? AF_INET6 : AF_UNSPEC;
    const replies = await this.call('list routes', RTM_GETROUTE, NLM_F_DUMP, familyOnly(af, 12));
    return replies.flatMap((r) => parseRoute(r, table));
  }

  async addRoute(r: RouteSpec): Promise<void> {
    const what = `add route ${describeRoute(r)}`;
    const body = this.body(what, () => routeRequest(r, 'add'));
    try {
      // CREATE without EXCL: a second network's default route (same destination and
      // metric, other gateway) is added beside the first, as netavark does; only an
      // identical route answers EEXIST.
      await this.sock.request(RTM_NEWROUTE, NLM_F_CREATE, body);
    } catch (e) {
      if (!(e instanceof KernelError && e.errno === Errno.EEXIST)) throw toNetlinkError(what, e);
      const family = parseCidr(r.destination).family;
      if (!(await this.routes(family)).some((have) => sameRoute(have, r))) {
        throw toNetlinkError(what, e, () => 'A conflicting route to the same destination exists');
      }
    }
  }

  async deleteRoute(r: RouteSpec): Promise<'deleted' | 'absent'> {
    const what = `delete route ${describeRoute(r)}`;
    const body = this.body(what, () => routeRequest(r, 'delete'));
    try {
      await this.sock.request(RTM_DELROUTE, 0, body);
      return 'deleted';
    } catch (e) {
      // ESRCH: no such route; ENODEV: its output link is gone
      if (e instanceof KernelError && (e.errno === Errno.ESRCH || e.errno === Errno.ENODEV)) return 'absent';
      throw toNetlinkError(what, e);
    }
  }

  close(): void {
    this.sock.close();
  }
}

function toNetlinkError(what: string, e: unknown, hint?: (errno: string) => string | undefined): NetlinkError {
  if (e instanceof KernelError) {
    const errno = errnoName(e.errno);
    return new NetlinkError(`Netlink error: ${what}: ${e.message}`, { errno, hint: hint?.(errno), cause: e });
  }
  const sys = e as { errno?: number; code?: string; message?: string };
  return new NetlinkError(`Netlink error: ${what}: ${sys.message ?? String(e)}`, {
    errno: sys.code ?? (sys.errno ? errnoName(sys.errno) : undefined),
    cause: e,
  });
}

function canonicalCidr(cidr: string): string {
  const c = parseCidr(cidr);
  return `${formatIp(c.bytes)}/${c.prefix}`;
}

function sameIp(a: string, b: string): boolean {
  return a.split('/')[0] === b.split('/')[0];
}

function describeRoute(r: RouteSpec): string {
  const parts = [r.type && r.type !== 'unicast' ? `${r.type} ${r.destination}` : r.destination];
  if (r.gateway) parts.push(`via ${r.gateway}`);
  if (r.linkIndex !== undefined) parts.push(`dev ${r.linkIndex}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  return parts.join(' ');
}
