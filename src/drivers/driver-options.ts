// Network.options values arrive as strings; each is parsed here with an error
// that names `network_info.<net>.options.<key>` and the accepted values.
import { ConfigError } from '../lib/errors.js';
import { parseIp } from '../../schemas/ip.js';
import type { Isolation } from '../../firewall/firewall.js';

export interface BridgeOptions {
  mtu: number | undefined;
  metric: number;
  noDefaultRoute: boolean;
  isolate: Isolation;
  mode: 'managed' | 'unmanaged';
  vrf: string | undefined;
  vlan: number | undefined;
  outboundAddr4: string | undefined;
  outboundAddr6: string | undefined;
}

const BRIDGE_KEYS = new Set(['mtu', 'metric', 'no_default_route', 'isolate', 'mode', 'vrf', 'vlan', 'outbound_addr4', 'outbound_addr6']);

export class OptionReader {
  constructor(
    private readonly options: Record<string, string>,
    private readonly path: string,
  ) {}

  private fail(key: string, value: string, expected: string): never {
    throw new ConfigError(`${this.path}.options.${key}: invalid value ${JSON.stringify(value)}, expected ${expected}`);
  }

  uint(key: string, max = 4294967295): number | undefined {
    const v = this.options[key];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v) || Number(v) > max) this.fail(key, v, `an integer from 0 to ${max}`);
    return Number(v);
  }

  int(key: string, min: number, max: number): number | undefined {
    const v = this.options[key];
    if (v === undefined || v === '') return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) this.fail(key, v, `an integer from ${min} to ${max}`);
    return Number(v);
  }

  /** "true"/"false", and "1"/"0" which podman ≤5 stores too. */
  bool(key: string): boolean {
    const v = this.options[key];
    if (v === undefined || v === '') return false;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return this.fail(key, v, '"true" or "false"');
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const v = this.options[key];
    if (v === undefined || v === '') return fallback;
    if (!(values as readonly string[]).includes(v)) this.fail(key, v, values.map((x) => `"${x}"`).join(', '));
    return v as T;
  }

  ip(key: string, family: 4 | 6): string | undefined {
    const v = this.options[key];
    if (v === undefined || v === '') return undefined;
    const ip = parseIp(v);
    if (!ip || ip.family !== family) this.fail(key, v, `an IPv${family} address`);
    return ip.address;
  }

  string(key: string): string | undefined {
    const v = this.options[key];
    return v === undefined || v === '' ? undefined : v;
  }

  unknownKeys(known: Set<string>): string[] {
    return Object.keys(this.options).filter((k) => !known.has(k));
  }
}

export function parseBridgeOptions(options: Record<string, string>, path: string): BridgeOptions & { unknown: string[] } {
  const r = new OptionReader(options, path);
  return {
    mtu: r.uint('mtu', 65535) || undefined,
    metric: r.uint('metric') ?? 100,
    noDefaultRoute: r.bool('no_default_route'),
    isolate: r.oneOf('isolate', ['strict', 'true', 'false'] as const, 'strict'),
    mode: r.oneOf('mode', ['managed', 'unmanaged'] as const, 'managed'),
    vrf: r.string('vrf'),
    vlan: r.uint('vlan', 4094) || undefined,
    outboundAddr4: r.ip('outbound_addr4', 4),
    outboundAddr6: r.ip('outbound_addr6', 6),
    unknown: r.unknownKeys(BRIDGE_KEYS),
  };
}
