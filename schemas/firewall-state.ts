// Firewall state files under <config>/firewall/ (root mode only). Each file is
// the driver's input for one network or one container on one network, so
// `firewall-reload` can replay it after a flush, and teardown removes exactly
// what setup added even when the caller's view has changed.
//   firewall-driver                                   text: the driver that wrote the state
//   networks/<network_id>.json                        SavedNetwork
//   ports/<network_id>_<container_id>.json            SavedPorts
// Files are per network / per container so concurrent setups never rewrite
// each other's data. netavark's own files (no .json suffix) are ignored.
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import './zod-locale.js';
import { portMappingSchema } from './port-mapping.js';
import { formatPath } from './parse.js';

export const STATE_VERSION = 1;

const nonEmpty = () => z.string().check(z.minLength(1));

export const savedNetworkSchema = z.object({
  networkId: nonEmpty(),
  networkName: nonEmpty(),
  bridge: nonEmpty(),
  subnets: z.array(z.string()),
  gateways: z.array(z.string()),
  isolate: z.enum(['strict', 'true', 'false']),
  internal: z.boolean(),
  dnsPort: z.int().check(z.minimum(1), z.maximum(65535)),
  dnsEnabled: z.boolean(),
  outboundAddr4: z.optional(z.string()),
  outboundAddr6: z.optional(z.string()),
  masquerade: z.optional(z.boolean()),
  noNatDestinations: z.optional(z.array(z.string())),
});

export const savedPortsSchema = z.object({
  containerId: nonEmpty(),
  network: savedNetworkSchema,
  containerIpV4: z.optional(z.string()),
  containerIpV6: z.optional(z.string()),
  portMappings: z.array(portMappingSchema),
});

const fileSchema = <T extends z.ZodMiniType>(kind: string, body: T) =>
  z.object({ version: z.literal(STATE_VERSION), kind: z.literal(kind), data: body });

export const networkFileSchema = fileSchema('network', savedNetworkSchema);
export const portsFileSchema = fileSchema('ports', savedPortsSchema);

export type SavedNetwork = z.infer<typeof savedNetworkSchema>;
export type SavedPorts = z.infer<typeof savedPortsSchema>;

export function serializeNetwork(n: SavedNetwork): string {
  return JSON.stringify({ version: STATE_VERSION, kind: 'network', data: n }, null, 1) + '\n';
}

export function serializePorts(p: SavedPorts): string {
  return JSON.stringify({ version: STATE_VERSION, kind: 'ports', data: p }, null, 1) + '\n';
}

/** Parses a state file's text; the error names the file and the first bad field. */
export function parseStateFile<T>(schema: z.ZodMiniType<{ data: T }>, text: string, path: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue && issue.path.length > 0 ? formatPath(issue.path) : '(root)';
    throw new Error(`${path}: ${at}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data.data;
}

/** File names: ids are hex from podman, but never trust a name to stay inside the directory. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export const networkFileName = (networkId: string): string => `${safeName(networkId)}.json`;
export const portsFileName = (networkId: string, containerId: string): string =>
  `${safeName(networkId)}_${safeName(containerId)}.json`;
