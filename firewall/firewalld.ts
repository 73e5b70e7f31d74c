// firewalld on the host (Fedora and RHEL run it by default). firewalld's own
// forward chain rejects traffic between zones it does not know, so container
// subnets go into its `trusted` zone, as netavark does; and because
// `firewall-cmd --reload` resets that runtime zone, `firewalld-reload` puts
// them back (and re-applies skiff's table) on every `Reloaded` signal.
//
// Talks D-Bus directly (@jellybrick/dbus-next): firewall-cmd is a Python
// program that costs a few hundred ms per call and cannot wait for signals.
// The library is required only when a system bus is there to talk to, so a
// host without one (or a test sandbox) pays nothing for it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Message as DbusMessage, MessageBus } from '@jellybrick/dbus-next';
import { errorMessage } from '../src/lib/errors.js';
import { createLog } from '../src/lib/log.js';

const log = createLog('firewall');

const FIREWALLD = 'org.fedoraproject.FirewallD1';
const FIREWALLD_PATH = '/org/fedoraproject/FirewallD1';
const ZONE_IFACE = 'org.fedoraproject.FirewallD1.zone';
const DBUS = 'org.freedesktop.DBus';
const DBUS_PATH = '/org/freedesktop/DBus';
const DEFAULT_SYSTEM_BUS = '/run/dbus/system_bus_socket';
/** D-Bus's own default reply timeout: firewalld applies its rules before it answers. */
const CALL_TIMEOUT_MS = 25_000;
export const TRUSTED_ZONE = 'trusted';

type DbusModule = typeof import('@jellybrick/dbus-next');

/**
 * The system bus address, or undefined when there is none to use.
 * DBUS_SYSTEM_BUS_ADDRESS set but empty means "no bus" (netavark treats it the
 * same way; its test suite and ours set it so to keep the host's firewalld out).
 */
export function systemBusAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.DBUS_SYSTEM_BUS_ADDRESS;
  if (raw !== undefined) return raw.trim() === '' ? undefined : raw.trim();
  return existsSync(DEFAULT_SYSTEM_BUS) ? `unix:path=${DEFAULT_SYSTEM_BUS}` : undefined;
}

function loadDbus(): DbusModule {
  const require = createRequire(import.meta.url);
  return require('@jellybrick/dbus-next') as DbusModule;
}

/** A connection to the system bus, for talking to firewalld. */
export class Firewalld {
  private closed = false;
  /** Rejects on the first connection error or when the bus hangs up: pending calls fail with it. */
  private readonly lost: Promise<never>;

  private constructor(private readonly dbus: DbusModule, private readonly bus: MessageBus) {
    this.lost = new Promise<never>((_, reject) => {
      // 'error' is emitted though the library's event map does not list it
      (bus as unknown as NodeJS.EventEmitter).on('error', (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
      // the library re-emits errors but not the socket's end; its connection object does
      const conn = (bus as unknown as { _connection?: { on?: (ev: 'end', f: () => void) => void } })._connection;
      conn?.on?.('end', () => reject(new Error('the D-Bus connection was closed')));
    });
    this.lost.catch((e: unknown) => {
      if (!this.closed) log.debug(`D-Bus connection lost: ${errorMessage(e)}`);
    });
  }

  /** Connects to the system bus; undefined (logged at debug) when there is no bus to reach. */
  static async connect(env: NodeJS.ProcessEnv = process.env): Promise<Firewalld | undefined> {
    const address = systemBusAddress(env);
    if (address === undefined) return undefined;
    try {
      return await Firewalld.connectTo(address);
    } catch (e) {
      log.debug(`no D-Bus system bus at ${address}: ${errorMessage(e)}`);
      return undefined;
    }
  }

  /** Connects to `address` and says hello; throws when that fails. */
  static async connectTo(address: string): Promise<Firewalld> {
    const dbus = loadDbus();
    const bus = dbus.sessionBus({ busAddress: address }); // explicit address: same client as systemBus()
    const fw = new Firewalld(dbus, bus);
    try {
      // the Hello round trip proves the connection (and authentication) works
      await fw.call({ destination: DBUS, path: DBUS_PATH, interface: DBUS, member: 'GetId' });
    } catch (e) {
      fw.close();
      throw e;
    }
    return fw;
  }

  private async call(m: { destination: string; path: string; interface: string; member: string; signature?: string; body?: unknown[] }): Promise<unknown[]> {
    const msg = new this.dbus.Message(m);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`D-Bus call ${m.interface}.${m.member} timed out`)), CALL_TIMEOUT_MS);
    });
    try {
      const reply: DbusMessage | null = await Promise.race([this.bus.call(msg), timeout, this.lost]);
      return reply?.body ?? [];
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when firewalld owns its bus name (it is running). */
  async running(): Promise<boolean> {
    try {
      await this.call({ destination: DBUS, path: DBUS_PATH, interface: DBUS, member: 'GetNameOwner', signature: 's', body: [FIREWALLD] });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Puts each subnet into `zone` as a source (runtime config), unless it is
   * there already. Errors are logged, never thrown: firewalld is an extra.
   */
  async addSources(subnets: readonly string[], zone = TRUSTED_ZONE): Promise<void> {
    for (const net of subnets) {
      try {
        const [current] = await this.call({ destination: FIREWALLD, path: FIREWALLD_PATH, interface: ZONE_IFACE, member: 'getZoneOfSource', signature: 's', body: [net] });
        if (current === zone) {
          log.debug(`subnet ${net} is already in firewalld zone ${zone}`);
          continue;
        }
        log.debug(`Adding firewalld rules for network ${net}`);
        await this.call({ destination: FIREWALLD, path: FIREWALLD_PATH, interface: ZONE_IFACE, member: 'changeZoneOfSource', signature: 'ss', body: [zone, net] });
      } catch (e) {
        log.warn(`Error adding subnet ${net} from firewalld ${zone} zone: ${dbusErrorText(e)}`);
      }
    }
  }

  /** Takes each subnet out of `zone`; errors are logged, never thrown. */
  async removeSources(subnets: readonly string[], zone = TRUSTED_ZONE): Promise<void> {
    for (const net of subnets) {
      try {
        log.debug(`Removing firewalld rules for IPs ${net}`);
        await this.call({ destination: FIREWALLD, path: FIREWALLD_PATH, interface: ZONE_IFACE, member: 'removeSource', signature: 'ss', body: [zone, net] });
      } catch (e) {
        log.warn(`Error removing subnet ${net} from firewalld ${zone} zone: ${dbusErrorText(e)}`);
      }
    }
  }

  /**
   * Calls `onChange` after every `firewall-cmd --reload` (firewalld's
   * `Reloaded` signal) and whenever firewalld (re)starts and takes its bus
   * name: both leave its runtime zones as configured on disk.
   */
  async watch(onChange: (why: string) => void): Promise<void> {
    const rules = [
      `type='signal',sender='${FIREWALLD}',interface='${FIREWALLD}',member='Reloaded'`,
      `type='signal',sender='${DBUS}',interface='${DBUS}',member='NameOwnerChanged',arg0='${FIREWALLD}'`,
    ];
    this.bus.on('message', (m: DbusMessage) => {
      if (m.type !== this.dbus.MessageType.SIGNAL) return;
      if (m.interface === FIREWALLD && m.member === 'Reloaded') onChange('got firewalld Reloaded signal');
      else if (m.interface === DBUS && m.member === 'NameOwnerChanged' && m.body[0] === FIREWALLD && typeof m.body[2] === 'string' && m.body[2] !== '') {
        onChange('firewalld started');
      }
    });
    for (const rule of rules) await this.call({ destination: DBUS, path: DBUS_PATH, interface: DBUS, member: 'AddMatch', signature: 's', body: [rule] });
  }

  /** Resolves (with the reason) when the bus connection is lost. */
  ended(): Promise<Error> {
    return this.lost.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bus.disconnect();
  }
}

function dbusErrorText(e: unknown): string {
  if (e !== null && typeof e === 'object' && 'type' in e && 'text' in e) return `${String(e.type)}: ${String(e.text)}`;
  return errorMessage(e);
}

/**
 * Runs `f` with firewalld when a system bus is reachable and firewalld runs
 * on it; otherwise does nothing. The connection is closed afterwards (an open
 * one would keep the process alive).
 */
export async function withFirewalld(f: (fw: Firewalld) => Promise<void>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const fw = await Firewalld.connect(env);
  if (!fw) return;
  try {
    if (await fw.running()) await f(fw);
  } finally {
    fw.close();
  }
}
