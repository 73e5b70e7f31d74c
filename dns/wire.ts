// DNS message bytes, read and written by hand (RFC 1035 §4). Local answers are
// built straight from the query's bytes: header + the question copied as is +
// answers that point back at the question name (0xC00C). That is all a local
// reply needs, and it avoids decoding into objects and re-encoding on the hot
// path. Upstream replies are only scanned (TTLs, rcode), never rebuilt.

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_SOA = 6;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

const HEADER = 12;
const MAX_NAME = 255;
/** a name's text: at most 255 wire bytes, each written as up to 2 characters (`\\.`) */
const nameScratch = Buffer.alloc(2 * MAX_NAME);

export interface Query {
  id: number;
  /** header flags word of the query (opcode, RD, ...) */
  flags: number;
  /** lower case, no trailing dot; "" for the root */
  name: string;
  type: number;
  qclass: number;
  /** offset just past the question: bytes [12, questionEnd) are copied into replies */
  questionEnd: number;
  /** largest UDP reply the client accepts: 512, or its EDNS payload size */
  udpSize: number;
}

export type ParseResult = { ok: true; query: Query } | { ok: false; reply: 'drop' | 'formerr' | 'notimp' };

/** Reads the first question of a query. Never throws: bad bytes give drop/formerr. */
export function parseQuery(buf: Uint8Array): ParseResult {
  if (buf.length < HEADER) return { ok: false, reply: 'drop' };
  const flags = (buf[2]! << 8) | buf[3]!;
  if (flags & 0x8000) return { ok: false, reply: 'drop' }; // a response: never answer it (no loops)
  if ((flags >> 11) & 0xf) return { ok: false, reply: 'notimp' }; // only QUERY
  const qd = (buf[4]! << 8) | buf[5]!;
  if (qd !== 1) return { ok: false, reply: 'formerr' };
  let off = HEADER;
  let total = 0;
  // the name's text is written into one scratch buffer and decoded once: no string per character or label
  let n = 0;
  for (;;) {
    if (off >= buf.length) return { ok: false, reply: 'formerr' };
    const len = buf[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len & 0xc0) return { ok: false, reply: 'formerr' }; // no compression in a query's question
    total += len + 1;
    if (total > MAX_NAME || off + 1 + len > buf.length) return { ok: false, reply: 'formerr' };
    if (n > 0) nameScratch[n++] = 0x2e;
    for (let i = off + 1; i <= off + len; i++) {
      let c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      // a literal dot inside a label must not be confused with a separator
      else if (c === 0x2e) nameScratch[n++] = 0x5c;
      nameScratch[n++] = c;
    }
    off += len + 1;
  }
  const name = n === 0 ? '' : nameScratch.toString('latin1', 0, n);
  if (off + 4 > buf.length) return { ok: false, reply: 'formerr' };
  const type = (buf[off]! << 8) | buf[off + 1]!;
  const qclass = (buf[off + 2]! << 8) | buf[off + 3]!;
  const questionEnd = off + 4;
  return {
    ok: true,
    query: { id: (buf[0]! << 8) | buf[1]!, flags, name, type, qclass, questionEnd, udpSize: ednsSize(buf, questionEnd) },
  };
}

/** EDNS payload size from an OPT record in the additional section, else 512. */
function ednsSize(buf: Uint8Array, start: number): number {
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  if (ar === 0) return 512;
  let off = start;
  for (let i = 0; i < an + ns + ar; i++) {
    const rr = readRR(buf, off);
    if (!rr) return 512;
    if (i >= an + ns && rr.type === TYPE_OPT) return Math.max(512, Math.min(rr.qclass, 65535));
    off = rr.end;
  }
  return 512;
}

/** Offset just past a (possibly compressed) name, or -1. */
export function skipName(buf: Uint8Array, start: number): number {
  let off = start;
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if (len & 0xc0) return -1;
    off += len + 1;
  }
  return -1;
}

interface RR {
  type: number;
  qclass: number;
  ttlOffset: number;
  rdata: number;
  end: number;
}

function readRR(buf: Uint8Array, start: number): RR | undefined {
  const n = skipName(buf, start);
  if (n < 0 || n + 10 > buf.length) return undefined;
  const rdlen = (buf[n + 8]! << 8) | buf[n + 9]!;
  const end = n + 10 + rdlen;
  if (end > buf.length) return undefined;
  return { type: (buf[n]! << 8) | buf[n + 1]!, qclass: (buf[n + 2]! << 8) | buf[n + 3]!, ttlOffset: n + 4, rdata: n + 10, end };
}

function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export interface ResponseScan {
  rcode: number;
  truncated: boolean;
  answers: number;
  /** offsets of every TTL field (OPT excluded), so a cached copy can be aged */
  ttlOffsets: number[];
  /** how long this reply may be cached (RFC 2181 / RFC 2308); undefined = do not cache */
  cacheTtl: number | undefined;
  /** the OPT record carries options (e.g. a DNS cookie bound to one client) */
  ednsOptions: boolean;
}

/** Walks an upstream reply; undefined when it is not a well-formed message. */
export function scanResponse(buf: Uint8Array): ResponseScan | undefined {
  if (buf.length < HEADER) return undefined;
  const flags = (buf[2]! << 8) | buf[3]!;
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  let off = HEADER;
  for (let i = 0; i < qd; i++) {
    off = skipName(buf, off);
    if (off < 0 || off + 4 > buf.length) return undefined;
    off += 4;
  }
  const ttlOffsets: number[] = [];
  let minAnswer = Infinity;
  let soaNeg = Infinity;
  let ednsOptions = false;
  for (let i = 0; i < an + ns + ar; i++) {
    const rr = readRR(buf, off);
    if (!rr) return undefined;
    if (rr.type === TYPE_OPT) ednsOptions ||= rr.end > rr.rdata;
    else {
      ttlOffsets.push(rr.ttlOffset);
      const ttl = u32(buf, rr.ttlOffset);
      if (i < an) minAnswer = Math.min(minAnswer, ttl);
      else if (i < an + ns && rr.type === TYPE_SOA && rr.end - 4 >= rr.rdata) {
        // negative answers live for min(SOA TTL, SOA MINIMUM), RFC 2308 §5
        soaNeg = Math.min(soaNeg, ttl, u32(buf, rr.end - 4));
      }
    }
    off = rr.end;
  }
  const rcode = flags & 0xf;
  const truncated = (flags & 0x0200) !== 0;
  let cacheTtl: number | undefined;
  if (!truncated && rcode === RCODE_NOERROR && an > 0 && minAnswer !== Infinity) cacheTtl = minAnswer;
  else if (!truncated && (rcode === RCODE_NXDOMAIN || (rcode === RCODE_NOERROR && an === 0)) && soaNeg !== Infinity) cacheTtl = soaNeg;
  return { rcode, truncated, answers: an, ttlOffsets, cacheTtl, ednsOptions };
}

/** True when a reply carries the same question (case-insensitive) as the query. */
export function sameQuestion(query: Uint8Array, qEnd: number, reply: Uint8Array): boolean {
  if (reply.length < qEnd || ((reply[4]! << 8) | reply[5]!) !== 1) return false;
  for (let i = HEADER; i < qEnd; i++) {
    let a = query[i]!;
    let b = reply[i]!;
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}

export function setId(buf: Uint8Array, id: number): void {
  buf[0] = id >> 8;
  buf[1] = id & 0xff;
}

export function getId(buf: Uint8Array): number {
  return (buf[0]! << 8) | buf[1]!;
}

/** `a.b` → wire labels; labels over 63 bytes are cut (names come from our own config). */
export function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l.slice(0, 63), 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Header flags of our replies: QR, the query's opcode and RD, RA when RD was set. */
function replyFlags(queryFlags: number, rcode: number, aa: boolean, tc: boolean): number {
  const rd = queryFlags & 0x0100;
  return 0x8000 | (queryFlags & 0x7800) | (aa ? 0x0400 : 0) | (tc ? 0x0200 : 0) | rd | (rd ? 0x0080 : 0) | rcode;
}

/**
 * Builds a reply from the query bytes: same id and question, `rdatas` as
 * answers of `type` with TTL 0 named by a pointer to the question. When the
 * answers do not fit `maxSize`, as many as fit are sent with TC set.
 */
export function buildReply(
  query: Uint8Array,
  q: Query,
  rcode: number,
  type: number,
  rdatas: readonly Uint8Array[],
  maxSize = 65535,
): Buffer {
  const qLen = q.questionEnd - HEADER;
  let size = HEADER + qLen;
  let count = 0;
  for (const r of rdatas) {
    if (size + 12 + r.length > maxSize) break;
    size += 12 + r.length;
    count++;
  }
  const out = Buffer.allocUnsafe(size);
  // byte by byte: this runs for every local answer, and Buffer's checked writers and subarray cost more than the copy
  out[0] = query[0]!;
  out[1] = query[1]!;
  const flags = replyFlags(q.flags, rcode, true, count < rdatas.length);
  out[2] = flags >> 8;
  out[3] = flags & 0xff;
  out[4] = 0;
  out[5] = 1;
  out[6] = count >> 8;
  out[7] = count & 0xff;
  out[8] = out[9] = out[10] = out[11] = 0;
  for (let i = HEADER; i < q.questionEnd; i++) out[i] = query[i]!;
  let off = HEADER + qLen;
  for (let i = 0; i < count; i++) {
    const r = rdatas[i]!;
    out[off] = 0xc0;
    out[off + 1] = HEADER;
    out[off + 2] = type >> 8;
    out[off + 3] = type & 0xff;
    out[off + 4] = 0;
    out[off + 5] = CLASS_IN;
    out[off + 6] = out[off + 7] = out[off + 8] = out[off + 9] = 0;
    out[off + 10] = r.length >> 8;
    out[off + 11] = r.length & 0xff;
    off += 12;
    for (let j = 0; j < r.length; j++) out[off + j] = r[j]!;
    off += r.length;
  }
  return out;
}

/** Reply with mixed answer types (ANY): each entry carries its own type. */
export function buildMixedReply(query: Uint8Array, q: Query, answers: ReadonlyArray<{ type: number; rdata: Uint8Array }>, maxSize = 65535): Buffer {
  const byType = answers.map((a) => a.rdata);
  const out = buildReply(query, q, RCODE_NOERROR, TYPE_A, byType, maxSize);
  let off = q.questionEnd;
  const count = out.readUInt16BE(6);
  for (let i = 0; i < count; i++) {
    out.writeUInt16BE(answers[i]!.type, off + 2);
    off += 12 + answers[i]!.rdata.length;
  }
  return out;
}

/** A reply with no answers (NXDOMAIN, SERVFAIL, NODATA...); keeps the question. */
export function buildEmptyReply(query: Uint8Array, q: Query, rcode: number, authoritative: boolean): Buffer {
  const out = buildReply(query, q, rcode, 0, []);
  out.writeUInt16BE(replyFlags(q.flags, rcode, authoritative, false), 2);
  return out;
}

/** Header-only error reply for a query whose question could not be read. */
export function buildHeaderReply(query: Uint8Array, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER);
  out[0] = query[0]!;
  out[1] = query[1]!;
  const flags = (query[2]! << 8) | query[3]!;
  out.writeUInt16BE(replyFlags(flags, rcode, false, false), 2);
  return out;
}
