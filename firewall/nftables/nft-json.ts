// Small builders for the nft JSON schema (libnftables-json(5)), so rules.ts
// reads like the ruleset it produces.
import { FAMILY, TABLE, type SetDef } from './layout.js';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type Expr = Json;
/** One command of a batch: {"add": {...}}, {"delete": {...}}, ... */
export type NftCmd = { [verb: string]: { [object: string]: Json } };
export interface NftBatch {
  nftables: Json[];
}

export const batch = (cmds: readonly NftCmd[]): NftBatch => ({
  nftables: [{ metainfo: { json_schema_version: 1 } }, ...cmds],
});

const where = { family: FAMILY, table: TABLE };

// ---- objects ----
export const table = (verb: 'add' | 'delete'): NftCmd => ({ [verb]: { table: { family: FAMILY, name: TABLE } } });

export function setObject(s: SetDef): NftCmd {
  const body: { [k: string]: Json } = { ...where, name: s.name, type: typeof s.type === 'string' ? s.type : [...s.type] };
  if (s.map !== undefined) body.map = s.map;
  if (s.interval) body.flags = ['interval'];
  return { add: { [s.map !== undefined ? 'map' : 'set']: body } };
}

export const flushSet = (s: SetDef): NftCmd => ({ flush: { [s.map !== undefined ? 'map' : 'set']: { ...where, name: s.name } } });

export function chain(name: string, base?: { type: string; hook: string; prio: number }): NftCmd {
  return { add: { chain: base ? { ...where, name, ...base, policy: 'accept' } : { ...where, name } } };
}

export const flushChain = (name: string): NftCmd => ({ flush: { chain: { ...where, name } } });

export const rule = (chainName: string, expr: Expr[]): NftCmd => ({ add: { rule: { ...where, chain: chainName, expr } } });

/** Element commands: `elem` is a key (set) or [key, value] (map). */
export const elements = (verb: 'add' | 'delete', set: string, elem: Json[]): NftCmd => ({
  [verb]: { element: { ...where, name: set, elem } },
});

// ---- expressions ----
export const payload = (protocol: string, field: string): Expr => ({ payload: { protocol, field } });
export const meta = (key: string): Expr => ({ meta: { key } });
export const ct = (key: string): Expr => ({ ct: { key } });
export const concat = (...parts: Expr[]): Expr => ({ concat: parts });
export const setRef = (name: string): Expr => `@${name}`;
export const prefix = (addr: string, len: number): Expr => ({ prefix: { addr, len } });

export const match = (left: Expr, right: Expr, op = '=='): Expr => ({ match: { op, left, right } });
/** `left in @set` / `left in {a, b}` */
export const inSet = (left: Expr, right: Expr): Expr => match(left, right, 'in');

export const accept: Expr = { accept: null };
export const drop: Expr = { drop: null };
export const ret: Expr = { return: null };
export const jump = (target: string): Expr => ({ jump: { target } });
export const goTo = (target: string): Expr => ({ goto: { target } });
export const masquerade: Expr = { masquerade: null };
export const counter: Expr = { counter: null };

export const vmapLookup = (key: Expr, data: Expr): Expr => ({ map: { key, data } });

/** `dnat <fam> to <key> map @addr : <key> map @port` */
export const dnatViaMaps = (family: 'ip' | 'ip6', key: Expr, addrMap: string, portMap: string): Expr => ({
  dnat: { family, addr: vmapLookup(key, setRef(addrMap)), port: vmapLookup(key, setRef(portMap)) },
});

/** `snat <fam> to <key> map @m` */
export const snatViaMap = (family: 'ip' | 'ip6', key: Expr, map: string): Expr => ({
  snat: { family, addr: vmapLookup(key, setRef(map)) },
});

/** `meta mark set meta mark | bits` */
export const orMark = (bits: number): Expr => ({ mangle: { key: meta('mark'), value: { '|': [meta('mark'), bits] } } });

/** `meta mark & bits == bits` */
export const hasMark = (bits: number): Expr => match({ '&': [meta('mark'), bits] }, bits);
