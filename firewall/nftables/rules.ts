// PURE: the `inet skiff` table as nft JSON. The rules are static; everything
// that differs per network or per container is a set/map element (elements.ts),
// so adding a container's ports is a handful of element updates whatever else
// exists. docs/firewall.md describes the same layout in words.
import {
  ACCEPT_MARK,
  BASE_CHAINS,
  REGULAR_CHAINS,
  SETS,
  USER_CHAIN,
} from './layout.js';
import {
  accept,
  chain,
  concat,
  ct,
  dnatViaMaps,
  drop,
  flushChain,
  flushSet,
  goTo,
  inSet,
  jump,
  masquerade,
  match,
  meta,
  orMark,
  payload,
  prefix,
  ret,
  rule,
  setObject,
  setRef,
  snatViaMap,
  table,
  type Expr,
  type NftCmd,
} from './nft-json.js';

const ip4 = { fam: 'ip', nf: 'ipv4', set: '4', mcast: prefix('224.0.0.0', 4) } as const;
const ip6 = { fam: 'ip6', nf: 'ipv6', set: '6', mcast: prefix('ff00::', 8) } as const;
const FAMILIES = [ip4, ip6] as const;

const iif = meta('iifname');
const oif = meta('oifname');
const l4 = meta('l4proto');
const dport = payload('th', 'dport');

/** Table and every set/map; `add` of an existing object is a no-op, so this is idempotent. */
export function ensureSets(): NftCmd[] {
  return [table('add'), ...SETS.map(setObject)];
}

/** Empties every set and map (reload refills them from state). */
export function flushSets(): NftCmd[] {
  return SETS.map(flushSet);
}

/**
 * The whole static part: table, sets, chains, and the rules of every chain we
 * own, flushed and re-added in the same transaction. Constant size, so running
 * it on each network setup costs the same with 1 or 1000 containers, and it
 * repairs a table someone flushed. The user chain is created but never flushed.
 */
export function skeleton(): readonly NftCmd[] {
  // built once per process: a resident skiffd runs it rarely (a new network,
  // a reload), so the builders never get hot and took 0.2-0.7 ms each time
  return (built ??= buildSkeleton());
}
let built: readonly NftCmd[] | undefined;

function buildSkeleton(): readonly NftCmd[] {
  const cmds: NftCmd[] = [...ensureSets()];
  cmds.push(chain(USER_CHAIN));
  for (const name of REGULAR_CHAINS) cmds.push(chain(name));
  for (const [name, type, hook, prio] of BASE_CHAINS) cmds.push(chain(name, { type, hook, prio }));
  for (const name of [...REGULAR_CHAINS, ...BASE_CHAINS.map((b) => b[0])]) cmds.push(flushChain(name));
  for (const [name, exprs] of staticRules()) cmds.push(rule(name, exprs));
  return cmds;
}

/** [chain, expressions] in order. */
export function staticRules(): Array<[string, Expr[]]> {
  const r: Array<[string, Expr[]]> = [];

  // allow: the one place that accepts; the mark tells foreign drop chains it was us.
  r.push(['allow', [orMark(ACCEPT_MARK), accept]]);

  // forward
  r.push(['forward', [jump(USER_CHAIN)]]);
  r.push(['forward', [inSet(iif, setRef('bridges')), match(ct('state'), 'invalid', 'in'), drop]]);
  r.push(['forward', [inSet(oif, setRef('bridges')), match(ct('state'), 'invalid', 'in'), drop]]);
  // traffic inside one bridge: only seen here with br_netfilter (Docker/k8s hosts) or
  // hairpin; it never leaves the network, so internal and isolated networks allow it too
  r.push(['forward', [inSet(concat(iif, oif), setRef('bridge_self')), goTo('allow')]]);
  // internal networks never forward, whatever the bridge's sysctls say
  r.push(['forward', [inSet(iif, setRef('internal_bridges')), drop]]);
  r.push(['forward', [inSet(oif, setRef('internal_bridges')), drop]]);
  // published ports are reachable from every network, so before isolation
  for (const f of FAMILIES) {
    r.push(['forward', [match(ct('status'), 'dnat', 'in'), inSet(payload(f.fam, 'daddr'), setRef(`nets${f.set}`)), goTo('allow')]]);
  }
  r.push(['forward', [jump('isolation')]]);
  for (const f of FAMILIES) {
    r.push([
      'forward',
      [inSet(payload(f.fam, 'daddr'), setRef(`nets${f.set}`)), match(ct('state'), ['established', 'related'], 'in'), goTo('allow')],
    ]);
  }
  for (const f of FAMILIES) r.push(['forward', [inSet(payload(f.fam, 'saddr'), setRef(`nets${f.set}`)), goTo('allow')]]);

  // isolation: traffic between our bridges; same-bridge traffic (hairpin, br_netfilter) is never isolated
  r.push(['isolation', [inSet(concat(iif, oif), setRef('bridge_self')), ret]]);
  r.push(['isolation', [inSet(iif, setRef('iso_strict')), inSet(oif, setRef('bridges')), drop]]);
  r.push(['isolation', [inSet(iif, setRef('iso_true')), inSet(oif, setRef('isolated')), drop]]);

  // input: DNS on the gateways (after the DNS-port DNAT, so the port is the real one)
  r.push(['input', [inSet(concat(iif, l4, dport), setRef('dns_in')), goTo('allow')]]);

  // published ports, for traffic from outside (prerouting) and from the host itself (output)
  const local = match({ fib: { result: 'type', flags: ['daddr'] } }, 'local');
  r.push(['prerouting', [local, jump('published')]]);
  r.push(['output', [local, jump('published')]]);
  for (const f of FAMILIES) {
    const key = concat(payload(f.fam, 'daddr'), l4, dport);
    r.push(['published', [dnatViaMaps(f.fam, key, `dnat_addr${f.set}`, `dnat_port${f.set}`)]]);
  }
  for (const f of FAMILIES) {
    const key = concat(l4, dport);
    r.push(['published', [match(meta('nfproto'), f.nf), dnatViaMaps(f.fam, key, `dnat_any_addr${f.set}`, `dnat_any_port${f.set}`)]]);
  }

  // postrouting
  // 127.0.0.1:port → container: the source must not stay loopback (route_localnet lets it out)
  r.push(['postrouting', [match(ct('status'), 'dnat', 'in'), inSet(oif, setRef('bridges')), match(payload('ip', 'saddr'), prefix('127.0.0.0', 8)), masquerade]]);
  for (const f of FAMILIES) {
    const pair = concat(payload(f.fam, 'saddr'), payload(f.fam, 'daddr'));
    // hairpin: a container reaching its own network's published port through the host
    r.push(['postrouting', [match(ct('status'), 'dnat', 'in'), inSet(pair, setRef(`same${f.set}`)), masquerade]]);
    r.push(['postrouting', [inSet(pair, setRef(`same${f.set}`)), ret]]);
    r.push(['postrouting', [inSet(payload(f.fam, 'saddr'), setRef(`nets${f.set}`)), match(payload(f.fam, 'daddr'), f.mcast), ret]]);
    r.push(['postrouting', [inSet(payload(f.fam, 'saddr'), setRef(`masq${f.set}`)), masquerade]]);
    r.push(['postrouting', [snatViaMap(f.fam, payload(f.fam, 'saddr'), `snat${f.set}`)]]);
  }
  return r;
}
