// The record store: built once per (re)load from the parsed network files and
// never mutated afterwards, so the server swaps a whole Backend in one
// assignment and a query always sees one consistent snapshot. Pure: no I/O.
import type { NetworkConfig } from '../schemas/aardvark-config.js';
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

export class Backend {
  readonly networks = new Map<string, NetworkRecords>();
  /** canonical container IP → who that is */
  readonly requesters = new Map<string, Requester>();
  /** canonical bind IP → networks listening on it */
  readonly listeners = new Map<string, NetworkRecords[]>();
  private readonly scopeCache = new Map<string, Scope>();

  constructor(configs: readonly NetworkConfig[]) {
    for (const cfg of configs) {
      const net: NetworkRecords = {
        name: cfg.network,
        internal: cfg.internal,
        bindIps: cfg.bindIps.map((ip) => canonicalIp(ip) ?? ip),
        dnsServers: cfg.internal ? [] : cfg.dnsServers,
        names: new Map(),
        reverse: new Map(),
      };
      // the same network name twice (plain and %int): the later file wins, as in aardvark
      this.networks.set(net.name, net);
    }
    const byId = new Map<string, Requester>();
    for (const cfg of configs) {
      const net = this.networks.get(cfg.network);
      if (!net || net.internal !== cfg.internal) continue;
      for (const ip of net.bindIps) {
        const list = this.listeners.get(ip) ?? [];
        if (!list.includes(net)) list.push(net);
        this.listeners.set(ip, list);
      }
      for (const c of cfg.containers) {
        const v4 = c.ipv4.map((s) => ipToBytes(s)).filter((b): b is Buffer => b !== undefined);
        const v6 = c.ipv6.map((s) => ipToBytes(s)).filter((b): b is Buffer => b !== undefined);
        for (const n of c.names) {
          const a = net.names.get(n) ?? { v4: [], v6: [] };
          for (const b of v4) if (!a.v4.some((x) => x.equals(b))) a.v4.push(b);
          for (const b of v6) if (!a.v6.some((x) => x.equals(b))) a.v6.push(b);
          net.names.set(n, a);
        }
        const ptr = c.names.map((n) => encodeName(n));
        // a container is one requester across all its networks (same id in several files)
        const r = byId.get(c.id) ?? { id: c.id, networks: [], dnsServers: [] };
        if (!r.networks.includes(net.name)) r.networks.push(net.name);
        if (!net.internal && c.dnsServers.length > 0) r.dnsServers = c.dnsServers;
        byId.set(c.id, r);
        for (const b of [...v4, ...v6]) {
          const key = formatIp(b);
          net.reverse.set(key, [...(net.reverse.get(key) ?? []), ...ptr]);
          this.requesters.set(key, r);
        }
      }
    }
  }

  /**
   * Which networks a query may see: the asker's own networks when its source
   * IP is a known container, else the networks of the listener it reached.
   */
  scope(source: string, listenerIp: string): Scope {
    const key = source + '|' + listenerIp;
    const hit = this.scopeCache.get(key);
    if (hit) return hit;
    const requester = this.requesters.get(source);
    const networks = requester
      ? requester.networks.map((n) => this.networks.get(n)).filter((n): n is NetworkRecords => n !== undefined)
      : this.listeners.get(listenerIp) ?? [];
    const scope: Scope = { networks, requester, internalOnly: networks.length > 0 && networks.every((n) => n.internal) };
    // bounded: unknown sources (the host, strangers) must not grow it without limit
    if (requester || this.scopeCache.size < 4096) this.scopeCache.set(key, scope);
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
