// Free subnets for networks created without one: IPv4 walks the configured
// pools in order; IPv6 picks a random ULA /64 (RFC 4193 says random, not
// sequential, so two hosts rarely pick the same one).
import { ConfigError } from '../lib/errors.js';
import { bits, formatNet, parseNet, size, type Net } from './addr.js';
import { intersectsAny } from './validate.js';

export interface SubnetPool {
  base: string;
  size: number;
}

/**
 * First /size subnet of the first IPv4 pool that does not meet a used subnet
 * (or simply the first one when `checkUsed` is false, as netavark does).
 */
export function freeIpv4Subnet(pools: readonly SubnetPool[], used: readonly Net[], checkUsed: boolean): string {
  let lastError: string | undefined;
  for (const [i, pool] of pools.entries()) {
    const base = parseNet(pool.base);
    if (!base) {
      lastError = `options.subnet_pools[${i}].base: invalid IP address syntax ${JSON.stringify(pool.base)}`;
      continue;
    }
    if (base.family !== 4) continue;
    if (pool.size > bits(4)) {
      lastError = `Failed to create network from pool ${formatNet(base)}: invalid prefix length ${pool.size}`;
      continue;
    }
    // a size wider than the pool yields nothing from it
    if (pool.size < base.prefix) continue;
    const poolEnd = base.network + size(base);
    let cand: Net = { family: 4, network: base.network, prefix: pool.size, addr: base.network };
    const step = size(cand);
    while (cand.network < poolEnd) {
      const hit = checkUsed ? used.find((u) => intersectsAny(cand, [u])) : undefined;
      if (!hit) return formatNet(cand);
      // skip past the used subnet in one jump instead of walking through it
      const usedEnd = hit.network + size(hit);
      let next = cand.network + step;
      if (usedEnd > next) next = ((usedEnd + step - 1n) / step) * step;
      if (next >= 1n << 32n) break;
      cand = { ...cand, network: next, addr: next };
    }
  }
  throw new ConfigError(lastError ?? 'could not find free subnet from subnet pools');
}

const MAX_ULA_ATTEMPTS = 10_000;

/** Random fdXX:XXXX:XXXX:XXXX::/64 that meets no used subnet. `random(7)` supplies the 56 random bits. */
export function freeIpv6Subnet(used: readonly Net[], random: (n: number) => Uint8Array): string {
  for (let attempt = 0; attempt < MAX_ULA_ATTEMPTS; attempt++) {
    const bytes = random(7);
    let value = 0xfdn;
    for (let i = 0; i < 7; i++) value = (value << 8n) | BigInt(bytes[i] ?? 0);
    const network = value << 64n;
    const cand: Net = { family: 6, network, prefix: 64, addr: network };
    if (!intersectsAny(cand, used)) return formatNet(cand);
  }
  throw new ConfigError('failed to get random ipv6 subnet');
}
