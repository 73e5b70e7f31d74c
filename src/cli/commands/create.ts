// `skiff create`: the create input JSON → the completed Network JSON (contract
// §1.12). This file only gathers the host facts, calls the pure completion
// (or the driver's plugin) and returns the value to print.
import { randomBytes } from 'node:crypto';
import { parseCreateInput, parsePluginNetwork } from '../../../schemas/create-input.js';
import { serializeNetwork } from '../../../schemas/network.js';
import {
  checkCommon,
  completeNetwork,
  finishNetwork,
  isBuiltinDriver,
  toRequest,
  type CreateDeps,
} from '../../core/create/complete.js';
import { toNetwork } from '../../core/create/syntax.js';
import { ConfigError, SkiffError } from '../../lib/errors.js';
import { findPlugin, pluginCreate, unknownDriverError, type PluginRunOptions } from '../../drivers/plugin.js';

export interface CreateCommandOptions {
  /** --plugin-directory values, searched in order for a non-builtin driver */
  pluginDirs?: readonly string[];
  /** overrides for tests; the defaults are the real clock, crypto randomness and the links netlink lists */
  deps?: Partial<CreateDeps>;
  plugin?: PluginRunOptions;
}

/**
 * Link names in the caller's network namespace, through netlink. Never
 * /sys/class/net: that shows the namespace of whoever mounted sysfs, which is
 * not ours inside `ip netns exec`-style sandboxes (a parent that exists would
 * be reported missing). Undefined when netlink cannot be opened.
 */
export async function hostInterfaceNames(): Promise<string[] | undefined> {
  try {
    const { openNetlink } = await import('../../netlink/rtnl.js');
    const nl = await openNetlink();
    try {
      return (await nl.links()).map((l) => l.name);
    } finally {
      nl.close();
    }
  } catch {
    return undefined;
  }
}

const baseDeps = {
  now: () => new Date(),
  random: (n: number) => randomBytes(n),
};

/**
 * Completes the network described by `inputText` and returns the JSON value to
 * print. Throws ConfigError (bad input, with netavark's message or the JSON
 * field that is wrong) or SkiffError (plugin failures).
 */
export async function runCreate(inputText: string, opts: CreateCommandOptions = {}): Promise<unknown> {
  let deps: CreateDeps = { ...baseDeps, ...opts.deps };
  if (!opts.deps?.hostInterfaces) {
    const names = await hostInterfaceNames();
    deps = { ...deps, hostInterfaces: () => names };
  }
  const parsed = parseCreateInput(inputText);
  if (!parsed.ok) throw new ConfigError(`failed to load network create: ${parsed.error}`);
  const req = toRequest(parsed.value);
  if (isBuiltinDriver(req.network.driver)) return serializeNetwork(completeNetwork(req, deps));

  checkCommon(req);
  const dirs = opts.pluginDirs ?? [];
  const path = findPlugin(dirs, req.network.driver);
  if (!path) throw unknownDriverError(req.network.driver, dirs);
  const out = await pluginCreate(path, serializeNetwork(req.network), opts.plugin);
  const raw = parsePluginNetwork(out);
  if (!raw.ok) throw new SkiffError(`plugin ${JSON.stringify(req.network.driver)} returned an invalid network: ${raw.error}`);
  const network = toNetwork(raw.value, 'plugin network');
  // plugin-API.md: the plugin may change anything but these three
  for (const key of ['name', 'id', 'driver'] as const) {
    if (network[key] !== req.network[key]) {
      throw new SkiffError(
        `plugin ${JSON.stringify(req.network.driver)} changed the network ${key} from ${JSON.stringify(req.network[key])} to ${JSON.stringify(network[key])}`,
      );
    }
  }
  return serializeNetwork(finishNetwork(network, req, deps, false));
}
