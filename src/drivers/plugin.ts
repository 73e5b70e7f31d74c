// A network whose driver is an external plugin (plugin-exec.ts runs it): one more
// implementation of the driver interface. plugin-exec.ts and its schemas
// are loaded only when such a network is created, set up or torn down.
import type { Attachment, NetworkOptions } from '../../schemas/network-options.js';
import { SkiffError } from '../lib/errors.js';
import type { Driver } from './driver.js';
import type { PlanBase } from './plan.js';
import type { StatusBlock } from './status.js';

export interface PluginPlan extends PlanBase {
  driver: 'plugin';
  attachment: Attachment;
  /** the plugin executable */
  path: string;
}

/** What a plugin gets on stdin for setup and teardown (netavark's NetworkPluginExec). */
export function pluginInput(opts: NetworkOptions, plan: PluginPlan) {
  return {
    container_id: opts.containerId,
    container_name: opts.containerName,
    port_mappings: opts.portMappings,
    network: plan.attachment.network,
    network_options: plan.attachment.opts,
  };
}

/** The driver for the plugin executable at `path`. */
export function pluginDriver(path: string): Driver<PluginPlan> {
  return {
    async create(network, _req, env) {
      const [{ pluginCreate }, { parsePluginNetwork }, { serializeNetwork }, { toNetwork }] = await Promise.all([
        import('./plugin-exec.js'),
        import('../../schemas/create-input.js'),
        import('../../schemas/network.js'),
        import('../network/syntax.js'),
      ]);
      const out = await pluginCreate(path, serializeNetwork(network), env.plugin);
      const raw = parsePluginNetwork(out);
      if (!raw.ok) throw new SkiffError(`plugin ${JSON.stringify(network.driver)} returned an invalid network: ${raw.error}`);
      const created = toNetwork(raw.value, 'plugin network');
      // plugin-API.md: the plugin may change anything but these three
      for (const key of ['name', 'id', 'driver'] as const) {
        if (created[key] !== network[key]) {
          throw new SkiffError(
            `plugin ${JSON.stringify(network.driver)} changed the network ${key} from ${JSON.stringify(network[key])} to ${JSON.stringify(created[key])}`,
          );
        }
      }
      return { network: created, checkUsed: false };
    },

    plan: (attachment) => ({ driver: 'plugin', attachment, path }),

    async setup(plan, env, undo) {
      const { pluginSetup, pluginTeardown } = await import('./plugin-exec.js');
      const input = pluginInput(env.opts, plan);
      const sb = await pluginSetup(plan.path, env.nsPath, input);
      undo.push(`tear down plugin network ${plan.attachment.name}`, () => pluginTeardown(plan.path, env.nsPath, input));
      return { status: sb as StatusBlock };
    },

    async teardown(plan, env) {
      await env.attempt(`tear down network ${plan.attachment.name}`, async () => {
        const { pluginTeardown } = await import('./plugin-exec.js');
        await pluginTeardown(plan.path, env.nsPath, pluginInput(env.opts, plan));
      });
    },
  };
}
