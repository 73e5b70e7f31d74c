// Driver option checks for `create` (netavark's driver options). Values
// are strings; a few are normalised the way podman ≤5 did it in Go so that
// setup only ever sees "true"/"false".
import { ConfigError } from '../../lib/errors.js';
import { optionInt } from './int.js';
import { parseIp } from './addr.js';

export const BRIDGE_MODES = ['managed', 'unmanaged'] as const;
export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru', 'source'] as const;
export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;

/** "", "0", "1", "true", "false" → "true" | "false" (Go's ParseBool subset podman passes). */
function normaliseBool(value: string): string | undefined {
  if (value === '' || value === '0' || value === 'false') return 'false';
  if (value === '1' || value === 'true') return 'true';
  return undefined;
}

function noDefaultRoute(value: string): string {
  const v = normaliseBool(value);
  if (v === undefined) throw new ConfigError(`invalid no_default_route value ${value}`);
  return v;
}

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
