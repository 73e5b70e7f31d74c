// The proxy's three calls as plain async functions over NetworkConfig and
// Lease objects; server.ts puts them behind gRPC. Errors are ProxyErrors that
// carry the gRPC status netavark's proxy answers with.
import { parseMac } from '../../schemas/ip.js';
import type { Log } from '../lib/log.js';
import { openNetns } from '../netlink/netns.js';
import { openNetlinkIn } from '../netlink/netns.js';
import { DhcpError, type DhcpLease } from './client.js';
import type { LeaseCache } from './cache.js';
import type { ProtoLease, ProtoNetworkConfig } from './grpc.js';
import { Session } from './session.js';

export type ProxyStatus = 'INVALID_ARGUMENT' | 'ABORTED' | 'NOT_FOUND' | 'INTERNAL';

export class ProxyError extends Error {
  constructor(
    readonly status: ProxyStatus,
    message: string,
  ) {
    super(message);
  }
}

export function toProtoLease(l: DhcpLease, mac: string, domainName: string): ProtoLease {
  return {
    t1: l.t1,
    t2: l.t2,
    lease_time: l.leaseTime,
    mtu: l.mtu,
    // netavark: the request's domain name wins over the server's
    domain_name: domainName || l.domainName,
    mac_address: mac,
    isV6: false,
    siaddr: l.siaddr,
    yiaddr: l.yiaddr,
    srv_id: l.srvId,
    subnet_mask: l.subnetMask,
    broadcast_addr: l.broadcast,
    dns_servers: l.dnsServers,
    gateways: l.gateways,
    ntp_servers: l.ntpServers,
    host_name: l.hostName,
  };
}

const EMPTY_LEASE: ProtoLease = toProtoLease(
  { yiaddr: '', subnetMask: '', gateways: [], dnsServers: [], ntpServers: [], domainName: '', hostName: '', broadcast: '', mtu: 0, siaddr: '', srvId: '', leaseTime: 0, t1: 0, t2: 0, boundAt: 0 },
  '',
  '',
);

const IFNAME = /^[^\s/:]{1,15}$/;

/** Checks a Setup request; returns the normalized MAC. */
export function validateConfig(nc: ProtoNetworkConfig): string {
  const mac = parseMac(nc.container_mac_addr);
  if (!mac) throw new ProxyError('INVALID_ARGUMENT', `invalid container_mac_addr ${JSON.stringify(nc.container_mac_addr)}: expected a MAC address like aa:bb:cc:dd:ee:ff`);
  if (nc.version === 'V6' || nc.version === 1) throw new ProxyError('INVALID_ARGUMENT', 'ipv6 not yet supported');
  if (nc.version !== 'V4' && nc.version !== 0) throw new ProxyError('INVALID_ARGUMENT', 'invalid protocol version');
  if (!IFNAME.test(nc.container_iface) || nc.container_iface === '.' || nc.container_iface === '..') {
    throw new ProxyError('INVALID_ARGUMENT', `invalid container_iface ${JSON.stringify(nc.container_iface)}: expected an interface name`);
  }
  if (!nc.ns_path) throw new ProxyError('INVALID_ARGUMENT', 'ns_path is empty: the proxy needs the container network namespace');
  return mac;
}

export class DhcpProxy {
  private readonly sessions = new Map<string, Session>();
  /** per-MAC queue: a Teardown waits for the Setup before it */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(
    private readonly cache: LeaseCache,
    private readonly timeoutMs: number,
    private readonly log: Log,
  ) {}

  get leaseCount(): number {
    return this.cache.size;
  }

  private serial<T>(mac: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(mac) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.busy.set(mac, tail);
    void tail.then(() => {
      if (this.busy.get(mac) === tail) this.busy.delete(mac);
    });
    return next;
  }

  private hooks(nc: ProtoNetworkConfig) {
    return {
      log: this.log,
      onLease: (s: Session, lease: DhcpLease) => {
        if (this.sessions.get(s.mac) === s) this.cache.set(s.mac, { config: nc, lease });
      },
      onGone: (s: Session, why: string) => {
        if (this.sessions.get(s.mac) !== s) return;
        this.log.warn(`dropping the lease of mac ${s.mac}: ${why}`);
        void this.serial(s.mac, async () => {
          if (this.sessions.get(s.mac) !== s) return;
          this.sessions.delete(s.mac);
          await s.stop(false);
          this.cache.remove(s.mac);
        });
      },
    };
  }

  async setup(nc: ProtoNetworkConfig): Promise<ProtoLease> {
    const mac = validateConfig(nc);
    return this.serial(mac, async () => {
      await checkInterface(nc);
      const old = this.sessions.get(mac);
      if (old) {
        this.sessions.delete(mac);
        await old.stop(false);
      }
      const s = new Session(nc, mac, this.timeoutMs, this.hooks(nc));
      let lease: DhcpLease;
      try {
        lease = await s.start();
      } catch (e) {
        await s.stop(false);
        if (e instanceof DhcpError) throw new ProxyError(e.kind === 'timeout' ? 'ABORTED' : 'NOT_FOUND', e.message);
        if (e instanceof ProxyError) throw e;
        throw new ProxyError('INVALID_ARGUMENT', (e as Error).message);
      }
      this.sessions.set(mac, s);
      try {
        this.cache.set(mac, { config: nc, lease });
      } catch (e) {
        this.sessions.delete(mac);
        await s.stop(true);
        throw new ProxyError('INTERNAL', `Error caching the lease: ${(e as Error).message}`);
      }
      this.log.info(`got lease ${lease.yiaddr} for mac ${mac}`, { iface: nc.container_iface, ns: nc.ns_path });
      return toProtoLease(lease, mac, nc.domain_name);
    });
  }

  /** Releases and forgets the lease of the MAC; an unknown MAC answers an empty lease (netavark does too). */
  async teardown(nc: ProtoNetworkConfig): Promise<ProtoLease> {
    const mac = parseMac(nc.container_mac_addr);
    if (!mac) throw new ProxyError('INVALID_ARGUMENT', `invalid container_mac_addr ${JSON.stringify(nc.container_mac_addr)}: expected a MAC address like aa:bb:cc:dd:ee:ff`);
    return this.serial(mac, async () => {
      const s = this.sessions.get(mac);
      this.sessions.delete(mac);
      if (s) await s.stop(true);
      let entry;
      try {
        entry = this.cache.remove(mac);
      } catch (e) {
        throw new ProxyError('INTERNAL', (e as Error).message);
      }
      if (entry) this.log.info(`released lease ${entry.lease.yiaddr} of mac ${mac}`);
      return entry ? toProtoLease(entry.lease, mac, entry.config.domain_name) : { ...EMPTY_LEASE };
    });
  }

  /** Clean: forget every lease (netavark: clears the cache). */
  async clean(): Promise<void> {
    for (const [mac, s] of this.sessions) {
      this.sessions.delete(mac);
      await s.stop(false);
    }
    this.cache.clear();
  }

  /** After a restart: renew every cached lease whose namespace still exists. */
  async resume(): Promise<void> {
    for (const [mac, entry] of this.cache.all()) {
      const s = new Session(entry.config, mac, this.timeoutMs, this.hooks(entry.config));
      try {
        await s.resume(entry.lease);
        this.sessions.set(mac, s);
        this.log.info(`resumed lease ${entry.lease.yiaddr} of mac ${mac}`);
      } catch (e) {
        await s.stop(false);
        this.log.warn(`dropping cached lease ${entry.lease.yiaddr} of mac ${mac}: ${(e as Error).message}`);
        this.cache.remove(mac);
      }
    }
  }

  /** Stops every timer and socket; the leases stay cached for the next start. */
  async shutdown(): Promise<void> {
    for (const s of this.sessions.values()) await s.stop(false);
    this.sessions.clear();
  }
}

async function checkInterface(nc: ProtoNetworkConfig): Promise<void> {
  let ns;
  try {
    ns = openNetns(nc.ns_path);
  } catch (e) {
    throw new ProxyError('INVALID_ARGUMENT', (e as Error).message);
  }
  try {
    const nl = await openNetlinkIn(ns);
    try {
      const link = await nl.getLink(nc.container_iface);
      if (!link) throw new ProxyError('INVALID_ARGUMENT', `interface ${nc.container_iface} not found in ${nc.ns_path}`);
      if (link.mac && link.mac !== parseMac(nc.container_mac_addr)) {
        throw new ProxyError('INVALID_ARGUMENT', `interface ${nc.container_iface} in ${nc.ns_path} has MAC ${link.mac}, not ${nc.container_mac_addr}`);
      }
      if (!link.up) await nl.setUp(link.index);
    } finally {
      nl.close();
    }
  } finally {
    ns.close();
  }
}
