// `create`: a partly filled Network + what is already in use → the completed
// Network podman stores. Pure: the clock, randomness and the host's interface
// names come in through `deps`. Order of checks follows netavark's
// new_network() (nv:src/network/create_config/config.rs) so that the first
// error reported is the same one.
import type { CreateInputRaw } from '../../../schemas/create-input.js';
import type { Network } from '../../../schemas/network.js';
import { ConfigError } from '../../lib/errors.js';
import { parseNet, type Net } from './addr.js';
import { checkBridgeOptions, checkVlanOptions } from './options.js';
import { freeIpv4Subnet, freeIpv6Subnet, type SubnetPool } from './subnet-pool.js';
import { canonicalNet, toNetwork } from './syntax.js';
import {
  IPAM_DHCP,
  IPAM_HOST_LOCAL,
  IPAM_NONE,
  ipamDriver,
  validateDnsServers,
  validateInterfaceName,
  validateIpamDriver,
  validateNameId,
  validateRoutes,
  validateSubnet,
  validateSubnetsDistinct,
} from './validate.js';

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

export const BUILTIN_DRIVERS = ['bridge', 'macvlan', 'ipvlan'] as const;

export function isBuiltinDriver(driver: string): boolean {
  return (BUILTIN_DRIVERS as readonly string[]).includes(driver);
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

/** Checks every driver shares, before the driver-specific part (plugins included). */
export function checkCommon(req: CreateRequest): void {
  const n = req.network;
  validateNameId(n.name, n.id, req.used.names);
  if (n.network_interface !== undefined) validateInterfaceName(n.network_interface);
  validateIpamDriver(n);
}

/**
 * Completes a network for a builtin driver. Throws ConfigError with
 * netavark's message for the first rule broken; for a driver that is not
 * builtin it says `unknown network driver "x"` (plugins go through
 * finishNetwork after the plugin's own create).
 */
export function completeNetwork(req: CreateRequest, deps: CreateDeps): Network {
  checkCommon(req);
  let n: Network = { ...req.network };
  let checkUsed = false;
  switch (n.driver) {
    case 'bridge': {
      const r = checkBridgeOptions(n.options);
      if (r.options) n.options = r.options;
      if (r.networkInterface !== undefined) n.network_interface = r.networkInterface;
      checkUsed = r.checkUsed && req.options.checkUsedSubnets;
      n = completeBridge(n, req, deps, { checkUsed, checkBridgeConflict: r.checkBridgeConflict });
      break;
    }
    case 'macvlan':
    case 'ipvlan':
      n = completeVlan(n, n.driver, deps);
      break;
    default:
      throw unknownDriver(n.driver);
  }
  return finishNetwork(n, req, deps, checkUsed);
}

export function unknownDriver(driver: string): ConfigError {
  return new ConfigError(`unknown network driver ${JSON.stringify(driver)}`);
}

function hostNames(deps: CreateDeps): readonly string[] {
  return deps.hostInterfaces?.() ?? [];
}

/** `<prefix>N` for the lowest N ≥ 1 that is no host link, bridge in use or network name. */
export function freeDeviceName(prefix: string | undefined, taken: Iterable<string>): string {
  if (!prefix) throw new ConfigError('default interface name is not set (options.default_interface_name)');
  const names = new Set(taken);
  for (let i = 1; i < 1_000_000; i++) {
    if (!names.has(`${prefix}${i}`)) return `${prefix}${i}`;
  }
  throw new ConfigError('Could not find a free device name after 1,000,000 attempts');
}

const BRIDGE_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function completeBridge(
  n: Network,
  req: CreateRequest,
  deps: CreateDeps,
  o: { checkUsed: boolean; checkBridgeConflict: boolean },
): Network {
  if (n.network_interface !== undefined) {
    const name = n.network_interface;
    if (o.checkBridgeConflict && req.used.interfaces.includes(name)) throw new ConfigError(`bridge name ${name} already in use`);
    if (!BRIDGE_NAME_RE.test(name)) throw new ConfigError(`bridge name ${name} is invalid`);
    // the docker alias may have brought in a name the common check never saw
    validateInterfaceName(name);
  } else {
    n.network_interface = freeDeviceName(req.options.defaultInterfaceName, [
      ...hostNames(deps),
      ...req.used.interfaces,
      ...Object.keys(req.used.names),
    ]);
    // the prefix comes from the engine's configuration: a bad one must not make a bad name
    if (!BRIDGE_NAME_RE.test(n.network_interface)) {
      throw new ConfigError(`options.default_interface_name: bridge name ${n.network_interface} is invalid`);
    }
    validateInterfaceName(n.network_interface);
  }

  const ipam = ipamDriver(n);
  if (ipam === IPAM_DHCP) {
    // only an existing bridge can have a DHCP server behind it; say so now rather than at setup
    if (n.options?.['mode'] !== 'unmanaged') {
      throw new ConfigError('cannot use dhcp ipam driver without using the option mode=unmanaged');
    }
    if ((n.subnets?.length ?? 0) > 0) throw new ConfigError('ipam driver dhcp set but subnets are set');
    return n;
  }
  if (ipam !== undefined && ipam !== IPAM_HOST_LOCAL) return n;

  const subnets = [...(n.subnets ?? [])];
  if (subnets.length === 0) subnets.push({ subnet: freeIpv4Subnet(req.options.subnetPools, req.used.subnets, o.checkUsed) });
  if (n.ipv6_enabled) {
    const families = new Set(subnets.map((s) => parseNet(s.subnet)!.family));
    if (!families.has(4)) subnets.push({ subnet: freeIpv4Subnet(req.options.subnetPools, req.used.subnets, o.checkUsed) });
    if (!families.has(6)) subnets.push({ subnet: freeIpv6Subnet(req.used.subnets, deps.random) });
  }
  n.subnets = subnets;
  n.ipam_options = { ...n.ipam_options, driver: IPAM_HOST_LOCAL };
  return n;
}

function completeVlan(n: Network, driver: 'macvlan' | 'ipvlan', deps: CreateDeps): Network {
  if (n.network_interface !== undefined) {
    const links = deps.hostInterfaces?.();
    if (links && !links.includes(n.network_interface)) {
      throw new ConfigError(`parent interface ${n.network_interface} does not exist`);
    }
  }
  // our DNS server does not serve macvlan/ipvlan networks (nor does aardvark, netavark#467)
  n.dns_enabled = false;
  const subnets = n.subnets?.length ?? 0;
  const ipam = ipamDriver(n) ?? '';
  if (ipam === '') {
    if (subnets === 0) {
      if (driver === 'ipvlan') throw new ConfigError('ipam driver dhcp is not supported with ipvlan');
      n.ipam_options = { ...n.ipam_options, driver: IPAM_DHCP };
    } else {
      n.ipam_options = { ...n.ipam_options, driver: IPAM_HOST_LOCAL };
    }
  } else if (ipam === IPAM_HOST_LOCAL) {
    if (subnets === 0) {
      throw new ConfigError(`${driver} driver needs at least one subnet specified when the host-local ipam driver is set`);
    }
  } else if (ipam === IPAM_DHCP) {
    if (driver === 'ipvlan') throw new ConfigError('ipam driver dhcp is not supported with ipvlan');
    if (subnets > 0) throw new ConfigError('ipam driver dhcp set but subnets are set');
  }
  const options = checkVlanOptions(driver, n.options);
  if (options) n.options = options;
  return n;
}

/**
 * The part after the driver (builtin or plugin): DNS off without IPAM, DNS
 * servers need DNS, subnets checked and given gateways, routes checked,
 * `created` stamped.
 */
export function finishNetwork(network: Network, req: CreateRequest, deps: CreateDeps, checkUsed: boolean): Network {
  const n: Network = { ...network };
  if (ipamDriver(n) === IPAM_NONE) n.dns_enabled = false;
  validateDnsServers(n);
  // an internal network without DNS has nothing on the bridge that needs an address
  const addGateway = !n.internal || n.dns_enabled;
  if (n.subnets) {
    validateSubnetsDistinct(n.subnets);
    n.subnets = n.subnets.map((s) => validateSubnet(s, { addGateway, checkUsed, used: req.used.subnets }));
    if (n.subnets.some((s) => parseNet(s.subnet)!.family === 6)) n.ipv6_enabled = true;
  }
  validateRoutes(n);
  n.created = deps.now().toISOString();
  return n;
}
