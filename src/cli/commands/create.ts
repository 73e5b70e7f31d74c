// `skiff create`: the create input JSON → the completed Network JSON. This
// file only gathers the host facts, calls the completion (core/create.ts: the
// common checks and the driver's part, a plugin's included) and returns the
// value to print.
import { randomBytes } from 'node:crypto';
import { parseCreateInput } from '../../../schemas/create-input.js';
import { serializeNetwork } from '../../../schemas/network.js';
import { completeNetwork } from '../../core/create.js';
import { toRequest, type CreateDeps } from '../../network/request.js';
import { ConfigError } from '../../lib/errors.js';
import type { PluginRunOptions } from '../../drivers/plugin-exec.js';

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
  return serializeNetwork(await completeNetwork(req, { deps, plugin: opts.plugin, pluginDirs: opts.pluginDirs ?? [] }));
}
