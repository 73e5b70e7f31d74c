// Netlink facades inside throwaway namespaces: the test process itself stays
// in the machine's namespace and never opens a socket there.
import { createNetns, type Netns } from './sandbox.js';
import { openNetlinkIn, openNetns, type NetnsHandle } from '../../src/netlink/netns.js';
import type { Netlink } from '../../src/netlink/netlink.js';

export interface NlNs {
  ns: Netns;
  handle: NetnsHandle;
  nl: Netlink;
  destroy(): void;
}

export async function nlNetns(prefix = 'sknl'): Promise<NlNs> {
  const ns = createNetns(prefix);
  const handle = openNetns(ns.path);
  const nl = await openNetlinkIn(handle);
  return {
    ns,
    handle,
    nl,
    destroy() {
      nl.close();
      handle.close();
      ns.destroy();
    },
  };
}

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address?: string;
  master?: string;
  operstate?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

export interface IpAddr {
  ifindex: number;
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; broadcast?: string }[];
}

export interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  scope?: string;
}

export function ipLink(ns: Netns, name: string): IpLink | undefined {
  const r = ns.run('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as IpLink[])[0];
}

export function ipAddrs(ns: Netns, name: string): string[] {
  const [a] = ns.ipJson<IpAddr[]>(['addr', 'show', 'dev', name]);
  return (a?.addr_info ?? []).filter((i) => !i.local.startsWith('fe80:')).map((i) => `${i.local}/${i.prefixlen}`);
}

export function ipRoutes(ns: Netns, family: 4 | 6): IpRoute[] {
  return ns.ipJson<IpRoute[]>([`-${family}`, 'route', 'show', 'table', 'main']);
}
