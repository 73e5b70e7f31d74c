// Network driver name → its implementation of the driver interface
// (driver.ts). Built-in: bridge, macvlan, ipvlan. Anything else is a plugin
// looked up in --plugin-directory (plugin.ts); running it (plugin-exec.ts and
// its schemas) is loaded only when such a network shows up. Adding a driver:
// its files, and one line in BUILTIN.
import type { Attachment } from '../../schemas/network-options.js';
import { bridgeDriver } from './bridge.js';
import { vlanDriver } from './vlan.js';
import { pluginDriver } from './plugin.js';
import type { CallEnv, Driver, SetupResult, TeardownEnv } from './driver.js';
import type { PlanBase, PlanContext } from './plan.js';
import type { UndoStack } from '../lib/undo.js';

const BUILTIN: Readonly<Record<string, Driver>> = {
  bridge: bridgeDriver,
  macvlan: vlanDriver,
  ipvlan: vlanDriver,
};

/** The names of the built-in drivers. */
export const BUILTIN_DRIVERS: readonly string[] = Object.keys(BUILTIN);

export function isBuiltinDriver(name: string): boolean {
  return Object.hasOwn(BUILTIN, name);
}

/** The driver called `name`: built in, else the plugin of that name; unknown is netavark's error. */
export async function driverFor(name: string, pluginDirs: readonly string[]): Promise<Driver> {
  const builtin = isBuiltinDriver(name) ? BUILTIN[name] : undefined;
  if (builtin) return builtin;
  const { findPlugin, unknownDriverError } = await import('./plugin-exec.js');
  const path = findPlugin(pluginDirs, name);
  if (!path) throw unknownDriverError(name, pluginDirs);
  return pluginDriver(path);
}

/** One attachment's plan (plain data) bound to the driver that made it: only that driver ever sees the plan. */
export interface PlannedAttachment {
  plan: PlanBase;
  setup(env: CallEnv, undo: UndoStack): Promise<SetupResult>;
  teardown(env: TeardownEnv): Promise<void>;
}

export async function planAttachment(att: Attachment, ctx: PlanContext, pluginDirs: readonly string[]): Promise<PlannedAttachment> {
  const driver = await driverFor(att.network.driver, pluginDirs);
  const plan = driver.plan(att, ctx);
  return {
    plan,
    setup: (env, undo) => driver.setup(plan, env, undo),
    teardown: (env) => driver.teardown(plan, env),
  };
}
