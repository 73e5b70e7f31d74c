// The bridge driver's part of `create` (netavark's bridge create): docker
// aliases and options checked, the bridge named, subnets picked from the pools.
// Pure: the host's links and randomness come in through `deps`.
import type { Network } from '../../schemas/network.js';
import { ConfigError } from '../lib/errors.js';
import { parseIp, parseNet } from '../network/addr.js';
import { optionInt } from '../network/int.js';
import { noDefaultRoute, normaliseBool } from '../network/options.js';
import type { CreateDeps, CreateRequest } from '../network/request.js';
import { freeIpv4Subnet, freeIpv6Subnet } from '../network/subnet-pool.js';
import { IPAM_DHCP, IPAM_HOST_LOCAL, ipamDriver, validateInterfaceName } from '../network/validate.js';
import type { CreateResult } from './driver.js';

export const BRIDGE_MODES = ['managed', 'unmanaged'] as const;

function outboundAddr(key: string, value: string, family: 4 | 6): void {
  const ip = parseIp(value);
  if (!ip || ip.family !== family) {
    throw new ConfigError(`unable to parse "${key}": ${JSON.stringify(value)} is not an IPv${family} address`);
  }
}

export interface BridgeOptionResult {
  options: Record<string, string> | undefined;
  /** docker's com.docker.network.bridge.name, which names the bridge */
  networkInterface: string | undefined;
  /** vlan and unmanaged bridges share subnets and bridge names on purpose */
  checkUsed: boolean;
  checkBridgeConflict: boolean;
}

/**
 * Rewrites docker aliases, checks every bridge option and normalises
 * isolate/no_default_route. Unknown keys are errors, as in netavark.
 * outbound_addr4/6 are accepted (netavark's create rejects them, a quirk).
 */
export function checkBridgeOptions(input: Readonly<Record<string, string>> | undefined): BridgeOptionResult {
  if (!input) return { options: undefined, networkInterface: undefined, checkUsed: true, checkBridgeConflict: true };
  const options: Record<string, string> = {};
  let networkInterface: string | undefined;
  for (const [key, value] of Object.entries(input)) {
    if (key === 'com.docker.network.driver.mtu') options['mtu'] = value;
    else if (key === 'com.docker.network.bridge.name') networkInterface = value;
    else options[key] = value;
  }
  let checkUsed = true;
  let checkBridgeConflict = true;
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case 'mtu':
        // empty means "use the default", as podman stores it
        if (value !== '') optionInt(key, value);
        break;
      case 'metric':
        optionInt(key, value);
        break;
      case 'vlan': {
        const vlan = optionInt(key, value);
        if (vlan > 4094) throw new ConfigError(`invalid vlan ${vlan}: vlan must be between 0 and 4094`);
        checkUsed = false;
        checkBridgeConflict = false;
        break;
      }
      case 'isolate': {
        const v = value === 'strict' ? 'strict' : normaliseBool(value);
        if (v === undefined) throw new ConfigError(`failed to parse isolate option ${value} (use strict, true or false)`);
        options[key] = v;
        break;
      }
      case 'no_default_route':
        options[key] = noDefaultRoute(value);
        break;
      case 'vrf':
        if (value === '') throw new ConfigError('invalid vrf name: must not be empty');
        break;
      case 'mode':
        if (!(BRIDGE_MODES as readonly string[]).includes(value)) {
          throw new ConfigError(`unknown bridge mode ${JSON.stringify(value)} (use managed or unmanaged)`);
        }
        if (value === 'unmanaged') {
          checkUsed = false;
          checkBridgeConflict = false;
        }
        break;
      case 'outbound_addr4':
        outboundAddr(key, value, 4);
        break;
      case 'outbound_addr6':
        outboundAddr(key, value, 6);
        break;
      default:
        throw new ConfigError(`unsupported bridge network option ${key}`);
    }
  }
  return { options, networkInterface, checkUsed, checkBridgeConflict };
}

/** Completes a bridge network; its subnets are checked against those in use unless options say they are shared. */
export function createBridge(network: Network, req: CreateRequest, deps: CreateDeps): CreateResult {
  let n = network;
  const r = checkBridgeOptions(n.options);
  if (r.options) n.options = r.options;
  if (r.networkInterface !== undefined) n.network_interface = r.networkInterface;
  const checkUsed = r.checkUsed && req.options.checkUsedSubnets;
  n = completeBridge(n, req, deps, { checkUsed, checkBridgeConflict: r.checkBridgeConflict });
  return { network: n, checkUsed };
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
