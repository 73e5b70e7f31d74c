// PURE: what a network and a container's published ports add to the sets and
// maps of `inet skiff`. Teardown removes exactly the same list, so whatever is
// rendered here is also "what we added".
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '../../src/lib/errors.js';
import { splitProtocols, type Protocol } from '../../schemas/port-mapping.js';
import type { FirewallNetwork, PortForward } from '../firewall.js';
import { concat, elements, prefix, type Json, type NftCmd } from './nft-json.js';

export interface Element {
  set: string;
  key: Json;
  /** map data; absent for sets */
  value?: Json;
}

interface Subnet {
  v: '4' | '6';
  addr: string;
  len: number;
  text: string;
}

export function parseSubnet(cidr: string, where: string): Subnet {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const v = isIPv4(addr) ? '4' : isIPv6(addr) ? '6' : undefined;
  const len = slash < 0 ? (v === '4' ? 32 : 128) : Number(cidr.slice(slash + 1));
  if (!v || !Number.isInteger(len) || len < 0 || len > (v === '4' ? 32 : 128)) {
    throw new ConfigError(`${where}: "${cidr}" is not a valid subnet`);
  }
  return { v, addr, len, text: cidr };
}

/** Elements for a network. Internal networks only get bridge membership and DNS. */
export function networkElements(n: FirewallNetwork): Element[] {
  const where = `network ${n.networkName}`;
  const br = n.bridge;
  if (br.length === 0 || br.length > 15 || /[\s/"]/.test(br)) throw new ConfigError(`${where}: "${br}" is not a valid bridge name`);
  for (const gw of n.gateways) {
    if (!isIPv4(gw) && !isIPv6(gw)) throw new ConfigError(`${where}: gateway "${gw}" is not an IP address`);
  }
  const out: Element[] = [{ set: 'bridges', key: br }, { set: 'bridge_self', key: concat(br, br) }];
  if (n.internal) out.push({ set: 'internal_bridges', key: br });
  if (n.isolate === 'strict') out.push({ set: 'iso_strict', key: br }, { set: 'isolated', key: br });
  if (n.isolate === 'true') out.push({ set: 'iso_true', key: br }, { set: 'isolated', key: br });

  const subnets = n.subnets.map((s) => parseSubnet(s, where));
  const noNat = (n.noNatDestinations ?? []).map((s) => parseSubnet(s, `${where} no-NAT destination`));
  if (!n.internal) {
    for (const s of subnets) {
      const p = prefix(s.addr, s.len);
      out.push({ set: `nets${s.v}`, key: p });
      // traffic inside the network (any of its subnets of the same family) is not NATed
      for (const t of subnets) if (t.v === s.v) out.push({ set: `same${s.v}`, key: concat(p, prefix(t.addr, t.len)) });
      for (const d of noNat) if (d.v === s.v) out.push({ set: `same${s.v}`, key: concat(p, prefix(d.addr, d.len)) });
      if (n.masquerade === false) continue;
      const snatTo = s.v === '4' ? n.outboundAddr4 : n.outboundAddr6;
      if (snatTo) {
        if (!(s.v === '4' ? isIPv4 : isIPv6)(snatTo)) {
          throw new ConfigError(`${where}: outbound_addr${s.v} "${snatTo}" is not an IPv${s.v} address`);
        }
        out.push({ set: `snat${s.v}`, key: p, value: snatTo });
      } else {
        out.push({ set: `masq${s.v}`, key: p });
      }
    }
  }

  if (n.dnsEnabled) {
    const port = n.dnsPort;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${where}: invalid DNS port ${port}`);
    for (const proto of ['udp', 'tcp'] as const) out.push({ set: 'dns_in', key: concat(br, proto, port) });
    if (port !== 53) {
      for (const gw of n.gateways) {
        const v = isIPv4(gw) ? '4' : '6';
        for (const proto of ['udp', 'tcp'] as const) {
          const key = concat(gw, proto, 53);
          out.push({ set: `dnat_addr${v}`, key, value: gw }, { set: `dnat_port${v}`, key, value: port });
        }
      }
    }
  }
  return out;
}

type Target = { v: '4' | '6'; hostIp?: string };

/** Which (family, host address) pairs a mapping's host_ip selects, given the container's addresses. */
function targets(hostIp: string, hostPort: number, has4: boolean, has6: boolean): Target[] {
  const ip = hostIp.trim();
  if (ip === '') return [...(has4 ? [{ v: '4' as const }] : []), ...(has6 ? [{ v: '6' as const }] : [])];
  if (ip === '0.0.0.0') return has4 ? [{ v: '4' }] : [];
  if (ip === '::') return has6 ? [{ v: '6' }] : [];
  if (isIPv4(ip)) return has4 ? [{ v: '4', hostIp: ip }] : [];
  if (isIPv6(ip)) return has6 ? [{ v: '6', hostIp: ip }] : [];
  throw new ConfigError(`invalid host ip "${hostIp}" provided for port ${hostPort}`);
}

/**
 * Elements for a container's published ports: one map entry per host port
 * (ranges are expanded, so each host port keeps its own container port).
 * A literal host_ip of the other family than the container's is skipped.
 */
export function portElements(p: PortForward): Element[] {
  const out: Element[] = [];
  // nft resolves anything that is not an address as a host name: never let one through
  if (p.containerIpV4 !== undefined && !isIPv4(p.containerIpV4)) {
    throw new ConfigError(`container ${p.containerId.slice(0, 12)}: "${p.containerIpV4}" is not an IPv4 address`);
  }
  if (p.containerIpV6 !== undefined && !isIPv6(p.containerIpV6)) {
    throw new ConfigError(`container ${p.containerId.slice(0, 12)}: "${p.containerIpV6}" is not an IPv6 address`);
  }
  const has4 = p.containerIpV4 !== undefined;
  const has6 = p.containerIpV6 !== undefined;
  for (const m of p.portMappings) {
    const count = m.range === 0 ? 1 : m.range;
    if (m.host_port < 1 || m.container_port < 1 || m.host_port + count - 1 > 65535 || m.container_port + count - 1 > 65535) {
      throw new ConfigError(
        `invalid port mapping ${m.host_ip || '*'}:${m.host_port}->${m.container_port} (range ${count}): ports must be within 1-65535`,
      );
    }
    let protocols: Protocol[];
    try {
      protocols = splitProtocols(m.protocol);
    } catch (e) {
      throw new ConfigError(`port ${m.host_port}: ${(e as Error).message}`);
    }
    for (const t of targets(m.host_ip, m.host_port, has4, has6)) {
      const ctr = t.v === '4' ? p.containerIpV4 : p.containerIpV6;
      if (ctr === undefined) continue;
      for (const proto of protocols) {
        for (let i = 0; i < count; i++) {
          const key = t.hostIp === undefined ? concat(proto, m.host_port + i) : concat(t.hostIp, proto, m.host_port + i);
          const kind = t.hostIp === undefined ? 'dnat_any' : 'dnat';
          out.push({ set: `${kind}_addr${t.v}`, key, value: ctr }, { set: `${kind}_port${t.v}`, key, value: m.container_port + i });
        }
      }
    }
  }
  const { elements: unique, conflicts } = dedupe(out);
  const first = conflicts[0];
  if (first) {
    throw new ConfigError(`container ${p.containerId.slice(0, 12)}: host port ${describeKey(first.key)} is published twice with different targets`);
  }
  return unique;
}

/** "tcp/8080" or "10.0.0.1 tcp/8080" from a map key. */
export function describeKey(key: Json): string {
  const parts = typeof key === 'object' && key !== null && !Array.isArray(key) && Array.isArray(key.concat) ? key.concat : [key];
  const port = parts[parts.length - 1];
  const proto = parts[parts.length - 2];
  const addr = parts.length > 2 ? `${String(parts[0])} ` : '';
  return `${addr}${String(proto)}/${String(port)}`;
}

/** Identity of an element: its set and key (a map holds one value per key). */
export const elementId = (e: Element): string => `${e.set}|${JSON.stringify(e.key)}`;
const id = elementId;

/**
 * Drops repeated elements; a key that appears again with another value is a
 * conflict (nft would reject the batch): the first one wins and the others are
 * reported, so one bad state file cannot block a reload.
 */
export function dedupe(els: readonly Element[]): { elements: Element[]; conflicts: Element[] } {
  const seen = new Map<string, Element>();
  const conflicts: Element[] = [];
  for (const e of els) {
    const prev = seen.get(id(e));
    if (!prev) seen.set(id(e), e);
    else if (JSON.stringify(prev.value) !== JSON.stringify(e.value)) conflicts.push(e);
  }
  return { elements: [...seen.values()], conflicts };
}

/** Groups elements into one command per set, in first-seen order. */
export function elementCmds(verb: 'add' | 'delete', els: readonly Element[]): NftCmd[] {
  const bySet = new Map<string, Json[]>();
  for (const e of els) {
    const list = bySet.get(e.set) ?? [];
    list.push(verb === 'add' && e.value !== undefined ? [e.key, e.value] : e.key);
    bySet.set(e.set, list);
  }
  return [...bySet].map(([set, list]) => elements(verb, set, list));
}

/**
 * Removal that succeeds whether or not the elements are still there: add them
 * (a no-op when present) and delete them in the same transaction. A plain
 * delete of a missing element would fail the whole batch.
 */
export function removeCmds(els: readonly Element[]): NftCmd[] {
  return els.length === 0 ? [] : [...elementCmds('add', els), ...elementCmds('delete', els)];
}
