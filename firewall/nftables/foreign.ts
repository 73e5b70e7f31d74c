// PURE: coexistence with other firewalls. A packet must be accepted by every
// base chain on a hook, so a foreign `policy drop` chain (Docker's iptables-nft
// `filter FORWARD`, a user's `inet filter forward`) drops container traffic no
// matter what our table says. For each such chain we add one narrowly scoped
// rule that accepts only packets our own chains accepted (they carry
// ACCEPT_MARK), and nothing else. Parsing of `nft -j list` output lives here.
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { ACCEPT_MARK, FOREIGN_COMMENT, TABLE, FAMILY } from './layout.js';
import { counter, accept, hasMark, type NftCmd } from './nft-json.js';

export interface ChainRef {
  family: string;
  table: string;
  name: string;
  hook: string;
}

const chainSchema = z.looseObject({
  family: z.string(),
  table: z.string(),
  name: z.string(),
  type: z.optional(z.string()),
  hook: z.optional(z.string()),
  policy: z.optional(z.string()),
});
const ruleSchema = z.looseObject({
  family: z.string(),
  table: z.string(),
  chain: z.string(),
  handle: z.int(),
  comment: z.optional(z.string()),
});
const listSchema = z.object({ nftables: z.array(z.record(z.string(), z.unknown())) });

function objectsOf<T>(out: unknown, kind: string, schema: z.ZodMiniType<T>): T[] {
  const parsed = listSchema.safeParse(out);
  if (!parsed.success) return [];
  const found: T[] = [];
  for (const o of parsed.data.nftables) {
    const r = schema.safeParse(o[kind]);
    if (r.success) found.push(r.data);
  }
  return found;
}

/** Hooks whose drop policy breaks container traffic (forwarding, and DNS to the gateway). */
const HOOKS = new Set(['forward', 'input']);
/** Families whose forward/input hooks see routed IP traffic. */
const FAMILIES = new Set(['ip', 'ip6', 'inet']);

/** Foreign base chains with a drop policy on forward/input, from `nft -j list chains`. */
export function findDropChains(listChainsOutput: unknown): ChainRef[] {
  return objectsOf(listChainsOutput, 'chain', chainSchema)
    .filter((c) => !(c.family === FAMILY && c.table === TABLE))
    .filter((c) => FAMILIES.has(c.family) && c.hook !== undefined && HOOKS.has(c.hook) && c.policy === 'drop')
    .map((c) => ({ family: c.family, table: c.table, name: c.name, hook: c.hook ?? '' }));
}

/** Handles of our accept rules in a chain, from `nft -j list chain <family> <table> <name>`. */
export function ourRuleHandles(listChainOutput: unknown): number[] {
  return objectsOf(listChainOutput, 'rule', ruleSchema)
    .filter((r) => r.comment === FOREIGN_COMMENT)
    .map((r) => r.handle);
}

/** Inserts our accept at the top of a foreign chain. */
export function insertAccept(c: ChainRef): NftCmd {
  return {
    insert: {
      rule: { family: c.family, table: c.table, chain: c.name, comment: FOREIGN_COMMENT, expr: [hasMark(ACCEPT_MARK), counter, accept] },
    },
  };
}

export function deleteRule(c: ChainRef, handle: number): NftCmd {
  return { delete: { rule: { family: c.family, table: c.table, chain: c.name, handle } } };
}

export const describeChain = (c: ChainRef): string => `${c.family} ${c.table} ${c.name} (hook ${c.hook}, policy drop)`;

const mapSchema = z.looseObject({ elem: z.optional(z.array(z.unknown())) });

/** key → value (both as JSON text) of a map, from `nft -j list map ...`. */
export function mapElements(listMapOutput: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of objectsOf(listMapOutput, 'map', mapSchema)) {
    for (const el of m.elem ?? []) {
      if (Array.isArray(el) && el.length === 2) out.set(JSON.stringify(el[0]), JSON.stringify(el[1]));
    }
  }
  return out;
}
