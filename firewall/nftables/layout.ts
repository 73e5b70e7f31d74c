// Names, priorities and marks of the `inet skiff` table. docs/firewall.md
// explains each one; admins and other tools may rely on them, so changing a
// value here is a breaking change.

export const FAMILY = 'inet';
export const TABLE = 'skiff';

/**
 * Bit OR-ed into the packet mark of every packet our filter chains accept.
 * Foreign default-drop chains get one rule matching it (see foreign.ts). Chosen
 * outside the bits used by kube-proxy (0x4000/0x8000), netavark (0x1000/0x2000),
 * Tailscale (0xff0000) and Cilium (0x0f00).
 */
export const ACCEPT_MARK = 0x01000000;

/** Comment on the accept rule we put into foreign chains; how we find it again. */
export const FOREIGN_COMMENT = 'skiff: accept container traffic marked 0x01000000 (see skiff docs/firewall.md)';

/** Our filter chains run before the usual priority-0 filter chains, so the mark is set when theirs look. */
export const FILTER_PRIO = -5;
export const DSTNAT_PRIO = -100;
export const SRCNAT_PRIO = 100;

/** Base chains: [name, type, hook, priority]. */
export const BASE_CHAINS = [
  ['forward', 'filter', 'forward', FILTER_PRIO],
  ['input', 'filter', 'input', FILTER_PRIO],
  ['prerouting', 'nat', 'prerouting', DSTNAT_PRIO],
  ['output', 'nat', 'output', DSTNAT_PRIO],
  ['postrouting', 'nat', 'postrouting', SRCNAT_PRIO],
] as const;

/** Regular chains whose rules we own (flushed and refilled on every network setup). */
export const REGULAR_CHAINS = ['allow', 'isolation', 'published'] as const;

/** Jumped first from `forward`; ours to create, the admin's to fill. Never flushed by us. */
export const USER_CHAIN = 'user_forward';

type SetType = string | readonly string[];
export interface SetDef {
  name: string;
  type: SetType;
  /** data type for maps */
  map?: string;
  interval?: boolean;
}

const v4v6 = (
  base: string,
  make: (fam: 'ipv4_addr' | 'ipv6_addr') => Omit<SetDef, 'name'>,
): SetDef[] => [
  { name: `${base}4`, ...make('ipv4_addr') },
  { name: `${base}6`, ...make('ipv6_addr') },
];

/**
 * Every set and map. All per-network and per-container facts live here as
 * elements, so the rules never change when networks or ports come and go.
 */
export const SETS: readonly SetDef[] = [
  { name: 'bridges', type: 'ifname' },
  { name: 'internal_bridges', type: 'ifname' },
  { name: 'iso_strict', type: 'ifname' },
  { name: 'iso_true', type: 'ifname' },
  { name: 'isolated', type: 'ifname' },
  { name: 'bridge_self', type: ['ifname', 'ifname'] },
  { name: 'dns_in', type: ['ifname', 'inet_proto', 'inet_service'] },
  ...v4v6('nets', (a) => ({ type: a, interval: true })),
  ...v4v6('same', (a) => ({ type: [a, a], interval: true })),
  ...v4v6('masq', (a) => ({ type: a, interval: true })),
  ...v4v6('snat', (a) => ({ type: a, map: a, interval: true })),
  // nft 1.0.x JSON cannot declare a map whose data is `addr . port`, so each
  // forward is two maps with the same key: one gives the address, one the port.
  ...v4v6('dnat_addr', (a) => ({ type: [a, 'inet_proto', 'inet_service'], map: a })),
  ...v4v6('dnat_port', (a) => ({ type: [a, 'inet_proto', 'inet_service'], map: 'inet_service' })),
  ...v4v6('dnat_any_addr', (a) => ({ type: ['inet_proto', 'inet_service'], map: a })),
  ...v4v6('dnat_any_port', () => ({ type: ['inet_proto', 'inet_service'], map: 'inet_service' })),
];
