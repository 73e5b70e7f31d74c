// Picks the firewall driver: --firewall-driver, else NETAVARK_FW, else nftables.
// The nftables driver is loaded only when chosen, so `none` pays nothing for it.
import { ConfigError } from '../src/lib/errors.js';
import { createLog } from '../src/lib/log.js';
import type { FirewallContext, FirewallDriver } from './firewall.js';
import { noneDriver } from './none.js';

export type FirewallDriverName = 'nftables' | 'none';

export function parseFirewallDriverName(raw: string | undefined): FirewallDriverName {
  const name = (raw ?? 'nftables').trim().toLowerCase();
  if (name === 'nftables' || name === 'none') return name;
  if (name === 'firewalld') {
    throw new ConfigError('firewall driver "firewalld" is not supported by skiff', {
      hint: 'Use "nftables" (the default) or "none"',
    });
  }
  if (name === 'iptables') {
    throw new ConfigError('firewall driver "iptables" is not supported (netavark 2.0 removed it too)', {
      hint: 'Use "nftables" (the default) or "none"',
    });
  }
  throw new ConfigError(`Must provide a valid firewall backend, got ${raw}`, { hint: 'Supported: nftables, none' });
}

const log = createLog('firewall');

export async function selectFirewallDriver(name: FirewallDriverName, ctx: FirewallContext): Promise<FirewallDriver> {
  // netavark's wording: Podman shows these lines, and scripts look for them
  if (name === 'none') {
    log.info('Not using firewall');
    return noneDriver;
  }
  log.info('Using nftables firewall driver');
  const { createNftablesDriver } = await import('./nftables/driver.js');
  const driver = createNftablesDriver(ctx);
  if (ctx.rootless) return driver; // rootless networks live in their own netns, out of firewalld's reach
  const { trustInFirewalld } = await import('./firewalld-zone.js');
  return trustInFirewalld(driver);
}
