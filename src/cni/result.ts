// CNI results: parsing (what an IPAM plugin prints, prevResult) and rendering
// in the format of the configuration's version. 0.3.x/0.4.0 results tag every
// IP with "version"; 1.x results do not. Everything else is the same shape.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { parseCidr, parseIp, parseMac } from '../../schemas/ip.js';
import { formatPath } from '../../schemas/parse.js';
import { usesLegacyResult } from './version.js';

const ip = z.string().check(z.refine((s) => parseIp(s) !== undefined, { error: (i) => `"${String(i.input)}" is not an IP address` }));
const cidr = z.string().check(z.refine((s) => parseCidr(s) !== undefined, { error: (i) => `"${String(i.input)}" is not an address/prefix` }));
const strings = z.optional(z.array(z.string()));

export const dnsSchema = z.looseObject({
  nameservers: strings,
  domain: z.optional(z.string()),
  search: strings,
  options: strings,
});

export const interfaceSchema = z.looseObject({
  name: z.string(),
  mac: z.optional(z.string()),
  mtu: z.optional(z.int()),
  sandbox: z.optional(z.string()),
});

export const ipConfigSchema = z.looseObject({
  version: z.optional(z.enum(['4', '6'])),
  address: cidr,
  gateway: z.optional(ip),
  interface: z.optional(z.int().check(z.minimum(0))),
});

export const routeSchema = z.looseObject({
  dst: cidr,
  gw: z.optional(ip),
  priority: z.optional(z.int().check(z.minimum(0))),
});

export const resultSchema = z.looseObject({
  cniVersion: z.optional(z.string()),
  interfaces: z.optional(z.array(interfaceSchema)),
  ips: z.optional(z.array(ipConfigSchema)),
  routes: z.optional(z.array(routeSchema)),
  dns: z.optional(dnsSchema),
});

export type Dns = z.infer<typeof dnsSchema>;
export type CniInterface = z.infer<typeof interfaceSchema>;
export type CniRoute = z.infer<typeof routeSchema>;

/** One address in canonical form: "10.22.0.5/24" → ip 10.22.0.5, prefix 24, subnet 10.22.0.0/24. */
export interface ResultIp {
  family: 4 | 6;
  ip: string;
  prefix: number;
  subnet: string;
  gateway: string | undefined;
  interface: number | undefined;
}

export interface Result {
  interfaces: CniInterface[];
  ips: ResultIp[];
  routes: CniRoute[];
  dns: Dns | undefined;
}

export function toResultIp(address: string, gateway: string | undefined, iface: number | undefined): ResultIp {
  const c = parseCidr(address)!;
  const addr = parseIp(address.slice(0, address.indexOf('/')))!;
  return { family: c.family, ip: addr.address, prefix: c.prefix, subnet: c.text, gateway: gateway ? parseIp(gateway)!.address : undefined, interface: iface };
}

/** Validates a result object; the error names the field ("ips[0].address: ..."). */
export function parseResult(raw: unknown): { ok: true; value: Result } | { ok: false; error: string } {
  const r = resultSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, error: `${formatPath(i.path)}: ${i.message}` };
  }
  const d = r.data;
  return {
    ok: true,
    value: {
      interfaces: (d.interfaces ?? []).map((i) => ({ ...i, ...(i.mac && parseMac(i.mac) ? { mac: parseMac(i.mac) } : {}) })),
      ips: (d.ips ?? []).map((x) => toResultIp(x.address, x.gateway, x.interface)),
      routes: (d.routes ?? []).map((x) => ({ ...x, dst: parseCidr(x.dst)!.text, ...(x.gw ? { gw: parseIp(x.gw)!.address } : {}) })),
      dns: d.dns,
    },
  };
}

function hasDns(d: Dns | undefined): d is Dns {
  return !!d && ((d.nameservers?.length ?? 0) > 0 || !!d.domain || (d.search?.length ?? 0) > 0 || (d.options?.length ?? 0) > 0);
}

/** The result as JSON for `cniVersion`; empty lists and DNS are left out as libcni does. */
export function renderResult(r: Result, cniVersion: string): Record<string, unknown> {
  const legacy = usesLegacyResult(cniVersion);
  const out: Record<string, unknown> = { cniVersion };
  if (r.interfaces.length > 0) {
    out.interfaces = r.interfaces.map((i) => ({ name: i.name, ...(i.mac ? { mac: i.mac } : {}), ...(i.mtu ? { mtu: i.mtu } : {}), ...(i.sandbox ? { sandbox: i.sandbox } : {}) }));
  }
  if (r.ips.length > 0) {
    out.ips = r.ips.map((x) => ({
      ...(legacy ? { version: String(x.family) } : {}),
      ...(x.interface !== undefined ? { interface: x.interface } : {}),
      address: `${x.ip}/${x.prefix}`,
      ...(x.gateway ? { gateway: x.gateway } : {}),
    }));
  }
  if (r.routes.length > 0) out.routes = r.routes.map((x) => ({ dst: x.dst, ...(x.gw ? { gw: x.gw } : {}), ...(x.priority !== undefined ? { priority: x.priority } : {}) }));
  out.dns = hasDns(r.dns) ? r.dns : {};
  return out;
}

/**
 * Appends this plugin's part to a previous plugin's result (chaining): our
 * interfaces come after theirs, so our IPs' interface indexes move up.
 */
export function mergeResults(prev: Result, ours: Result): Result {
  const shift = prev.interfaces.length;
  return {
    interfaces: [...prev.interfaces, ...ours.interfaces],
    ips: [...prev.ips, ...ours.ips.map((x) => ({ ...x, interface: x.interface === undefined ? undefined : x.interface + shift }))],
    routes: [...prev.routes, ...ours.routes.filter((r) => !prev.routes.some((p) => p.dst === r.dst && p.gw === r.gw))],
    dns: hasDns(ours.dns) ? ours.dns : prev.dns,
  };
}

export { hasDns };
