// The `create` input after its syntax checks, and the host facts completion
// may use: what core's create orchestration and every driver's create share.
import type { CreateInputRaw } from '../../schemas/create-input.js';
import type { Network } from '../../schemas/network.js';
import { parseNet, type Net } from './addr.js';
import type { SubnetPool } from './subnet-pool.js';
import { canonicalNet, toNetwork } from './syntax.js';

export interface CreateDeps {
  now(): Date;
  /** n cryptographically random bytes */
  random(n: number): Uint8Array;
  /** names of the host's links; undefined when they cannot be read (then only `used` counts) */
  hostInterfaces?(): readonly string[] | undefined;
}

/** The create input after syntax checks: addresses canonical, nulls gone. */
export interface CreateRequest {
  network: Network;
  used: { interfaces: string[]; names: Record<string, string>; subnets: Net[] };
  options: { subnetPools: SubnetPool[]; defaultInterfaceName: string | undefined; checkUsedSubnets: boolean };
}

/** Shape-checked JSON → request; address syntax errors name the field. */
export function toRequest(raw: CreateInputRaw): CreateRequest {
  const used = raw.used ?? {};
  const opts = raw.options ?? {};
  return {
    network: toNetwork(raw.network),
    used: {
      interfaces: used.interfaces ?? [],
      names: used.names ?? {},
      subnets: (used.subnets ?? []).map((s, i) => parseNet(canonicalNet(s, `used.subnets[${i}]`))!),
    },
    options: {
      subnetPools: opts.subnet_pools ?? [],
      defaultInterfaceName: opts.default_interface_name || undefined,
      checkUsedSubnets: opts.check_used_subnets ?? false,
    },
  };
}
