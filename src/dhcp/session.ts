// One container interface's lease over its life in the proxy: acquire (or
// resume from the cache), renew at T1, rebind at T2, start over after a NAK or
// expiry, follow a changed address in the container, release at the end.
import type { Log } from '../lib/log.js';
import { openNetlinkIn, openNetns } from '../netlink/netns.js';
import { DhcpClient, DhcpError, type DhcpLease } from './client.js';
import type { ProtoNetworkConfig } from './grpc.js';
import { leaseChange, updateLeaseInNetns } from './netns-update.js';
import { openDhcpSocket } from './udp.js';

const INFINITE = 0xffffffff;
/** setTimeout's ceiling (~24.8 days); longer waits are taken in steps */
const MAX_DELAY = 2 ** 31 - 1;
/** pause between failed acquisitions once the lease is lost */
export const RETRY_MS = 10_000;

export interface SessionHooks {
  /** a new lease was bound (renewed or replaced): persist it */
  onLease(s: Session, lease: DhcpLease): void;
  /** the container's namespace or interface is gone without a teardown: forget the lease */
  onGone(s: Session, why: string): void;
  log: Log;
}

export class Session {
  private client: DhcpClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  lease: DhcpLease | undefined;

  constructor(
    readonly config: ProtoNetworkConfig,
    readonly mac: string,
    private readonly timeoutMs: number,
    private readonly hooks: SessionHooks,
  ) {}

  private async open(): Promise<DhcpClient> {
    if (this.client) return this.client;
    const ns = openNetns(this.config.ns_path);
    try {
      const sock = await openDhcpSocket(this.config.container_iface, ns);
      const cid = this.config.container_id
        ? Uint8Array.from([0, ...Buffer.from(this.config.container_id)])
        : Uint8Array.from([1, ...this.mac.split(':').map((h) => parseInt(h, 16))]);
      this.client = new DhcpClient(sock, {
        ifname: this.config.container_iface,
        mac: this.mac,
        hostName: this.config.host_name,
        clientId: cid,
        timeoutMs: this.timeoutMs,
        onDrop: (why) => this.hooks.log.debug(`dhcp ${this.mac}: ${why}`),
      });
      return this.client;
    } finally {
      ns.close();
    }
  }

  /** DORA; the caller reports failures. Starts the renewal timer on success. */
  async start(): Promise<DhcpLease> {
    const client = await this.open();
    const lease = await client.acquire();
    this.lease = lease;
    this.schedule();
    return lease;
  }

  /** Picks up a cached lease after a proxy restart. */
  async resume(lease: DhcpLease): Promise<void> {
    this.lease = lease;
    await this.open();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const l = this.lease;
    if (this.stopped || !l || l.leaseTime === INFINITE) return;
    const at = l.boundAt + l.t1 * 1000;
    const wait = at - Date.now();
    if (wait > MAX_DELAY) {
      this.timer = setTimeout(() => this.schedule(), MAX_DELAY);
      return;
    }
    this.timer = setTimeout(() => void this.renew(), Math.max(0, wait));
  }

  /** Why the lease has no container any more (netns or interface gone), or undefined. */
  private async gone(): Promise<string | undefined> {
    let ns;
    try {
      ns = openNetns(this.config.ns_path);
    } catch {
      return `namespace ${this.config.ns_path} is gone`;
    }
    try {
      const nl = await openNetlinkIn(ns);
      try {
        const link = await nl.getLink(this.config.container_iface);
        return link && link.mac === this.mac ? undefined : `interface ${this.config.container_iface} with MAC ${this.mac} is gone from ${this.config.ns_path}`;
      } finally {
        nl.close();
      }
    } catch {
      return undefined; // cannot tell: keep renewing
    } finally {
      ns.close();
    }
  }

  private async renew(): Promise<void> {
    const old = this.lease;
    const client = this.client;
    if (!old || !client || this.stopped) return;
    // a container removed without a teardown (crash, lost engine state) must not be renewed forever
    const why = await this.gone();
    if (why) {
      this.hooks.onGone(this, why);
      return;
    }
    const t2At = old.boundAt + old.t2 * 1000;
    const expiresAt = old.boundAt + old.leaseTime * 1000;
    let next: DhcpLease | undefined;
    let nak = false;
    for (const rebinding of [false, true]) {
      const until = rebinding ? expiresAt : t2At;
      if (next || nak || this.stopped || Date.now() >= until) continue;
      try {
        next = await client.extend(old, rebinding, until);
      } catch (e) {
        if (e instanceof DhcpError && e.kind === 'nak') nak = true;
        this.hooks.log.info(`dhcp ${this.mac}: ${(e as Error).message}`);
      }
    }
    while (!next && !this.stopped) {
      this.hooks.log.warn(`dhcp ${this.mac}: lease ${old.yiaddr} ${nak ? 'refused' : 'expired'}, requesting a new one`);
      try {
        next = await client.acquire();
      } catch (e) {
        this.hooks.log.error(`Failed to acquire DHCPv4 lease for ${this.mac}: ${(e as Error).message}`);
        await new Promise((r) => (this.timer = setTimeout(r, RETRY_MS)));
      }
    }
    if (!next || this.stopped) return;
    await this.adopt(old, next);
  }

  private async adopt(old: DhcpLease, next: DhcpLease): Promise<void> {
    const c = leaseChange(old, next);
    if (c.addressChanged || c.gatewayChanged) {
      this.hooks.log.info(`ip or gateway for mac ${this.mac} changed, update address`, { old: old.yiaddr, new: next.yiaddr });
      try {
        await updateLeaseInNetns(this.config.ns_path, this.config.container_iface, old, next);
      } catch (e) {
        this.hooks.log.error(`dhcp ${this.mac}: could not apply the new lease in ${this.config.ns_path}: ${(e as Error).message}`);
      }
    }
    this.lease = next;
    this.hooks.onLease(this, next);
    this.schedule();
  }

  /** Stops renewing; sends DHCPRELEASE first when `release` (teardown), not on proxy shutdown. */
  async stop(release: boolean): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    if (release && client && this.lease) {
      try {
        await client.release(this.lease);
      } catch (e) {
        this.hooks.log.warn(`Failed to send DHCPRELEASE for ${this.mac}: ${(e as Error).message}`);
      }
    }
    client?.close();
    this.client = undefined;
  }
}
