// The network configuration on stdin: the keys of the reference `bridge`
// plugin, Skiff's extras (isolate, clusterCIDR, stateDir) and the runtime's
// parts (runtimeConfig, prevResult, GC's attachment list). Unknown keys are
// kept: IPAM and chained plugins read the same object.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { formatIssue } from '../../schemas/parse.js';
import { parseCidr, parseIp, parseMac } from '../../schemas/ip.js';
import { CniCode, CniError } from './errors.js';
import { dnsSchema, parseResult, type Dns, type Result } from './result.js';
import { isSupported, SUPPORTED_VERSIONS, type CniVersion } from './version.js';
import type { PortMapping } from '../../schemas/port-mapping.js';
import type { Isolation } from '../../firewall/firewall.js';

const IFNAMSIZ = 15;
const ifName = z.string().check(
  z.refine((s) => s.length > 0 && s.length <= IFNAMSIZ && !/[\s/:]/.test(s) && s !== '.' && s !== '..', {
    error: (i) => `${JSON.stringify(i.input)} is not a valid interface name (1-${IFNAMSIZ} characters, no / : or spaces)`,
  }),
);
const cidr = z.string().check(z.refine((s) => parseCidr(s) !== undefined, { error: (i) => `"${String(i.input)}" is not a valid CIDR` }));
const ipText = z.string().check(z.refine((s) => parseIp(s) !== undefined, { error: (i) => `"${String(i.input)}" is not an IP address` }));
const port = z.int().check(z.minimum(1), z.maximum(65535));

const portMappingSchema = z.looseObject({
  hostPort: port,
  containerPort: port,
  protocol: z._default(z.enum(['tcp', 'udp', 'sctp', 'TCP', 'UDP', 'SCTP']), 'tcp'),
  hostIP: z.optional(z.union([z.literal(''), ipText])),
});

const attachmentSchema = z.looseObject({ containerID: z.string(), ifname: z.string() });

export const netConfSchema = z.looseObject({
  cniVersion: z.string(),
  name: z.string().check(z.minLength(1, { error: 'must not be empty' })),
  type: z.string(),
  bridge: z._default(ifName, 'cni0'),
  isGateway: z._default(z.boolean(), false),
  isDefaultGateway: z._default(z.boolean(), false),
  forceAddress: z._default(z.boolean(), false),
  ipMasq: z._default(z.boolean(), false),
  mtu: z.optional(z.int().check(z.minimum(0), z.maximum(65535))),
  hairpinMode: z._default(z.boolean(), false),
  promiscMode: z._default(z.boolean(), false),
  vlan: z.optional(z.int().check(z.minimum(0), z.maximum(4094))),
  macspoofchk: z._default(z.boolean(), false),
  ipam: z.optional(z.looseObject({ type: z.optional(z.string()) })),
  dns: z.optional(dnsSchema),
  // Skiff extras
  isolate: z._default(z.union([z.boolean(), z.enum(['strict', 'true', 'false'])]), false),
  clusterCIDR: z.optional(z.union([cidr, z.array(cidr)])),
  dnsAliases: z._default(z.union([z.boolean(), z.array(z.string())]), false),
  stateDir: z.optional(z.string().check(z.refine((s) => s.startsWith('/'), { error: 'must be an absolute path' }))),
  runtimeConfig: z.optional(
    z.looseObject({
      portMappings: z.optional(z.array(portMappingSchema)),
      mac: z.optional(z.string().check(z.refine((s) => parseMac(s) !== undefined, { error: (i) => `"${String(i.input)}" is not a MAC address` }))),
      dns: z.optional(dnsSchema),
      aliases: z.optional(z.record(z.string(), z.array(z.string()))),
    }),
  ),
  prevResult: z.optional(z.unknown()),
  'cni.dev/valid-attachments': z.optional(z.array(attachmentSchema)),
  'cni.dev/attachments': z.optional(z.array(attachmentSchema)),
});

export interface NetConf {
  cniVersion: CniVersion;
  name: string;
  type: string;
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  mtu: number | undefined;
  hairpinMode: boolean;
  promiscMode: boolean;
  vlan: number | undefined;
  macspoofchk: boolean;
  /** the IPAM plugin to delegate to; undefined: no addresses (L2 only) */
  ipamType: string | undefined;
  /** IPAM config subnets known up front (host-local `subnet`/`ranges`), canonical */
  ipamSubnets: string[];
  dns: Dns | undefined;
  isolate: Isolation;
  clusterCidrs: string[];
  stateDir: string | undefined;
  /** serve this container's names through skiff-dns on the gateways (replaces the dnsname plugin) */
  dnsAliases: boolean;
  /** extra names: dnsAliases as a list, then runtimeConfig.aliases of this network */
  aliases: string[];
  portMappings: PortMapping[];
  mac: string | undefined;
  runtimeDns: Dns | undefined;
  prevResult: Result | undefined;
  /** GC: attachments to keep, as "containerID/ifname"; undefined when the key is absent */
  validAttachments: Set<string> | undefined;
}

export const attachmentKey = (containerId: string, ifName: string): string => `${containerId}/${ifName}`;

function configError(msg: string): CniError {
  return new CniError(CniCode.InvalidConfig, msg);
}

/** The cniVersion of whatever text came in, for error replies; '1.1.0' when unreadable. */
export function peekVersion(text: string): string {
  try {
    const v = (JSON.parse(text) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && v !== '' ? v : '1.1.0';
  } catch {
    return '1.1.0';
  }
}

/** host-local's `subnet` or `ranges[][].subnet`: known before any address is handed out. */
function ipamSubnets(ipam: Record<string, unknown> | undefined): string[] {
  if (!ipam) return [];
  const out: string[] = [];
  const add = (s: unknown) => {
    const c = typeof s === 'string' ? parseCidr(s) : undefined;
    if (c && !out.includes(c.text)) out.push(c.text);
  };
  add(ipam['subnet']);
  const ranges = ipam['ranges'];
  if (Array.isArray(ranges)) for (const set of ranges) if (Array.isArray(set)) for (const r of set) add((r as { subnet?: unknown })?.subnet);
  return out;
}

/**
 * Parses stdin. Errors: 6 for text that is not JSON, 1 for an unsupported
 * cniVersion, 7 for anything else wrong, each naming the field.
 */
export function parseNetConf(text: string): NetConf {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CniError(CniCode.DecodingFailure, `network configuration is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CniError(CniCode.DecodingFailure, 'network configuration must be a JSON object');
  const v = (json as { cniVersion?: unknown }).cniVersion;
  if (typeof v === 'string' && !isSupported(v)) {
    throw new CniError(CniCode.IncompatibleVersion, `incompatible CNI versions: config is "${v}", skiff supports ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  // reportInput: only a field that is absent reads "missing field", not one of the wrong type
  const r = netConfSchema.safeParse(json, { reportInput: true });
  if (!r.success) throw configError(formatIssue(r.error.issues[0]!));
  const c = r.data;
  let prevResult: Result | undefined;
  if (c.prevResult !== undefined && c.prevResult !== null) {
    const p = parseResult(c.prevResult);
    if (!p.ok) throw configError(`prevResult.${p.error}`);
    prevResult = p.value;
  }
  const gcList = c['cni.dev/valid-attachments'] ?? c['cni.dev/attachments'];
  const isolate: Isolation = c.isolate === true ? 'true' : c.isolate === false ? 'false' : c.isolate;
  if (c.isDefaultGateway && !c.isGateway) c.isGateway = true; // as the reference plugin: a default gateway is a gateway
  return {
    cniVersion: c.cniVersion as CniVersion,
    name: c.name,
    type: c.type,
    bridge: c.bridge,
    isGateway: c.isGateway,
    isDefaultGateway: c.isDefaultGateway,
    forceAddress: c.forceAddress,
    ipMasq: c.ipMasq,
    mtu: c.mtu || undefined,
    hairpinMode: c.hairpinMode,
    promiscMode: c.promiscMode,
    vlan: c.vlan || undefined,
    macspoofchk: c.macspoofchk,
    ipamType: c.ipam?.type || undefined,
    ipamSubnets: ipamSubnets(c.ipam),
    dns: c.dns,
    isolate,
    clusterCidrs: (typeof c.clusterCIDR === 'string' ? [c.clusterCIDR] : (c.clusterCIDR ?? [])).map((s) => parseCidr(s)!.text),
    stateDir: c.stateDir,
    dnsAliases: c.dnsAliases !== false,
    aliases: [...(Array.isArray(c.dnsAliases) ? c.dnsAliases : []), ...(c.runtimeConfig?.aliases?.[c.name] ?? [])],
    portMappings: (c.runtimeConfig?.portMappings ?? []).map((m) => ({
      host_ip: m.hostIP ?? '',
      host_port: m.hostPort,
      container_port: m.containerPort,
      range: 1,
      protocol: m.protocol.toLowerCase(),
    })),
    mac: c.runtimeConfig?.mac ? parseMac(c.runtimeConfig.mac) : undefined,
    runtimeDns: c.runtimeConfig?.dns,
    prevResult,
    validAttachments: gcList ? new Set(gcList.map((a) => attachmentKey(a.containerID, a.ifname))) : undefined,
  };
}
