// NetworkOptions: what the engine sends to `setup`/`teardown` on stdin.
// Podman ≤5 sends `networks` as a map, Podman 6 as an ordered
// array; both come out as one ordered list of attachments. Unknown fields are
// kept on the objects (plugins get the network as sent) but never required.
// zod/mini: the full zod build costs ~40 ms of start-up on every `skiff setup`.
import * as z from 'zod/mini';
import './zod-locale.js';
import { parseJson } from './parse.js';
import { portMappingSchema, type PortMapping } from './port-mapping.js';
import { parseCidr, parseIp, parseMac, cidrContains, cidrsOverlap, type Cidr } from './ip.js';

const ip = z.string().check(z.refine((s) => parseIp(s) !== undefined, { error: (i) => `"${String(i.input)}" is not a valid IP address` }));
const cidr = z.string().check(z.refine((s) => parseCidr(s) !== undefined, { error: (i) => `"${String(i.input)}" is not a valid CIDR subnet` }));
const nullableArray = <T extends z.ZodMiniType>(t: T) => z.pipe(z.nullish(z.array(t)), z.transform((v) => v ?? []));
const stringMap = z.pipe(z.nullish(z.record(z.string(), z.string())), z.transform((v) => v ?? {}));
const nonEmpty = () => z.string().check(z.minLength(1, { error: 'must not be empty' }));

export const subnetSchema = z.looseObject({
  subnet: cidr,
  gateway: z.nullish(ip),
  lease_range: z.nullish(z.looseObject({ start_ip: z.nullish(ip), end_ip: z.nullish(ip) })),
});

export const routeSchema = z.looseObject({
  destination: cidr,
  gateway: z.nullish(ip),
  metric: z.nullish(z.int().check(z.minimum(0), z.maximum(4294967295))),
  route_type: z.nullish(z.enum(['unicast', 'blackhole', 'unreachable', 'prohibit'])),
});

export const networkSchema = z.looseObject({
  name: nonEmpty(),
  id: z.string(),
  driver: nonEmpty(),
  network_interface: z.nullish(z.string()),
  created: z.nullish(z.string()),
  subnets: nullableArray(subnetSchema),
  routes: nullableArray(routeSchema),
  ipv6_enabled: z._default(z.boolean(), false),
  internal: z._default(z.boolean(), false),
  dns_enabled: z._default(z.boolean(), false),
  network_dns_servers: nullableArray(ip),
  ipam_options: stringMap,
  options: stringMap,
});

export const perNetworkSchema = z.looseObject({
  interface_name: nonEmpty(),
  static_ips: nullableArray(ip),
  static_mac: z.nullish(
    z.string().check(z.refine((s) => parseMac(s) !== undefined, { error: (i) => `"${String(i.input)}" is not a MAC address (aa:bb:cc:dd:ee:ff)` })),
  ),
  aliases: nullableArray(z.string()),
  options: stringMap,
});

const namedPerNetworkSchema = z.extend(perNetworkSchema, { name: nonEmpty() });

export const networkOptionsSchema = z.looseObject({
  container_id: nonEmpty(),
  container_name: nonEmpty(),
  container_hostname: z.nullish(z.string()),
  networks: z.union([z.record(z.string(), perNetworkSchema), z.array(namedPerNetworkSchema)]),
  network_info: z.record(z.string(), networkSchema),
  port_mappings: nullableArray(portMappingSchema),
  dns_servers: nullableArray(ip),
});

export type Network = z.infer<typeof networkSchema>;
export type PerNetworkOptions = z.infer<typeof perNetworkSchema>;
export type Subnet = z.infer<typeof subnetSchema>;
export type Route = z.infer<typeof routeSchema>;

export interface Attachment {
  /** network name (key of `networks`) */
  name: string;
  network: Network;
  opts: PerNetworkOptions;
  /** where this attachment sits in the input, for error messages: `networks.mynet` or `networks[0]` */
  path: string;
  /** canonical static IPs */
  staticIps: string[];
  /** aliases that are valid DNS names */
  aliases: string[];
}

export interface NetworkOptions {
  containerId: string;
  containerName: string;
  containerHostname: string | undefined;
  attachments: Attachment[];
  portMappings: PortMapping[];
  dnsServers: string[];
  /** things worth a warning that did not make the input invalid */
  warnings: string[];
}

/**
 * `error` names the field and what is wrong with it (Skiff's context, for the
 * debug log and tests); `netavark`, when set, is netavark's own text for the
 * same failure, which is what the user sees.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string; netavark?: string };

// Names reach file names (<config>/aardvark-dns/<network>) and the DNS
// server's config lines (columns split on spaces, lists on commas, one line
// per container). What would break out of them is refused, not escaped:
// Podman never sends such names (its own rules are stricter).
const DNS_NAME_BAD = /[\s,\x00-\x1f\x7f]/;
const ID_BAD = /[\s,/\x00-\x1f\x7f]/;
const NET_NAME_BAD = /[\s/\x00-\x1f\x7f]/;
const MAX_NAME_BYTES = 255;

function badToken(value: string, path: string, bad: RegExp, what: string): string | undefined {
  if (bad.test(value)) return `${path}: ${JSON.stringify(value)} contains ${what}`;
  if (Buffer.byteLength(value) > MAX_NAME_BYTES) return `${path}: longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** A network name is a file name in the DNS config dir: no path, no hidden or reserved name. */
function badNetworkName(name: string, path: string): string | undefined {
  const what = `${path}: invalid network name ${JSON.stringify(name)}`;
  if (name === '' || name === '.' || name === '..' || name.startsWith('.')) return `${what}: must not be empty or start with a dot`;
  if (name === 'aardvark.pid') return `${what}: reserved for the DNS server's pid file`;
  return badToken(name, path, NET_NAME_BAD, 'a space, slash or control character');
}

/** Parses and validates the JSON text; every error names the field and what is wrong with it. */
export function parseNetworkOptions(text: string): ParseResult<NetworkOptions> {
  const r = parseJson(networkOptionsSchema, text, 5);
  if (!r.ok) return r;
  const raw = r.value;
  const warnings: string[] = [];
  const idErr = badToken(raw.container_id, 'container_id', ID_BAD, 'a space, comma, slash or control character');
  if (idErr) return { ok: false, error: idErr };
  const nameErr = badToken(raw.container_name, 'container_name', DNS_NAME_BAD, 'a space, comma or control character, so it cannot be a DNS name');
  if (nameErr) return { ok: false, error: nameErr };
  const entries: [string, PerNetworkOptions, string][] = Array.isArray(raw.networks)
    ? raw.networks.map((n, i) => [n.name, n, `networks[${i}]`])
    : Object.entries(raw.networks).map(([name, n]) => [name, n, `networks.${name}`]);
  if (entries.length === 0) return { ok: false, error: 'networks: at least one network is required' };

  const attachments: Attachment[] = [];
  const seen = new Set<string>();
  const seenIfaces = new Set<string>();
  for (const [name, opts, path] of entries) {
    const netNameErr = badNetworkName(name, path);
    if (netNameErr) return { ok: false, error: netNameErr };
    if (seen.has(name)) return { ok: false, error: `${path}: network ${name} is listed twice` };
    seen.add(name);
    if (seenIfaces.has(opts.interface_name)) {
      return { ok: false, error: `${path}.interface_name: interface ${opts.interface_name} is used by two networks` };
    }
    seenIfaces.add(opts.interface_name);
    const network = raw.network_info[name];
    if (!network) return { ok: false, error: `network info for network ${name} not found (network_info.${name} is missing)` };
    const subnetErr = checkSubnetOverlap(network, `network_info.${name}`);
    if (subnetErr) return { ok: false, ...subnetErr };
    const netErr = validateNetwork(network, `network_info.${name}`);
    if (netErr) return { ok: false, error: netErr };
    const staticIps: string[] = [];
    const subnets = network.subnets.map((s) => parseCidr(s.subnet) as Cidr);
    const ipam = network.ipam_options['driver'] ?? 'host-local';
    for (const [i, text] of opts.static_ips.entries()) {
      const addr = parseIp(text)!;
      // like netavark: without subnets, static IPs have nothing to be matched against and are unused
      if (ipam === 'host-local' && subnets.length === 0) continue;
      if (ipam === 'host-local' && !subnets.some((s) => cidrContains(s, addr))) {
        return {
          ok: false,
          error: `${path}.static_ips[${i}]: ${text} is not in any subnet of network ${name} (${network.subnets.map((s) => s.subnet).join(', ')})`,
          netavark: `not all static IPs matched a subnet: ${text} is not in any subnet of network ${name}`,
        };
      }
      if (staticIps.includes(addr.address)) return { ok: false, error: `${path}.static_ips[${i}]: ${text} is listed twice` };
      staticIps.push(addr.address);
    }
    const aliases: string[] = [];
    for (const a of opts.aliases) {
      // netavark's warning text (JSON.stringify quotes and escapes like Rust's {:?}); NUL and other control characters too
      if (a === '' || DNS_NAME_BAD.test(a)) warnings.push(`invalid network alias ${JSON.stringify(a)}: name contains whitespace, a comma or a control character, ignoring this name`);
      else aliases.push(a);
    }
    attachments.push({ name, network, opts, path, staticIps, aliases });
  }
  return {
    ok: true,
    value: {
      containerId: raw.container_id,
      containerName: raw.container_name,
      containerHostname: raw.container_hostname ?? undefined,
      attachments,
      portMappings: raw.port_mappings,
      dnsServers: raw.dns_servers.map((s) => parseIp(s)!.address),
      warnings,
    },
  };
}

/** A network's subnets must be distinct and must not overlap (netavark's wording in `netavark`). */
export function checkSubnetOverlap(n: Network, path: string): { error: string; netavark: string } | undefined {
  const parsed: Cidr[] = [];
  for (const [i, s] of n.subnets.entries()) {
    const c = parseCidr(s.subnet)!;
    for (const [j, other] of parsed.entries()) {
      const prev = n.subnets[j]!.subnet;
      if (c.family === other.family && c.prefix === other.prefix && c.network === other.network) {
        return { error: `${path}.subnets[${i}]: subnet ${s.subnet} is the same as subnets[${j}] ${prev}`, netavark: `duplicate subnet ${c.text}` };
      }
      if (cidrsOverlap(c, other)) {
        return { error: `${path}.subnets[${i}]: subnet ${s.subnet} overlaps with subnets[${j}] ${prev}`, netavark: `overlapping subnets ${prev} and ${s.subnet}` };
      }
    }
    parsed.push(c);
  }
  return undefined;
}

/** Checks that need more than one field: gateways inside subnets, overlapping subnets, route gateways. */
export function validateNetwork(n: Network, path: string): string | undefined {
  const over = checkSubnetOverlap(n, path);
  if (over) return over.error;
  for (const [i, s] of n.subnets.entries()) {
    const c = parseCidr(s.subnet)!;
    if (s.gateway) {
      const gw = parseIp(s.gateway)!;
      if (!cidrContains(c, gw)) return `${path}.subnets[${i}].gateway: gateway ${s.gateway} is not in subnet ${s.subnet}`;
    }
    for (const key of ['start_ip', 'end_ip'] as const) {
      const v = s.lease_range?.[key];
      if (v && !cidrContains(c, parseIp(v)!)) return `${path}.subnets[${i}].lease_range.${key}: ${v} is not in subnet ${s.subnet}`;
    }
  }
  for (const [i, r] of n.routes.entries()) {
    const type = r.route_type ?? 'unicast';
    const dest = parseCidr(r.destination)!;
    if (type === 'unicast' && !r.gateway) return `${path}.routes[${i}].gateway: a unicast route needs a gateway`;
    if (type !== 'unicast' && r.gateway) return `${path}.routes[${i}].gateway: a ${type} route cannot have a gateway`;
    if (r.gateway && parseIp(r.gateway)!.family !== dest.family) {
      return `${path}.routes[${i}].gateway: gateway ${r.gateway} is not the same IP family as ${r.destination}`;
    }
  }
  return undefined;
}
