// Netlink framing, pure: nlmsghdr + TLV attributes in host byte order (the
// kernel's), and the errno names/texts the facade puts into its messages.
// No sockets here; rtnl.ts does the I/O.

export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  /** Everything after the 16-byte header. */
  payload: Buffer;
}

const align4 = (n: number): number => (n + 3) & ~3;

/** One nlmsghdr-framed message; `port` 0 lets the kernel fill in ours. */
export function encodeMessage(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const buf = Buffer.alloc(NLMSG_HDRLEN + body.length);
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.writeUInt32LE(seq >>> 0, 8);
  buf.writeUInt32LE(0, 12);
  body.copy(buf, NLMSG_HDRLEN);
  return buf;
}

/** Splits one datagram into its messages; a short or overlong header ends the walk with an error. */
export function decodeMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw new Error(`malformed netlink message (length ${len} at offset ${off})`);
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The errno of an NLMSG_ERROR payload, positive; 0 is an ACK. */
export function errorCode(payload: Buffer): number {
  if (payload.length < 4) throw new Error('malformed netlink error message');
  return -payload.readInt32LE(0);
}

// --- attributes ---------------------------------------------------------

export function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  if (len > 0xffff) throw new Error(`netlink attribute ${type} too long (${len} bytes)`);
  const buf = Buffer.alloc(align4(len));
  buf.writeUInt16LE(len, 0);
  buf.writeUInt16LE(type, 2);
  payload.copy(buf, 4);
  return buf;
}

/** A nested attribute; iproute2 sets NLA_F_NESTED too, and strict policies want it. */
export function nest(type: number, ...children: Buffer[]): Buffer {
  return attr(type | NLA_F_NESTED, Buffer.concat(children));
}

export function u8(type: number, v: number): Buffer {
  return attr(type, Buffer.from([v & 0xff]));
}

export function u16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return attr(type, b);
}

export function u32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return attr(type, b);
}

export function s32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return attr(type, b);
}

/** NUL-terminated string attribute. */
export function str(type: number, v: string): Buffer {
  return attr(type, Buffer.from(v + '\0', 'utf8'));
}

/** Attribute payloads by type (flags masked off); a repeated type keeps the last. */
export function decodeAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break; // truncated tail: keep what parsed
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** The payload of the first attribute of `type` (flags masked off), found without decoding the others. */
export function findAttr(buf: Buffer, type: number): Buffer | undefined {
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) return undefined;
    if ((buf.readUInt16LE(off + 2) & NLA_TYPE_MASK) === type) return buf.subarray(off + 4, off + len);
    off += align4(len);
  }
  return undefined;
}

export function readStr(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul === -1 ? b.length : nul);
}

export function readU32(b: Buffer | undefined): number | undefined {
  return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}

// --- errno: the table is src/lib/errno.ts (shared with the libc calls) ---

export { errnoName, errnoNumber, errnoText } from '../lib/errno.js';
