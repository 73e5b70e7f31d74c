// Small readers shared by the e2e scenarios: what a container sees, read from
// the host side through its netns (ip -j) or from inside (busybox).
import { basename } from 'node:path';
import assert from 'node:assert/strict';
import { waitFor, type PodmanHost } from '../helpers/podman.js';

export interface Addr {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
}

export interface Route {
  dst: string;
  gateway?: string;
  dev?: string;
}

/** The container's network namespace name under /run/netns (podman's SandboxKey). */
export function ctrNetns(ph: PodmanHost, ctr: string): string {
  const info = ph.inspect<{ NetworkSettings: { SandboxKey: string } }>(ctr);
  return basename(info.NetworkSettings.SandboxKey);
}

function ipIn<T>(ph: PodmanHost, ctr: string, args: readonly string[]): T {
  const r = ph.inHost('ip', ['-j', '-n', ctrNetns(ph, ctr), ...args]);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} in ${ctr}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim() || '[]') as T;
}

/** Global addresses of every non-lo interface of the container. */
export function ctrAddrs(ph: PodmanHost, ctr: string, dev?: string): Addr[] {
  const links = ipIn<{ ifname: string; addr_info: Addr[] }[]>(ph, ctr, ['addr', 'show', ...(dev ? ['dev', dev] : [])]);
  return links.filter((l) => l.ifname !== 'lo').flatMap((l) => l.addr_info.filter((a) => a.scope === 'global'));
}

export function ctrV4(ph: PodmanHost, ctr: string, dev?: string): string {
  const a = ctrAddrs(ph, ctr, dev).find((x) => x.family === 'inet');
  if (!a) throw new Error(`${ctr} has no IPv4 address`);
  return a.local;
}

/** Interface names inside the container, except lo. */
export function ctrLinks(ph: PodmanHost, ctr: string): string[] {
  return ipIn<{ ifname: string }[]>(ph, ctr, ['link', 'show'])
    .map((l) => l.ifname)
    .filter((n) => n !== 'lo');
}

export function ctrRoutes(ph: PodmanHost, ctr: string, family: '-4' | '-6'): Route[] {
  return ipIn<Route[]>(ph, ctr, [family, 'route', 'show']);
}

export function ctrMtu(ph: PodmanHost, ctr: string, dev = 'eth0'): number {
  const [l] = ipIn<{ mtu: number }[]>(ph, ctr, ['link', 'show', 'dev', dev]);
  if (!l) throw new Error(`${ctr} has no ${dev}`);
  return l.mtu;
}

export interface ResolvConf {
  text: string;
  nameservers: string[];
  search: string[];
}

export function resolvConf(ph: PodmanHost, ctr: string): ResolvConf {
  const text = ph.ok(['exec', ctr, 'cat', '/etc/resolv.conf']);
  const nameservers: string[] = [];
  const search: string[] = [];
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) nameservers.push(rest[0]);
    if (key === 'search') search.push(...rest);
  }
  return { text, nameservers, search };
}

// busybox nslookup asks every nameserver of resolv.conf at once and fails if
// any says NXDOMAIN; a libc resolver takes the first answer of the first one.
// So ask the first nameserver only, like libc does.
export const FIRST_NS = `"$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)"`;

/**
 * The addresses `name` resolves to from inside `ctr` (busybox nslookup against
 * the container's first nameserver), [] when it does not resolve.
 */
export function resolves(ph: PodmanHost, ctr: string, name: string, type: 'a' | 'aaaa' = 'a'): string[] {
  const r = ph.exec(ctr, `timeout 5 nslookup -type=${type} ${name} ${FIRST_NS}`);
  if (r.code !== 0) return [];
  return [...new Set(parseNslookup(r.stdout))];
}

/** Addresses from busybox nslookup output, skipping the "Server:/Address:" header. */
export function parseNslookup(out: string): string[] {
  const body = out.split(/\n\s*\n/).slice(1).join('\n');
  const addrs: string[] = [];
  for (const m of body.matchAll(/^Address(?: \d+)?:\s*(\S+)/gm)) {
    if (m[1]) addrs.push(m[1]);
  }
  return addrs;
}

/** Names a PTR lookup of `ip` returns from inside `ctr`. */
export function reverse(ph: PodmanHost, ctr: string, ip: string): string[] {
  const r = ph.exec(ctr, `timeout 5 nslookup ${ip} ${FIRST_NS}`);
  if (r.code !== 0) return [];
  return [...r.stdout.matchAll(/name = (\S+)/g)].map((m) => m[1]!.replace(/\.$/, ''));
}

/**
 * Asserts what `name` resolves to from `ctr`, allowing the DNS server up to
 * `ms` to apply a change that just happened: aardvark-dns re-reads its config
 * on SIGHUP after netavark has already returned to Podman.
 */
export async function expectResolves(
  ph: PodmanHost,
  ctr: string,
  name: string,
  expected: readonly string[],
  opts: { type?: 'a' | 'aaaa'; msg?: string; ms?: number } = {},
): Promise<void> {
  const want = JSON.stringify([...expected].sort());
  let got: string[] = [];
  await waitFor(() => {
    got = resolves(ph, ctr, name, opts.type ?? 'a');
    return JSON.stringify([...got].sort()) === want;
  }, opts.ms ?? 3000, 200);
  assert.deepEqual([...got].sort(), [...expected].sort(), `${ctr} -> ${name}${opts.msg ? `: ${opts.msg}` : ''}`);
}
