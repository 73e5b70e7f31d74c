// The macvlan/ipvlan driver's part of `create` (netavark's vlan create): the
// parent must exist, DNS is off, IPAM defaults to dhcp (macvlan) or host-local.
import type { Network } from '../../schemas/network.js';
import { ConfigError } from '../lib/errors.js';
import { optionInt } from '../network/int.js';
import { noDefaultRoute } from '../network/options.js';
import type { CreateDeps } from '../network/request.js';
import { IPAM_DHCP, IPAM_HOST_LOCAL, ipamDriver } from '../network/validate.js';
import type { CreateResult } from './driver.js';

export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru', 'source'] as const;
export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;

/** Completes a macvlan or ipvlan network; its subnets are never checked against those in use. */
export function createVlan(network: Network, deps: CreateDeps): CreateResult {
  const driver = network.driver;
  if (driver !== 'macvlan' && driver !== 'ipvlan') throw new ConfigError(`createVlan: unsupported VLAN type ${driver}`);
  return { network: completeVlan(network, driver, deps), checkUsed: false };
}

/** macvlan/ipvlan options: mode, metric, mtu, no_default_route, and bclim for macvlan only. */
export function checkVlanOptions(driver: 'macvlan' | 'ipvlan', input: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (!input) return undefined;
  const options = { ...input };
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case 'mode': {
        const modes: readonly string[] = driver === 'macvlan' ? MACVLAN_MODES : IPVLAN_MODES;
        if (value !== '' && !modes.includes(value)) {
          throw new ConfigError(`invalid ${driver} mode ${JSON.stringify(value)} (use ${modes.join(', ')})`);
        }
        break;
      }
      case 'metric':
        optionInt(key, value);
        break;
      case 'mtu':
        if (value !== '') optionInt(key, value);
        break;
      case 'no_default_route':
        options[key] = noDefaultRoute(value);
        break;
      case 'bclim':
        if (driver !== 'macvlan') throw new ConfigError(`unsupported ${driver} network option ${key}`);
        optionInt(key, value, true);
        break;
      default:
        throw new ConfigError(`unsupported ${driver} network option ${key}`);
    }
  }
  return options;
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
