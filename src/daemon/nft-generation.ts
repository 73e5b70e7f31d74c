// The nftables ruleset generation of skiffd's network namespace, and the
// batches known to be applied at it. The kernel moves the generation on by
// one with every transaction that changes something, whoever commits it, so
// "the ruleset is still generation G" means "nothing changed since G".
//
// A steady setup re-applies its network's elements (`add element`, a no-op
// when they are there) in case the ruleset was flushed behind Skiff's back:
// one libnftables transaction, with its cache refresh, per network. A
// transaction that changes nothing leaves the generation where it was, so a
// batch that applied without moving it found all of its objects in place;
// while the generation stays there, applying it again would change nothing
// and is skipped. Only batches of `add`s of tables, chains, sets, maps and
// elements are remembered (rules are appended again by every `add`), at most
// MAX_KNOWN of them, and a generation that moved (any commit, ours or anyone
// else's) forgets them all.
import { decodeMessages, encodeMessage, findAttr, NLM_F_REQUEST } from '../netlink/wire.js';
import { netlinkReceive, netlinkSend, netlinkSocket } from './libc.js';

const NETLINK_NETFILTER = 12;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWGEN = 15;
const NFT_MSG_GETGEN = 16;
const NFTA_GEN_ID = 1;
const NFNETLINK_V0 = 0;
const NFGENMSG_LEN = 4;

/**
 * The generation in the NFT_MSG_NEWGEN reply to request `seq`; undefined for anything else (an error, or
 * the late answer to an earlier request, which must not stand for the current generation).
 */
export function parseGeneration(reply: Buffer, seq: number): number | undefined {
  let messages;
  try {
    messages = decodeMessages(reply);
  } catch {
    return undefined;
  }
  const m = messages.find((x) => x.type === ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN) && x.seq === seq);
  if (!m || m.payload.length < NFGENMSG_LEN) return undefined;
  const id = findAttr(m.payload.subarray(NFGENMSG_LEN), NFTA_GEN_ID);
  return id && id.length >= 4 ? id.readUInt32BE(0) : undefined;
}

export function generationRequest(seq: number): Buffer {
  const nfgen = Buffer.from([0 /* AF_UNSPEC */, NFNETLINK_V0, 0, 0]);
  return encodeMessage((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, NLM_F_REQUEST, seq, nfgen);
}

const MAX_KNOWN = 64;
const SKIPPABLE = new Set(['table', 'chain', 'set', 'map', 'element']);

/** Whether a JSON batch is only `add`s of tables, chains, sets, maps and elements (metainfo aside). */
export function onlyIdempotentAdds(batch: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(batch);
  } catch {
    return false;
  }
  const cmds = (v as { nftables?: unknown } | null)?.nftables;
  if (!Array.isArray(cmds)) return false;
  let adds = 0;
  for (const c of cmds) {
    if (typeof c !== 'object' || c === null) return false;
    const keys = Object.keys(c);
    if (keys.length !== 1) return false;
    if (keys[0] === 'metainfo') continue;
    const add = (c as { add?: unknown }).add;
    if (keys[0] !== 'add' || typeof add !== 'object' || add === null) return false;
    const objs = Object.keys(add);
    if (objs.length !== 1 || !SKIPPABLE.has(objs[0] as string)) return false;
    adds++;
  }
  return adds > 0;
}

export class AppliedBatches {
  private fd: number | undefined;
  private seq = 0;
  private readonly known = new Set<string>();
  private at: number | undefined;
  skipped = 0;

  /** The current generation; undefined when it cannot be read (then nothing is skipped). */
  generation(): number | undefined {
    try {
      this.fd ??= netlinkSocket(NETLINK_NETFILTER);
      const seq = (this.seq = (this.seq + 1) >>> 0);
      if (!netlinkSend(this.fd, generationRequest(seq))) return undefined;
      // the kernel answers while the request is sent; anything queued before ours is read past
      for (let reply = netlinkReceive(this.fd); reply; reply = netlinkReceive(this.fd)) {
        const gen = parseGeneration(reply, seq);
        if (gen !== undefined) return gen;
      }
      return undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether applying `batch` now would change nothing: it applied as a no-op at the current generation `gen`.
   * A generation other than the one known (or none) forgets everything known.
   */
  applied(batch: string, gen: number | undefined): boolean {
    if (gen === undefined || gen !== this.at) {
      this.known.clear();
      this.at = undefined;
      return false;
    }
    return this.known.has(batch);
  }

  /** `batch` was applied (successfully) when the generation was `before`; `after` is the generation now. */
  committed(batch: string, before: number | undefined, after: number | undefined): void {
    // Unchanged: nobody committed anything, so every command of the batch found its object there and it
    // is all in place at this generation. Moved on: the batch changed something, or someone else committed
    // meanwhile; which of the two cannot be told, so nothing is known until a batch applies as a no-op again.
    if (before === undefined || after !== before) {
      this.known.clear();
      this.at = undefined;
      return;
    }
    if (this.at !== after) {
      this.known.clear();
      this.at = after;
    }
    if (!onlyIdempotentAdds(batch)) return;
    this.known.delete(batch);
    this.known.add(batch);
    // each container's port batch differs: keep the most recent (a network's comes with every setup)
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.values().next().value as string);
  }
}
