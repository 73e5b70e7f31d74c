// Which host ports the rootless netns' pasta forwards. pasta (without pesto)
// cannot change its forwards while running, so the set is fixed when the
// namespace is created: the ports configured with `rootless netns ensure
// --ports` plus those of the container that created it. A later container
// may publish only ports inside that set. All pure.
import { ConfigError } from '../../lib/errors.js';
import type { PortMapping } from '../../../schemas/port-mapping.js';
import { toForwards } from '../ports.js';
import type { PortForward } from '../types.js';

export type Range = [number, number];
export interface PortSet {
  tcp: Range[];
  udp: Range[];
}

export const EMPTY_PORTS: PortSet = { tcp: [], udp: [] };

/** Sorted, merged, adjacent ranges joined. */
export function normalise(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function union(a: PortSet, b: PortSet): PortSet {
  return { tcp: normalise([...a.tcp, ...b.tcp]), udp: normalise([...a.udp, ...b.udp]) };
}

/**
 * `--ports` flag: `8080,9000-9009` (tcp and udp), or per protocol
 * `tcp:8080,udp:5353-5355`; `none` is empty. Errors name the bad element.
 */
export function parsePortsFlag(spec: string): PortSet {
  const set: PortSet = { tcp: [], udp: [] };
  const s = spec.trim();
  if (s === '' || s === 'none') return set;
  for (const raw of s.split(',')) {
    const m = /^(?:(tcp|udp):)?(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw.trim());
    const lo = Number(m?.[2]);
    const hi = m?.[3] === undefined ? lo : Number(m[3]);
    if (!m || lo < 1 || hi > 65535 || hi < lo) {
      throw new ConfigError(`--ports: "${raw}" is not a port or range (expected e.g. 8080, 9000-9009, tcp:8080 or udp:5353)`);
    }
    if (m[1] !== 'udp') set.tcp.push([lo, hi]);
    if (m[1] !== 'tcp') set.udp.push([lo, hi]);
  }
  return { tcp: normalise(set.tcp), udp: normalise(set.udp) };
}

export function formatPortSet(set: PortSet): string {
  const part = (p: string, rs: Range[]): string[] => rs.map(([lo, hi]) => `${p}:${lo === hi ? lo : `${lo}-${hi}`}`);
  const all = [...part('tcp', set.tcp), ...part('udp', set.udp)];
  return all.length === 0 ? 'none' : all.join(',');
}

/** The host ports a container publishes (validated like the per-container adapter does). */
export function portSetOf(mappings: readonly PortMapping[]): PortSet {
  const set: PortSet = { tcp: [], udp: [] };
  for (const f of toForwards(mappings)) set[f.proto].push([f.hostPort, f.hostPort + f.range - 1]);
  return { tcp: normalise(set.tcp), udp: normalise(set.udp) };
}

/** Ranges of `want` not inside `have`, as `tcp:8080` strings for an error message. */
export function uncovered(have: PortSet, want: PortSet): string[] {
  const missing: string[] = [];
  for (const p of ['tcp', 'udp'] as const) {
    for (const [lo, hi] of want[p]) {
      if (!have[p].some(([a, b]) => a <= lo && hi <= b)) missing.push(`${p}:${lo === hi ? lo : `${lo}-${hi}`}`);
    }
  }
  return missing;
}

/** pasta forwards: host port H to the same port H in the rootless netns, where Skiff's DNAT takes over. */
export function pastaForwards(set: PortSet): PortForward[] {
  const out: PortForward[] = [];
  for (const p of ['tcp', 'udp'] as const) {
    for (const [lo, hi] of set[p]) out.push({ proto: p, hostIp: '', hostPort: lo, containerPort: lo, range: hi - lo + 1 });
  }
  return out;
}
