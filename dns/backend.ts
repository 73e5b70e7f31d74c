// The record store: built once per (re)load from the parsed network files and
// never mutated afterwards, so the server swaps a whole Backend in one
// assignment and a query always sees one consistent snapshot. Pure: no I/O.
import { fileNameFor, type ContainerEntry, type NetworkConfig } from '../schemas/aardvark-config.js';
import { canonicalIp, formatIp, ipToBytes } from '../src/lib/ip.js';
import { encodeName } from './wire.js';

export interface Addresses {
  /** 4-byte A rdata */
  v4: Buffer[];
  /** 16-byte AAAA rdata */
  v6: Buffer[];
}

export interface NetworkRecords {
  name: string;
  internal: boolean;
  bindIps: string[];
  dnsServers: string[];
  /** lower-case name or alias → every address carrying it on this network */
  names: Map<string, Addresses>;
  /** canonical container IP → PTR rdata (encoded names) */
  reverse: Map<string, Buffer[]>;
}

export interface Requester {
  id: string;
  networks: string[];
  /** own upstreams (from non-internal networks only); empty = none configured */
  dnsServers: string[];
}

export interface Scope {
  networks: NetworkRecords[];
  requester: Requester | undefined;
  /** every scoped network is internal: nothing may be forwarded */
  internalOnly: boolean;
  /** upstreams chosen for this scope, valid while the host servers are `host` (resolve.ts) */
  upstreams?: { host: readonly string[]; list: readonly string[] };
}

/** What a container line turns into on the wire; never mutated once made. */
interface Prepared {
  v4: Buffer[];
  v6: Buffer[];
  /** canonical text of every address (v4 then v6): the reverse and requester keys */
  keys: string[];
  /** PTR rdata, one per name */
  ptr: Buffer[];
}

/**
 * Per parsed entry: config-dir.ts keeps the entry objects of unchanged lines
 * across reloads, so a reload only encodes the lines that are new. (Reloads
 * run rarely, i.e. in V8's interpreter: re-deriving 1,000 containers cost
 * tens of ms there.)
 */
const prepared = new WeakMap<ContainerEntry, Prepared>();

function prepare(c: ContainerEntry): Prepared {
  const hit = prepared.get(c);
  if (hit) return hit;
  const v4 = dedupe(c.ipv4.map((s) => ipToBytes(s)).filter((b): b is Buffer => b !== undefined));
  const v6 = dedupe(c.ipv6.map((s) => ipToBytes(s)).filter((b): b is Buffer => b !== undefined));
  const p: Prepared = { v4, v6, keys: [...v4, ...v6].map((b) => formatIp(b)), ptr: c.names.map((n) => encodeName(n)) };
  prepared.set(c, p);
  return p;
}

/**
 * Names and reverse records per parsed file: a file that did not change keeps
 * its config object (config-dir.ts), so its records are not built again.
 */
const networkRecords = new WeakMap<NetworkConfig, NetworkRecords>();

function addRecords(net: NetworkRecords, c: ContainerEntry, p: Prepared): void {
  for (const n of c.names) {
    const a = net.names.get(n);
    if (!a) {
      // shared with the prepared entry until a second container brings the same name
      net.names.set(n, { v4: p.v4, v6: p.v6 });
      continue;
    }
    const merged: Addresses = { v4: [...a.v4], v6: [...a.v6] };
    for (const b of p.v4) if (!merged.v4.some((x) => x.equals(b))) merged.v4.push(b);
    for (const b of p.v6) if (!merged.v6.some((x) => x.equals(b))) merged.v6.push(b);
    net.names.set(n, merged);
  }
  for (const key of p.keys) {
    const had = net.reverse.get(key);
    net.reverse.set(key, had ? [...had, ...p.ptr] : p.ptr);
  }
}

function fileKey(cfg: NetworkConfig): string {
  return fileNameFor(cfg.network, cfg.internal);
}

function sameHeader(a: NetworkConfig, b: NetworkConfig): boolean {
  const eq = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.bindIps, b.bindIps) && eq(a.dnsServers, b.dnsServers);
}

/** `old` entries, the very same objects in the same order, begin `now`. */
function isPrefix(old: readonly ContainerEntry[], now: readonly ContainerEntry[]): boolean {
  if (old.length > now.length) return false;
  for (let i = 0; i < old.length; i++) if (old[i] !== now[i]) return false;
  return true;
}

function dedupe(list: Buffer[]): Buffer[] {
  return list.filter((b, i) => list.findIndex((x) => x.equals(b)) === i);
}

export class Backend {
  readonly networks = new Map<string, NetworkRecords>();
  /** canonical container IP → who that is */
  readonly requesters = new Map<string, Requester>();
  /** canonical bind IP → networks listening on it */
  readonly listeners = new Map<string, NetworkRecords[]>();
  /** listener IP → source IP → scope */
  private readonly scopeCache = new Map<string, Map<string, Scope>>();
  private scopeCacheSize = 0;

  /** the parsed file each network was built from (for the next load's reuse) */
  private readonly sources = new Map<string, NetworkConfig>();

  /**
   * `previous`: the backend serving until now. A network whose file only grew
   * (its old entries first, unchanged) starts from copies of its old records
   * and adds the new lines only: a container start costs the same with 10 or
   * 1,000 containers on the network.
   */
  constructor(configs: readonly NetworkConfig[], previous?: Backend) {
    const built = new Map<NetworkConfig, { net: NetworkRecords; from: number }>();
    for (const cfg of configs) {
      const cached = networkRecords.get(cfg);
      let net: NetworkRecords;
      let from = cfg.containers.length;
      if (cached) net = cached;
      else {
        const key = fileKey(cfg);
        const old = previous?.sources.get(key);
        const oldNet = old && networkRecords.get(old);
        const grown = old !== undefined && oldNet !== undefined && sameHeader(old, cfg) && isPrefix(old.containers, cfg.containers);
        net = {
          name: cfg.network,
          internal: cfg.internal,
          bindIps: cfg.bindIps.map((ip) => canonicalIp(ip) ?? ip),
          dnsServers: cfg.internal ? [] : cfg.dnsServers,
          names: grown ? new Map(oldNet.names) : new Map(),
          reverse: grown ? new Map(oldNet.reverse) : new Map(),
        };
        from = grown ? old.containers.length : 0;
      }
      this.sources.set(fileKey(cfg), cfg);
      built.set(cfg, { net, from });
      // the same network name twice (plain and %int): the later file wins, as in aardvark
      this.networks.set(net.name, net);
    }
    const byId = new Map<string, Requester>();
    for (const cfg of configs) {
      const { net, from } = built.get(cfg)!;
      if (this.networks.get(cfg.network) !== net) continue;
      for (const ip of net.bindIps) {
        const list = this.listeners.get(ip) ?? [];
        if (!list.includes(net)) list.push(net);
        this.listeners.set(ip, list);
      }
      for (let i = 0; i < cfg.containers.length; i++) {
        const c = cfg.containers[i]!;
        const p = prepare(c);
        if (i >= from) addRecords(net, c, p);
        // a container is one requester across all its networks (same id in several files)
        const r = byId.get(c.id) ?? { id: c.id, networks: [], dnsServers: [] };
        if (!r.networks.includes(net.name)) r.networks.push(net.name);
        if (!net.internal && c.dnsServers.length > 0) r.dnsServers = c.dnsServers;
        byId.set(c.id, r);
        for (const key of p.keys) this.requesters.set(key, r);
      }
      networkRecords.set(cfg, net);
    }
  }

  /**
   * Which networks a query may see: the asker's own networks when its source
   * IP is a known container, else the networks of the listener it reached.
   */
  scope(source: string, listenerIp: string): Scope {
    // two levels instead of a `source|listener` key: no string is built per query
    let bySource = this.scopeCache.get(listenerIp);
    const hit = bySource?.get(source);
    if (hit) return hit;
    const requester = this.requesters.get(source);
    const networks = requester
      ? requester.networks.map((n) => this.networks.get(n)).filter((n): n is NetworkRecords => n !== undefined)
      : this.listeners.get(listenerIp) ?? [];
    const scope: Scope = { networks, requester, internalOnly: networks.length > 0 && networks.every((n) => n.internal) };
    // bounded: unknown sources (the host, strangers) must not grow it without limit
    if (requester || this.scopeCacheSize < 4096) {
      if (!bySource) this.scopeCache.set(listenerIp, (bySource = new Map()));
      bySource.set(source, scope);
      this.scopeCacheSize++;
    }
    return scope;
  }

  /** Addresses of `name` on the scoped networks, merged; undefined when no network knows the name. */
  lookup(name: string, networks: readonly NetworkRecords[]): Addresses | undefined {
    if (networks.length === 1) return networks[0]!.names.get(name);
    let out: Addresses | undefined;
    for (const n of networks) {
      const a = n.names.get(name);
      if (!a) continue;
      if (!out) {
        out = a;
        continue;
      }
      const merged: Addresses = { v4: [...out.v4], v6: [...out.v6] };
      for (const b of a.v4) if (!merged.v4.some((x) => x.equals(b))) merged.v4.push(b);
      for (const b of a.v6) if (!merged.v6.some((x) => x.equals(b))) merged.v6.push(b);
      out = merged;
    }
    return out;
  }

  /** PTR rdata for a container IP on the scoped networks. */
  reverseLookup(ip: string, networks: readonly NetworkRecords[]): Buffer[] | undefined {
    let out: Buffer[] | undefined;
    for (const n of networks) {
      const r = n.reverse.get(ip);
      if (r) out = out ? [...out, ...r.filter((x) => !out!.some((y) => y.equals(x)))] : r;
    }
    return out;
  }

  /** Every IP a listener must be bound to. */
  bindIps(): string[] {
    return [...this.listeners.keys()];
  }
}
