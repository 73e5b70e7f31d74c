// CHECK's firewall part: the elements ADD put into `inet skiff` for this
// attachment must still be there. Expected elements come from the same plan
// ADD runs (config + the addresses prevResult names), so bridge membership,
// the network's subnets, masquerade (`ipMasq`), the no-NAT pairs
// (the network itself and `clusterCIDR`), DNS and isolation are all checked,
// plus the container's port forwards as saved by the firewall state.
// The table is read once (`nft -j list table`) and compared as normalized text.
import { FirewallState } from '../../firewall/state.js';
import { networkElements, portElements, type Element } from '../../firewall/nftables/elements.js';
import { nftRunner } from '../../firewall/nftables/nft.js';
import { FAMILY, TABLE } from '../../firewall/nftables/layout.js';
import { parseCidr } from '../../schemas/ip.js';
import { canonicalIp } from '../lib/ip.js';
import { CniCode, CniError } from './errors.js';
import type { Result } from './result.js';
import type { NetConf } from './config.js';
import type { CniEnv } from './env.js';
import { networkId, planCni } from './translate.js';
import { dnsWanted } from './dns.js';
import type { CniRuntime } from './runtime.js';

const fail = (msg: string): CniError => new CniError(CniCode.SetupFailed, msg);

/**
 * PURE: the network elements ADD added for this attachment, from the config
 * and our addresses in prevResult (those on the container interface `ifIndex`).
 */
export function expectedNetworkElements(conf: NetConf, env: CniEnv, prev: Result, ifIndex: number, dnsPort: number): Element[] {
  const ipam: Result = { interfaces: [], ips: prev.ips.filter((x) => x.interface === ifIndex), routes: [], dns: undefined };
  const p = planCni(conf, env, ipam, dnsPort);
  const fw = p.plan.firewall;
  if (!fw) return [];
  fw.dnsEnabled = dnsWanted(conf, p);
  return networkElements(fw);
}

/** PURE: one element key or value of `nft -j` output (or of our own rendering) as comparable text. */
export function elementText(j: unknown): string {
  if (typeof j === 'number') return String(j);
  if (typeof j === 'string') {
    const ip = canonicalIp(j);
    // an interval set lists a single address as a plain address, our rendering as a full-length prefix
    return ip === undefined ? j : `${ip}/${ip.includes(':') ? 128 : 32}`;
  }
  if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
    const o = j as Record<string, unknown>;
    const pfx = o.prefix as { addr?: unknown; len?: unknown } | undefined;
    if (pfx && typeof pfx.addr === 'string' && typeof pfx.len === 'number') return parseCidr(`${pfx.addr}/${pfx.len}`)?.text ?? `${pfx.addr}/${pfx.len}`;
    if (Array.isArray(o.concat)) return o.concat.map(elementText).join(' . ');
    if (Array.isArray(o.range)) return o.range.map(elementText).join('-');
    // an element with a comment, timeout or counter
    const el = o.elem as { val?: unknown } | undefined;
    if (el && 'val' in el) return elementText(el.val);
  }
  return JSON.stringify(j);
}

/** PURE: every set and map of `nft -j list table` output: name → (key text → value text, '' for sets). */
export function tableElements(listTableOutput: unknown): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const objs = (listTableOutput as { nftables?: unknown } | undefined)?.nftables;
  if (!Array.isArray(objs)) return out;
  for (const o of objs as Record<string, unknown>[]) {
    const s = (o.set ?? o.map) as { name?: unknown; elem?: unknown } | undefined;
    if (!s || typeof s.name !== 'string') continue;
    const els = new Map<string, string>();
    for (const e of Array.isArray(s.elem) ? s.elem : []) {
      if (o.map !== undefined && Array.isArray(e) && e.length === 2) els.set(elementText(e[0]), elementText(e[1]));
      else els.set(elementText(e), '');
    }
    out.set(s.name, els);
  }
  return out;
}

/** PURE: what an element is, for the error message. */
export function describeElement(e: Element, conf: NetConf): string {
  const key = elementText(e.key);
  const kind = e.set.replace(/[46]$/, '');
  switch (kind) {
    case 'bridges':
      return `bridge ${key}`;
    case 'nets':
      return `subnet ${key}`;
    case 'masq':
      return `masquerade (ipMasq) of ${key}`;
    case 'same': {
      const [src, dst] = key.split(' . ');
      const cluster = conf.clusterCidrs.some((c) => parseCidr(c)?.text === dst);
      return `no-NAT destination ${dst ?? '?'} for ${src ?? '?'}${cluster ? ' (clusterCIDR)' : ''}`;
    }
    default:
      return `element ${key}${e.value !== undefined ? ` : ${elementText(e.value)}` : ''}`;
  }
}

/**
 * PURE: the first difference between what should be in the table and what is.
 * A masquerade element for our subnets while ipMasq is false is one too.
 */
export function firewallDifference(conf: NetConf, expected: Element[], ports: Element[], have: Map<string, Map<string, string>>): string | undefined {
  const where = (set: string) => `(set ${FAMILY} ${TABLE} ${set})`;
  for (const e of expected) {
    const got = have.get(e.set)?.get(elementText(e.key));
    const want = e.value === undefined ? '' : elementText(e.value);
    if (got === undefined) return `${describeElement(e, conf)} is not in the firewall ${where(e.set)}`;
    if (got !== want) return `${describeElement(e, conf)} maps to ${got} in the firewall, expected ${want} ${where(e.set)}`;
  }
  if (!conf.ipMasq) {
    for (const e of expected.filter((x) => x.set.startsWith('nets'))) {
      const masq = e.set.replace('nets', 'masq');
      if (have.get(masq)?.has(elementText(e.key))) return `subnet ${elementText(e.key)} is masqueraded though ipMasq is false ${where(masq)}`;
    }
  }
  for (const e of ports) {
    const got = have.get(e.set)?.get(elementText(e.key));
    if (got !== elementText(e.value)) return `port forward ${e.set}|${JSON.stringify(e.key)} is missing from the firewall`;
  }
  return undefined;
}

export async function checkFirewall(rt: CniRuntime, prev: Result, ifIndex: number, dnsPort: number): Promise<void> {
  const { conf, env } = rt;
  const expected = expectedNetworkElements(conf, env, prev, ifIndex, dnsPort);
  const saved = new FirewallState(rt.stateDir).loadPorts(networkId(conf.name), env.containerId);
  const ports = saved ? portElements(saved) : [];
  const table = await nftRunner().list(['table', FAMILY, TABLE]);
  if (table === undefined) throw fail(`the firewall table ${FAMILY} ${TABLE} is missing`);
  const diff = firewallDifference(conf, expected, ports, tableElements(table));
  if (diff) throw fail(diff);
}
