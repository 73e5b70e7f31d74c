// Picks the driver for an attachment. Built-in: bridge, macvlan, ipvlan.
// Anything else is a plugin looked up in --plugin-directory; the plugin module
// (and its schemas) is loaded only when such a network shows up.
import type { Attachment } from '../../schemas/network-options.js';
import { planBridge } from './bridge-plan.js';
import { planVlan } from './vlan-plan.js';
import type { AttachmentPlan, PlanContext } from './plan.js';

export async function planAttachment(att: Attachment, ctx: PlanContext, pluginDirs: readonly string[]): Promise<AttachmentPlan> {
  const driver = att.network.driver;
  switch (driver) {
    case 'bridge':
      return planBridge(att, ctx);
    case 'macvlan':
    case 'ipvlan':
      return planVlan(att, ctx);
    default: {
      const { findPlugin, unknownDriverError } = await import('./plugin.js');
      const path = findPlugin(pluginDirs, driver);
      if (!path) throw unknownDriverError(driver, pluginDirs);
      return { driver: 'plugin', attachment: att, path };
    }
  }
}
