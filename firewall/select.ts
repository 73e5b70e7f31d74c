// Picks the firewall driver: --firewall-driver, else NETAVARK_FW, else nftables.
// The nftables driver is loaded only when chosen, so `none` pays nothing for it.
// The one place that maps a driver name to its implementation: setup and
// teardown come through selectFirewallDriver, firewall-reload through
// createFirewallDriver with the name saved in the state.
import { ConfigError } from '../src/lib/errors.js';
import { createLog } from '../src/lib/log.js';
import type { FirewallContext, FirewallDriver } from './firewall.js';
import { noneDriver } from './none.js';

export type FirewallDriverName = 'nftables' | 'none';

export function isFirewallDriverName(name: string): name is FirewallDriverName {
  return name === 'nftables' || name === 'none';
}

export function parseFirewallDriverName(raw: string | undefined): FirewallDriverName {
  const name = (raw ?? 'nftables').trim().toLowerCase();
  if (isFirewallDriverName(name)) return name;
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
  const driver = await createFirewallDriver(name, ctx);
  if (ctx.rootless) return driver; // rootless networks live in their own netns, out of firewalld's reach
  const { trustInFirewalld } = await import('./firewalld-zone.js');
  return trustInFirewalld(driver);
}

/**
 * The driver `name` names, bare: no log line and no firewalld wrapper (firewall-reload
 * puts the subnets back into firewalld's zone itself).
 */
export async function createFirewallDriver(name: FirewallDriverName, ctx: FirewallContext): Promise<FirewallDriver> {
  if (name === 'none') return noneDriver;
  const { createNftablesDriver } = await import('./nftables/driver.js');
  return createNftablesDriver(ctx);
}
