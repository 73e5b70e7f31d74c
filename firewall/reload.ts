// `skiff firewall-reload`: replay the saved firewall state once, e.g. after
// `nft flush ruleset` or an nftables service restart. Idempotent: running it
// twice leaves the same table.
// `skiff firewalld-reload`: the same at start, then again after every
// `firewall-cmd --reload` (and firewalld restart) for as long as it runs: the
// systemd service netavark-firewalld-reload runs it on firewalld hosts.
import { join } from 'node:path';
import { SkiffError, errorMessage } from '../src/lib/errors.js';
import { withLock } from '../src/lib/lock.js';
import { createLog } from '../src/lib/log.js';
import { Firewalld, systemBusAddress, withFirewalld } from './firewalld.js';
import { createFirewallDriver, isFirewallDriverName } from './select.js';
import { FirewallState } from './state.js';

const log = createLog('firewall');

/**
 * Re-applies everything saved under <configDir>/firewall/ with the driver that
 * saved it, and puts the saved networks' subnets back into firewalld's trusted
 * zone when firewalld runs (on `fw` if given, else on a connection of its own).
 * Nothing saved (or rootless, where nothing is saved) is a no-op.
 * Holds the same lock as setup/teardown (<configDir>/skiff.lock), so a
 * teardown cannot remove state while the reload is replaying it.
 */
export async function firewallReload(configDir: string, fw?: Firewalld): Promise<void> {
  const state = new FirewallState(configDir);
  const driver = state.readDriverName();
  if (driver === undefined || driver === 'none') {
    log.info(`firewall reload: nothing to do (driver ${driver ?? 'not recorded'})`);
    return;
  }
  if (!isFirewallDriverName(driver)) {
    log.warn(`firewall reload: state was written by driver "${driver}", which skiff does not support; nothing re-applied`);
    return;
  }
  const replay = await createFirewallDriver(driver, { configDir, rootless: false });
  await withLock(join(configDir, 'skiff.lock'), () => replay.reload());
  const subnets = state.loadNetworks().flatMap((n) => n.subnets);
  if (subnets.length === 0) return;
  if (fw) {
    if (await fw.running()) await fw.addSources(subnets);
  } else {
    await withFirewalld((f) => f.addSources(subnets));
  }
}

/**
 * Runs until the bus connection is lost (then throws, so a service manager
 * sees the failure) or the process is stopped. Reloads are serialized, and
 * signals that arrive during one are folded into a single follow-up reload.
 */
export async function firewalldReload(configDir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  log.debug(`looking for firewall configs in ${configDir}`);
  const address = systemBusAddress(env);
  if (address === undefined) {
    throw new SkiffError('firewalld-reload: no D-Bus system bus to listen on', {
      hint: 'DBUS_SYSTEM_BUS_ADDRESS is empty or /run/dbus/system_bus_socket does not exist; use firewall-reload to re-apply the rules once',
    });
  }
  let fw: Firewalld;
  try {
    fw = await Firewalld.connectTo(address);
  } catch (e) {
    throw new SkiffError(`firewalld-reload: cannot connect to the D-Bus system bus at ${address}: ${errorMessage(e)}`, { cause: e });
  }

  let running: Promise<void> | undefined;
  let again = false;
  const reload = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await firewallReload(configDir, fw);
        } catch (e) {
          log.error(`failed to reload firewall rules: ${errorMessage(e)}`);
        }
      } while (again);
      running = undefined;
    })();
  };

  // listen first, so that a reload during the initial replay is not missed
  await fw.watch((why) => {
    log.debug(why);
    reload();
  });
  // at start too: we may be started after firewalld (or nft) dropped what we had
  reload();
  const reason = await fw.ended();
  throw new SkiffError(`firewalld-reload: lost the D-Bus connection: ${reason.message}`);
}
