// `create` stdin: {"network", "used", "options"} as podman 6
// sends it (nv:docs/netavark-create-input.md). This schema checks shapes only;
// address syntax and the netavark rules live in src/network/ and src/drivers/*-create.ts.
// Go sends `omitempty` fields absent and nil maps/slices as null: both mean unset.
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import './zod-locale.js';
import { checkValue, parseJson, type Parsed } from './parse.js';

const stringMap = z.nullish(z.record(z.string(), z.string()));

export const createSubnetSchema = z.object({
  subnet: z.string(),
  gateway: z.nullish(z.string()),
  lease_range: z.nullish(z.object({ start_ip: z.nullish(z.string()), end_ip: z.nullish(z.string()) })),
});

export const createRouteSchema = z.object({
  destination: z.string(),
  gateway: z.nullish(z.string()),
  metric: z.nullish(z.int().check(z.minimum(0), z.maximum(4294967295))),
  route_type: z.nullish(z.string()),
});

/** The network as podman fills it in before asking us to complete it. Unknown fields are dropped. */
export const createNetworkSchema = z.object({
  name: z.string(),
  id: z.string(),
  driver: z.string(),
  network_interface: z.nullish(z.string()),
  created: z.nullish(z.string()),
  subnets: z.nullish(z.array(createSubnetSchema)),
  routes: z.nullish(z.array(createRouteSchema)),
  ipv6_enabled: z._default(z.boolean(), false),
  internal: z._default(z.boolean(), false),
  dns_enabled: z._default(z.boolean(), false),
  network_dns_servers: z.nullish(z.array(z.string())),
  labels: stringMap,
  options: stringMap,
  ipam_options: stringMap,
});

export const subnetPoolSchema = z.object({
  base: z.string(),
  size: z.int().check(z.minimum(0), z.maximum(128)),
});

export const createInputSchema = z.object({
  network: createNetworkSchema,
  used: z.nullish(
    z.object({
      interfaces: z.nullish(z.array(z.string())),
      names: z.nullish(z.record(z.string(), z.string())),
      subnets: z.nullish(z.array(z.string())),
    }),
  ),
  options: z.nullish(
    z.object({
      subnet_pools: z.nullish(z.array(subnetPoolSchema)),
      default_interface_name: z.nullish(z.string()),
      check_used_subnets: z.nullish(z.boolean()),
    }),
  ),
});

export type CreateNetworkInput = z.infer<typeof createNetworkSchema>;
export type CreateInputRaw = z.infer<typeof createInputSchema>;

/** JSON text → shape-checked input; errors name the field, e.g. `network.subnets[0].subnet: expected string`. */
export function parseCreateInput(text: string): Parsed<CreateInputRaw> {
  return parseJson(createInputSchema, text);
}

/** The plugin `create` answer: a whole Network, shape-checked the same way. */
export function parsePluginNetwork(json: unknown): Parsed<CreateNetworkInput> {
  return checkValue(createNetworkSchema, json);
}
