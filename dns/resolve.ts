// The lookup policy, as a pure function of (question, asker, backend): what to
// answer, or where to forward. The server only carries out the decision.
import type { Backend, Scope } from './backend.js';
import { canonicalIp, formatIp } from '../src/lib/ip.js';
import { reverseNameToIp } from './ip.js';
import { CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_PTR } from './wire.js';

export interface Question {
  /** lower case, no trailing dot */
  name: string;
  type: number;
  qclass: number;
}

export type Decision =
  /** local answer; empty rdatas = NODATA (the name exists, not with this type) */
  | { kind: 'answer'; type: number; rdatas: readonly Buffer[] }
  /** ANY for a local name: A and AAAA together */
  | { kind: 'answer-any'; answers: ReadonlyArray<{ type: number; rdata: Buffer }> }
  | { kind: 'nxdomain' }
  /** relay to these upstreams in order; empty = no upstream known → SERVFAIL */
  | { kind: 'forward'; servers: readonly string[] };

export interface ResolveOptions {
  /** search domain stripped from names, lower case, no dots around: `dns.podman` */
  searchDomain: string;
  /** AARDVARK_NO_PROXY: never forward */
  noProxy: boolean;
  /** nameservers from the host's resolv.conf */
  hostServers: readonly string[];
}

const EMPTY: readonly Buffer[] = [];

/** `web.dns.podman` → `web`; `dns.podman` itself → `` (the zone apex, which has no records). */
export function stripSearchDomain(name: string, domain: string): { name: string; inDomain: boolean } {
  if (domain === '') return { name, inDomain: false };
  if (name === domain) return { name: '', inDomain: true };
  if (name.length > domain.length && name.endsWith(domain) && name.charCodeAt(name.length - domain.length - 1) === 0x2e) {
    return { name: name.slice(0, name.length - domain.length - 1), inDomain: true };
  }
  return { name, inDomain: false };
}

export function resolve(q: Question, source: string, listenerIp: string, backend: Backend, o: ResolveOptions): Decision {
  const scope = backend.scope(source, listenerIp);
  if (q.qclass === CLASS_IN || q.qclass === TYPE_ANY) {
    if (q.type === TYPE_PTR) {
      const ip = reverseNameToIp(q.name);
      const names = ip ? backend.reverseLookup(formatIp(ip), scope.networks) : undefined;
      if (names) return { kind: 'answer', type: TYPE_PTR, rdatas: names };
    } else {
      const { name, inDomain } = stripSearchDomain(q.name, o.searchDomain);
      const addrs = name === '' ? undefined : backend.lookup(name, scope.networks);
      if (addrs) {
        // a known container name is ours alone: other types get NODATA, never an upstream
        if (q.type === TYPE_A) return { kind: 'answer', type: TYPE_A, rdatas: addrs.v4 };
        if (q.type === TYPE_AAAA) return { kind: 'answer', type: TYPE_AAAA, rdatas: addrs.v6 };
        if (q.type === TYPE_ANY) {
          return {
            kind: 'answer-any',
            answers: [...addrs.v4.map((rdata) => ({ type: TYPE_A, rdata })), ...addrs.v6.map((rdata) => ({ type: TYPE_AAAA, rdata }))],
          };
        }
        return { kind: 'answer', type: q.type, rdatas: EMPTY };
      }
      if (inDomain) return { kind: 'nxdomain' };
    }
  }
  if (o.noProxy || scope.internalOnly) return { kind: 'nxdomain' };
  return { kind: 'forward', servers: upstreamsFor(scope, o.hostServers) };
}

/** Container's own servers > its networks' servers (union) > the host's. */
export function upstreamsFor(scope: Scope, hostServers: readonly string[]): readonly string[] {
  // remembered on the (cached, immutable) scope: the same array every time also keys the reply cache cheaply
  if (scope.upstreams && scope.upstreams.host === hostServers) return scope.upstreams.list;
  const list = pickUpstreams(scope, hostServers);
  scope.upstreams = { host: hostServers, list };
  return list;
}

function pickUpstreams(scope: Scope, hostServers: readonly string[]): readonly string[] {
  if (scope.requester && scope.requester.dnsServers.length > 0) return scope.requester.dnsServers;
  const fromNetworks: string[] = [];
  for (const n of scope.networks) {
    if (n.internal) continue;
    for (const s of n.dnsServers) if (!fromNetworks.includes(s)) fromNetworks.push(s);
  }
  return fromNetworks.length > 0 ? fromNetworks : hostServers;
}

/** Source addresses as the kernel reports them, made comparable with config addresses. */
export function canonicalSource(address: string): string {
  return address.includes(':') ? canonicalIp(address) ?? address : address;
}
