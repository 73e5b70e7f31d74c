// One DHCPv4 client: DORA, renewing (unicast to the server at T1), rebinding
// (broadcast at T2) and release, over a socket the caller opens (udp.ts) on
// the container's interface, so chaddr is the container's own MAC.
import { randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import {
  DHCP_SERVER_PORT,
  DhcpPacketError,
  MessageType,
  Opt,
  decodeDhcp,
  encodeDhcp,
  messageType,
  optIp,
  optText,
  optU16,
  optU8,
  readIp,
  readIps,
  readText,
  readU16,
  readU32,
  type DhcpMessage,
} from './packet.js';

/** A bound lease, as cached and as handed to netavark (via toProtoLease). */
export interface DhcpLease {
  yiaddr: string;
  subnetMask: string;
  gateways: string[];
  dnsServers: string[];
  ntpServers: string[];
  domainName: string;
  hostName: string;
  broadcast: string;
  mtu: number;
  siaddr: string;
  srvId: string;
  leaseTime: number;
  t1: number;
  t2: number;
  /** ms since the epoch when the server acknowledged it */
  boundAt: number;
}

export type DhcpFailure = 'timeout' | 'nak';
export class DhcpError extends Error {
  constructor(
    readonly kind: DhcpFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientConfig {
  ifname: string;
  mac: string;
  hostName: string;
  /** option 61; empty: the server keys on chaddr */
  clientId: Uint8Array | undefined;
  /** how long one acquisition may take */
  timeoutMs: number;
  onDrop?: (why: string) => void;
}

const PARAMS = Uint8Array.of(Opt.SUBNET_MASK, Opt.ROUTER, Opt.DNS, Opt.DOMAIN_NAME, Opt.HOST_NAME, Opt.MTU, Opt.BROADCAST, Opt.NTP, Opt.LEASE_TIME, Opt.T1, Opt.T2);
const BROADCAST = '255.255.255.255';

/** Reads a lease out of an ACK; throws DhcpPacketError when it lacks what a lease needs. */
export function leaseFromAck(m: DhcpMessage, now = Date.now()): DhcpLease {
  if (m.yiaddr === '0.0.0.0') throw new DhcpPacketError('ACK without an address (yiaddr 0.0.0.0)');
  const leaseTime = readU32(m, Opt.LEASE_TIME);
  if (leaseTime === undefined) throw new DhcpPacketError('ACK without a lease time (option 51)');
  const srvId = readIp(m, Opt.SERVER_ID) ?? m.siaddr;
  const infinite = leaseTime === 0xffffffff;
  const t1 = readU32(m, Opt.T1) ?? (infinite ? leaseTime : Math.floor(leaseTime / 2));
  const t2 = readU32(m, Opt.T2) ?? (infinite ? leaseTime : Math.floor((leaseTime * 7) / 8));
  return {
    yiaddr: m.yiaddr,
    subnetMask: readIp(m, Opt.SUBNET_MASK) ?? defaultMask(m.yiaddr),
    gateways: readIps(m, Opt.ROUTER),
    dnsServers: readIps(m, Opt.DNS),
    ntpServers: readIps(m, Opt.NTP),
    domainName: readText(m, Opt.DOMAIN_NAME) ?? '',
    hostName: readText(m, Opt.HOST_NAME) ?? '',
    broadcast: readIp(m, Opt.BROADCAST) ?? '',
    mtu: readU16(m, Opt.MTU) ?? 0,
    siaddr: m.siaddr,
    srvId,
    leaseTime,
    t1,
    t2,
    boundAt: now,
  };
}

/** Classful mask for a server that sends none (RFC 2131 leaves it to the client). */
function defaultMask(ip: string): string {
  const a = Number(ip.split('.')[0]);
  return a < 128 ? '255.0.0.0' : a < 192 ? '255.255.0.0' : '255.255.255.0';
}

interface Waiter {
  xid: number;
  accept(m: DhcpMessage): boolean;
  resolve(m: DhcpMessage | undefined): void;
}

export class DhcpClient {
  private waiter: Waiter | undefined;
  private closed = false;

  constructor(
    private readonly sock: dgram.Socket,
    readonly cfg: ClientConfig,
  ) {
    sock.on('message', (buf) => this.onMessage(buf));
    // a socket error ends nothing by itself: the retransmission timer will give up
    sock.on('error', (e) => cfg.onDrop?.(`socket error: ${e.message}`));
  }

  private onMessage(buf: Buffer): void {
    const w = this.waiter;
    if (!w) return;
    let m: DhcpMessage;
    try {
      m = decodeDhcp(buf);
    } catch (e) {
      this.cfg.onDrop?.(`malformed DHCP message: ${(e as Error).message}`);
      return;
    }
    if (m.op !== 2 || m.xid !== w.xid || m.chaddr !== this.cfg.mac.toLowerCase()) return;
    try {
      if (!w.accept(m)) return;
    } catch (e) {
      this.cfg.onDrop?.(`unusable DHCP reply: ${(e as Error).message}`);
      return;
    }
    this.waiter = undefined;
    w.resolve(m);
  }

  private common(type: number): [number, Uint8Array][] {
    const o: [number, Uint8Array][] = [[Opt.MESSAGE_TYPE, optU8(type)]];
    if (this.cfg.clientId) o.push([Opt.CLIENT_ID, this.cfg.clientId]);
    return o;
  }

  private withParams(o: [number, Uint8Array][]): [number, Uint8Array][] {
    if (this.cfg.hostName) o.push([Opt.HOST_NAME, optText(this.cfg.hostName)]);
    o.push([Opt.PARAM_REQUEST, PARAMS], [Opt.MAX_SIZE, optU16(1500)]);
    return o;
  }

  /**
   * Sends `packet` to `dest` and retransmits (1 s, 2 s, 4 s, ... per RFC 2131
   * §4.1, capped at 8 s) until a reply passes `accept` or `deadline` (ms epoch).
   * Resolves undefined on timeout.
   */
  private exchange(packet: Buffer, dest: string, xid: number, accept: (m: DhcpMessage) => boolean, deadline: number): Promise<DhcpMessage | undefined> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let delay = 1000;
      const finish = (m: DhcpMessage | undefined) => {
        if (timer) clearTimeout(timer);
        if (this.waiter === w) this.waiter = undefined;
        resolve(m);
      };
      const w: Waiter = { xid, accept, resolve: finish };
      this.waiter = w;
      const send = () => {
        if (this.closed) return finish(undefined);
        const left = deadline - Date.now();
        if (left <= 0) return finish(undefined);
        this.sock.send(packet, DHCP_SERVER_PORT, dest, (err) => {
          if (err) this.cfg.onDrop?.(`send to ${dest}: ${err.message}`);
        });
        timer = setTimeout(send, Math.min(delay + randomInt(0, 200), left));
        delay = Math.min(delay * 2, 8000);
      };
      send();
    });
  }

  /** DISCOVER → OFFER → REQUEST → ACK. Throws DhcpError('timeout' | 'nak'). */
  async acquire(): Promise<DhcpLease> {
    const deadline = Date.now() + this.cfg.timeoutMs;
    for (;;) {
      const xid = randomInt(0, 2 ** 32 - 1);
      const started = Date.now();
      const discover = encodeDhcp({ xid, broadcast: true, chaddr: this.cfg.mac, options: this.withParams(this.common(MessageType.DISCOVER)) });
      const offer = await this.exchange(discover, BROADCAST, xid, (m) => messageType(m) === MessageType.OFFER && m.yiaddr !== '0.0.0.0', deadline);
      if (!offer) throw new DhcpError('timeout', `no DHCP offer on ${this.cfg.ifname} within ${this.cfg.timeoutMs / 1000}s`);
      const server = readIp(offer, Opt.SERVER_ID) ?? offer.siaddr;
      const opts = this.common(MessageType.REQUEST);
      opts.push([Opt.REQUESTED_IP, optIp(offer.yiaddr)], [Opt.SERVER_ID, optIp(server)]);
      const request = encodeDhcp({
        xid,
        secs: Math.min(65535, Math.floor((Date.now() - started) / 1000)),
        broadcast: true,
        chaddr: this.cfg.mac,
        options: this.withParams(opts),
      });
      const reply = await this.exchange(request, BROADCAST, xid, (m) => isAckOrNak(m, server), deadline);
      if (!reply) throw new DhcpError('timeout', `no DHCP acknowledgement on ${this.cfg.ifname} within ${this.cfg.timeoutMs / 1000}s`);
      if (messageType(reply) === MessageType.NAK) {
        this.cfg.onDrop?.(`server ${server} declined the offered ${offer.yiaddr}: ${readText(reply, Opt.MESSAGE) ?? 'NAK'}`);
        continue; // start over while time is left
      }
      return leaseFromAck(reply);
    }
  }

  /**
   * Extends `lease`: unicast to its server (renewing) or broadcast (rebinding).
   * Resolves with the new lease, or rejects with DhcpError('nak') when the
   * server refuses and DhcpError('timeout') when none answers by `deadline`.
   */
  async extend(lease: DhcpLease, rebinding: boolean, deadline: number): Promise<DhcpLease> {
    const xid = randomInt(0, 2 ** 32 - 1);
    const request = encodeDhcp({
      xid,
      ciaddr: lease.yiaddr,
      chaddr: this.cfg.mac,
      options: this.withParams(this.common(MessageType.REQUEST)),
    });
    const reply = await this.exchange(request, rebinding ? BROADCAST : lease.srvId, xid, (m) => isAckOrNak(m, rebinding ? undefined : lease.srvId), deadline);
    if (!reply) throw new DhcpError('timeout', `no answer to ${rebinding ? 'rebinding' : 'renewing'} ${lease.yiaddr}`);
    if (messageType(reply) === MessageType.NAK) throw new DhcpError('nak', `server refused to extend ${lease.yiaddr}: ${readText(reply, Opt.MESSAGE) ?? 'NAK'}`);
    return leaseFromAck(reply);
  }

  /** DHCPRELEASE, unicast to the lease's server; no reply exists. */
  async release(lease: DhcpLease): Promise<void> {
    const opts = this.common(MessageType.RELEASE);
    opts.push([Opt.SERVER_ID, optIp(lease.srvId)]);
    const packet = encodeDhcp({ xid: randomInt(0, 2 ** 32 - 1), ciaddr: lease.yiaddr, chaddr: this.cfg.mac, options: opts });
    await new Promise<void>((resolve, reject) => this.sock.send(packet, DHCP_SERVER_PORT, lease.srvId, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.resolve(undefined);
    this.sock.close();
  }
}

function isAckOrNak(m: DhcpMessage, server: string | undefined): boolean {
  const t = messageType(m);
  if (t !== MessageType.ACK && t !== MessageType.NAK) return false;
  if (server === undefined) return true;
  const id = readIp(m, Opt.SERVER_ID);
  return id === undefined || id === server;
}
