// macspoofchk: frames a container sends with another source MAC than its own
// are dropped where they enter the bridge, as the reference bridge plugin
// does. Bridged frames between containers never reach the `inet` hooks, so
// this is a `bridge` family table of its own (`bridge skiff`), and, like
// the rest of Skiff's firewall, one fixed rule over sets: the host veths
// under check, and the (host veth . MAC) pairs allowed on them.
// Every ADD re-declares the table in one transaction (add is idempotent; the
// chain is flushed and its one rule added again), so no step depends on what
// an earlier call left. DEL finds the pairs by host veth, needing no state.
import { nftRunner } from '../../firewall/nftables/nft.js';
import { batch, type Json, type NftCmd } from '../../firewall/nftables/nft-json.js';

export const MACSPOOF_FAMILY = 'bridge';
export const MACSPOOF_TABLE = 'skiff';
const PORTS = 'macspoof_ports';
const ALLOWED = 'macspoof';
const CHAIN = 'prerouting';
const where = { family: MACSPOOF_FAMILY, table: MACSPOOF_TABLE };

const element = (verb: string, set: string, elem: Json[]): NftCmd => ({ [verb]: { element: { ...where, name: set, elem } } });
const pair = (hostVeth: string, mac: string): Json => ({ concat: [hostVeth, mac.toLowerCase()] });

/** PURE: the table, its one rule, and this port's elements. */
export function macspoofAddCmds(hostVeth: string, mac: string): NftCmd[] {
  return [
    { add: { table: { family: MACSPOOF_FAMILY, name: MACSPOOF_TABLE } } },
    { add: { chain: { ...where, name: CHAIN, type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' } } },
    { add: { set: { ...where, name: PORTS, type: 'ifname' } } },
    { add: { set: { ...where, name: ALLOWED, type: ['ifname', 'ether_addr'] } } },
    { flush: { chain: { ...where, name: CHAIN } } },
    {
      add: {
        rule: {
          ...where,
          chain: CHAIN,
          comment: 'skiff-cni macspoofchk',
          expr: [
            { match: { op: 'in', left: { meta: { key: 'iifname' } }, right: `@${PORTS}` } },
            { match: { op: '!=', left: { concat: [{ meta: { key: 'iifname' } }, { payload: { protocol: 'ether', field: 'saddr' } }] }, right: `@${ALLOWED}` } },
            { counter: null },
            { drop: null },
          ],
        },
      },
    },
    element('add', PORTS, [hostVeth]),
    element('add', ALLOWED, [pair(hostVeth, mac)]),
  ];
}

/** PURE: the (veth . MAC) pairs of a `nft -j list set` output, as [veth, mac]. */
export function allowedPairs(listSetOutput: unknown): [string, string][] {
  const objs = (listSetOutput as { nftables?: unknown } | undefined)?.nftables;
  const out: [string, string][] = [];
  if (!Array.isArray(objs)) return out;
  for (const o of objs as { set?: { elem?: unknown } }[]) {
    for (const e of Array.isArray(o.set?.elem) ? o.set.elem : []) {
      const parts = (e as { concat?: unknown }).concat;
      if (Array.isArray(parts) && typeof parts[0] === 'string' && typeof parts[1] === 'string') out.push([parts[0], parts[1]]);
    }
  }
  return out;
}

/** PURE: removal of a port's elements that succeeds whether they are there or not (add + delete in one batch). */
export function macspoofRemoveCmds(hostVeth: string, pairs: [string, string][]): NftCmd[] {
  const mine = pairs.filter(([veth]) => veth === hostVeth).map(([veth, mac]) => pair(veth, mac));
  return [
    element('add', PORTS, [hostVeth]),
    element('delete', PORTS, [hostVeth]),
    ...(mine.length > 0 ? [element('delete', ALLOWED, mine)] : []),
  ];
}

/** Checks `hostVeth` for frames not from `mac`. Callers hold the CNI lock. */
export async function addMacspoof(hostVeth: string, mac: string): Promise<void> {
  await nftRunner().apply(batch(macspoofAddCmds(hostVeth, mac)), `the MAC spoofing check of ${hostVeth}`);
}

/** Removes the port's check; the table goes with the last port. Idempotent. */
export async function removeMacspoof(hostVeth: string): Promise<void> {
  const nft = nftRunner();
  const list = await nft.list(['set', MACSPOOF_FAMILY, MACSPOOF_TABLE, ALLOWED]);
  if (list === undefined) return; // no table: nothing to remove
  await nft.apply(batch(macspoofRemoveCmds(hostVeth, allowedPairs(list))), `the MAC spoofing check of ${hostVeth}`);
  const ports = await nft.list(['set', MACSPOOF_FAMILY, MACSPOOF_TABLE, PORTS]);
  const left = ((ports as { nftables?: { set?: { elem?: unknown[] } }[] } | undefined)?.nftables ?? []).some((o) => (o.set?.elem?.length ?? 0) > 0);
  if (!left) await nft.apply(batch([{ delete: { table: { family: MACSPOOF_FAMILY, name: MACSPOOF_TABLE } } }]), 'the MAC spoofing table');
}

/** For CHECK: whether the port is checked for exactly `mac`. */
export async function macspoofPresent(hostVeth: string, mac: string): Promise<boolean> {
  const nft = nftRunner();
  const list = await nft.list(['set', MACSPOOF_FAMILY, MACSPOOF_TABLE, ALLOWED]);
  return allowedPairs(list).some(([v, m]) => v === hostVeth && m === mac.toLowerCase());
}
