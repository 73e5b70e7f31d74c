// `skiff firewall-reload` (and `firewalld-reload`, which runs it once): replay
// the saved firewall state, e.g. after `nft flush ruleset` or an nftables
// service restart. Idempotent: running it twice leaves the same table.
import { join } from 'node:path';
import { withLock } from '../src/lib/lock.js';
import { createLog } from '../src/lib/log.js';
import { FirewallState } from './state.js';

const log = createLog('firewall');

/**
 * Re-applies everything saved under <configDir>/firewall/ with the driver that
 * saved it. Nothing saved (or rootless, where nothing is saved) is a no-op.
 * Holds the same lock as setup/teardown (<configDir>/skiff.lock), so a
 * teardown cannot remove state while the reload is replaying it.
 */
export async function firewallReload(configDir: string): Promise<void> {
  const state = new FirewallState(configDir);
  const driver = state.readDriverName();
  if (driver === undefined || driver === 'none') {
    log.info(`firewall reload: nothing to do (driver ${driver ?? 'not recorded'})`);
    return;
  }
  if (driver !== 'nftables') {
    log.warn(`firewall reload: state was written by driver "${driver}", which skiff does not support; nothing re-applied`);
    return;
  }
  const { createNftablesDriver } = await import('./nftables.js');
  await withLock(join(configDir, 'skiff.lock'), () => createNftablesDriver({ configDir, rootless: false }).reload());
}
