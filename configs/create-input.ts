// `create` stdin (contract §1.12): {"network", "used", "options"} as podman 6
// sends it (nv:docs/netavark-create-input.md). This schema checks shapes only;
// address syntax and the netavark rules live in src/core/create/.
// Go sends `omitempty` fields absent and nil maps/slices as null: both mean unset.
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string()).nullish();

export const createSubnetSchema = z.object({
  subnet: z.string(),
  gateway: z.string().nullish(),
  lease_range: z.object({ start_ip: z.string().nullish(), end_ip: z.string().nullish() }).nullish(),
});

export const createRouteSchema = z.object({
  destination: z.string(),
  gateway: z.string().nullish(),
  metric: z.number().int().min(0).max(4294967295).nullish(),
  route_type: z.string().nullish(),
});

/** The network as podman fills it in before asking us to complete it. Unknown fields are dropped. */
export const createNetworkSchema = z.object({
  name: z.string(),
  id: z.string(),
  driver: z.string(),
  network_interface: z.string().nullish(),
  created: z.string().nullish(),
  subnets: z.array(createSubnetSchema).nullish(),
  routes: z.array(createRouteSchema).nullish(),
  ipv6_enabled: z.boolean().default(false),
  internal: z.boolean().default(false),
  dns_enabled: z.boolean().default(false),
  network_dns_servers: z.array(z.string()).nullish(),
  labels: stringMap,
  options: stringMap,
  ipam_options: stringMap,
});

export const subnetPoolSchema = z.object({
  base: z.string(),
  size: z.number().int().min(0).max(128),
});

export const createInputSchema = z.object({
  network: createNetworkSchema,
  used: z
    .object({
      interfaces: z.array(z.string()).nullish(),
      names: z.record(z.string(), z.string()).nullish(),
      subnets: z.array(z.string()).nullish(),
    })
    .nullish(),
  options: z
    .object({
      subnet_pools: z.array(subnetPoolSchema).nullish(),
      default_interface_name: z.string().nullish(),
      check_used_subnets: z.boolean().nullish(),
    })
    .nullish(),
});

export type CreateNetworkInput = z.infer<typeof createNetworkSchema>;
export type CreateInputRaw = z.infer<typeof createInputSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function formatIssue(err: z.ZodError): string {
  const issue = err.issues[0]!;
  const where = formatPath(issue.path);
  // zod does not keep the input on issues by default; its text says "received undefined"
  const msg = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'missing field' : issue.message;
  return where ? `${where}: ${msg}` : msg;
}

/** JSON text → shape-checked input; errors name the field, e.g. `network.subnets[0].subnet: expected string`. */
export function parseCreateInput(text: string): ParseResult<CreateInputRaw> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `JSON Decoding error: ${(e as Error).message}` };
  }
  const r = createInputSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: formatIssue(r.error) };
}

/** The plugin `create` answer: a whole Network, shape-checked the same way. */
export function parsePluginNetwork(json: unknown): ParseResult<CreateNetworkInput> {
  const r = createNetworkSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: formatIssue(r.error) };
}
