// DNS over TCP frames every message with a 2-byte big-endian length (RFC 1035
// §4.2.2). Bytes arrive split anywhere; this keeps what is pending and hands
// out whole messages. Pure: no sockets here.

export class TcpFramer {
  private pending: Buffer | undefined;

  /** Bytes still held (a partial frame); lets the transport cap memory per connection. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /** Feeds a chunk; returns every message completed by it (possibly none). */
  push(chunk: Buffer): Buffer[] {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      if (buf.length < 2) break;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      out.push(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
    // copy the remainder so a small tail does not pin a large chunk
    this.pending = buf.length > 0 ? Buffer.from(buf) : undefined;
    return out;
  }
}

/** Prefixes a message with its length for sending over TCP. */
export function frame(msg: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  out.set(msg, 2);
  return out;
}
