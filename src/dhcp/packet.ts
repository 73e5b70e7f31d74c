// DHCPv4 messages (RFC 2131, options RFC 2132) to and from bytes. Pure: the
// client builds requests with encodeDhcp and reads every reply through
// decodeDhcp, which rejects anything malformed with a DhcpPacketError saying
// what and where. No npm package fits (the maintained ones are servers or
// unmaintained), and the subset a client needs is small.

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC = 0x63825363;
const FIXED = 236; // BOOTP header up to the magic cookie

export const MessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType];

export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOST_NAME: 12,
  DOMAIN_NAME: 15,
  MTU: 26,
  BROADCAST: 28,
  NTP: 42,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAM_REQUEST: 55,
  MESSAGE: 56,
  MAX_SIZE: 57,
  T1: 58,
  T2: 59,
  CLIENT_ID: 61,
  END: 255,
} as const;

export class DhcpPacketError extends Error {}

export interface DhcpMessage {
  op: 1 | 2;
  xid: number;
  secs: number;
  broadcast: boolean;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** client hardware address, "aa:bb:cc:dd:ee:ff" */
  chaddr: string;
  /** raw option payloads by code; the first occurrence, with RFC 3396 continuations concatenated */
  options: Map<number, Uint8Array>;
}

const ZERO = '0.0.0.0';

function ipBytes(ip: string, where: string): number[] {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new DhcpPacketError(`${where}: invalid IPv4 address ${JSON.stringify(ip)}`);
  return parts.map(Number);
}

function macBytes(mac: string): number[] {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw new DhcpPacketError(`chaddr: invalid MAC address ${JSON.stringify(mac)}`);
  return mac.split(':').map((h) => parseInt(h, 16));
}

function ipText(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export interface EncodeInput {
  op?: 1 | 2;
  xid: number;
  secs?: number;
  broadcast?: boolean;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  chaddr: string;
  /** in the order to write them; values longer than 255 bytes are split (RFC 3396) */
  options: [number, Uint8Array][];
}

export function encodeDhcp(m: EncodeInput): Buffer {
  const opts: number[] = [];
  for (const [code, value] of m.options) {
    if (code === Opt.PAD || code === Opt.END || code > 255 || code < 0) throw new DhcpPacketError(`option ${code}: not a data option`);
    let off = 0;
    do {
      const chunk = value.subarray(off, off + 255);
      opts.push(code, chunk.length, ...chunk);
      off += 255;
    } while (off < value.length);
  }
  opts.push(Opt.END);
  // BOOTP relays and some servers drop messages shorter than 300 bytes
  const len = Math.max(FIXED + 4 + opts.length, 300);
  const b = Buffer.alloc(len);
  b[0] = m.op ?? 1;
  b[1] = 1; // Ethernet
  b[2] = 6;
  b.writeUInt32BE(m.xid >>> 0, 4);
  b.writeUInt16BE(m.secs ?? 0, 8);
  b.writeUInt16BE(m.broadcast ? 0x8000 : 0, 10);
  b.set(ipBytes(m.ciaddr ?? ZERO, 'ciaddr'), 12);
  b.set(ipBytes(m.yiaddr ?? ZERO, 'yiaddr'), 16);
  b.set(ipBytes(m.siaddr ?? ZERO, 'siaddr'), 20);
  b.set(ipBytes(m.giaddr ?? ZERO, 'giaddr'), 24);
  b.set(macBytes(m.chaddr), 28);
  b.writeUInt32BE(MAGIC, FIXED);
  b.set(opts, FIXED + 4);
  return b;
}

function parseOptions(b: Uint8Array, start: number, end: number, into: Map<number, number[]>, where: string): void {
  let i = start;
  while (i < end) {
    const code = b[i]!;
    if (code === Opt.END) return;
    if (code === Opt.PAD) {
      i++;
      continue;
    }
    if (i + 1 >= end) throw new DhcpPacketError(`${where}: option ${code} at offset ${i} has no length`);
    const len = b[i + 1]!;
    if (i + 2 + len > end) throw new DhcpPacketError(`${where}: option ${code} at offset ${i} runs past the end (length ${len})`);
    const prev = into.get(code) ?? [];
    prev.push(...b.subarray(i + 2, i + 2 + len));
    into.set(code, prev);
    i += 2 + len;
  }
}

/** Parses a DHCP message (either direction). Throws DhcpPacketError for anything malformed. */
export function decodeDhcp(buf: Uint8Array): DhcpMessage {
  if (buf.length < FIXED + 4) throw new DhcpPacketError(`message of ${buf.length} bytes is shorter than the ${FIXED + 4} byte header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const op = buf[0];
  if (op !== 1 && op !== 2) throw new DhcpPacketError(`op: ${op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)`);
  if (buf[1] !== 1 || buf[2] !== 6) throw new DhcpPacketError(`htype/hlen: ${buf[1]}/${buf[2]} is not Ethernet (1/6)`);
  if (view.getUint32(FIXED) !== MAGIC) throw new DhcpPacketError('magic cookie missing: not a DHCP message');
  const raw = new Map<number, number[]>();
  parseOptions(buf, FIXED + 4, buf.length, raw, 'options');
  const overload = raw.get(Opt.OVERLOAD)?.[0] ?? 0;
  if (overload & 1) parseOptions(buf, 108, 236, raw, 'file field options');
  if (overload & 2) parseOptions(buf, 44, 108, raw, 'sname field options');
  const options = new Map<number, Uint8Array>();
  for (const [k, v] of raw) options.set(k, Uint8Array.from(v));
  const mac = Array.from(buf.subarray(28, 34), (x) => x.toString(16).padStart(2, '0')).join(':');
  return {
    op,
    xid: view.getUint32(4),
    secs: view.getUint16(8),
    broadcast: (view.getUint16(10) & 0x8000) !== 0,
    ciaddr: ipText(buf, 12),
    yiaddr: ipText(buf, 16),
    siaddr: ipText(buf, 20),
    giaddr: ipText(buf, 24),
    chaddr: mac,
    options,
  };
}

// --- option values ---------------------------------------------------------

export const optU8 = (n: number): Uint8Array => Uint8Array.of(n);
export const optU16 = (n: number): Uint8Array => Uint8Array.of((n >> 8) & 255, n & 255);
export const optU32 = (n: number): Uint8Array => Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
export const optIp = (ip: string): Uint8Array => Uint8Array.from(ipBytes(ip, 'option'));
export const optText = (s: string): Uint8Array => new TextEncoder().encode(s);

function expectLen(code: number, v: Uint8Array, len: number): void {
  if (v.length !== len) throw new DhcpPacketError(`option ${code}: length ${v.length}, expected ${len}`);
}

export function readU8(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  if (!v) return undefined;
  expectLen(code, v, 1);
  return v[0];
}

export function readU16(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  if (!v) return undefined;
  expectLen(code, v, 2);
  return (v[0]! << 8) | v[1]!;
}

export function readU32(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  if (!v) return undefined;
  expectLen(code, v, 4);
  return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
}

export function readIps(m: DhcpMessage, code: number): string[] {
  const v = m.options.get(code);
  if (!v) return [];
  if (v.length === 0 || v.length % 4 !== 0) throw new DhcpPacketError(`option ${code}: length ${v.length} is not a multiple of 4`);
  const out: string[] = [];
  for (let i = 0; i < v.length; i += 4) out.push(ipText(v, i));
  return out;
}

export function readIp(m: DhcpMessage, code: number): string | undefined {
  const v = m.options.get(code);
  if (!v) return undefined;
  expectLen(code, v, 4);
  return ipText(v, 0);
}

export function readText(m: DhcpMessage, code: number): string | undefined {
  const v = m.options.get(code);
  if (!v) return undefined;
  // servers may NUL-terminate strings (RFC 2132 says not to)
  let end = v.length;
  while (end > 0 && v[end - 1] === 0) end--;
  return new TextDecoder().decode(v.subarray(0, end));
}

export function messageType(m: DhcpMessage): number | undefined {
  return readU8(m, Opt.MESSAGE_TYPE);
}

/** Netmask "255.255.255.0" → 24; throws for a non-contiguous mask. */
export function maskToPrefix(mask: string): number {
  const b = ipBytes(mask, 'subnet mask');
  const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const prefix = Math.clz32(~n >>> 0); // leading one bits
  const back = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if (back !== n) throw new DhcpPacketError(`subnet mask ${mask} is not contiguous`);
  return prefix;
}
