// Picks the driver for an attachment. Built-in: bridge. Anything else is a
// plugin looked up in --plugin-directory (or unknown).
import { ConfigError } from '../lib/errors.js';
import type { Attachment } from '../../configs/network-options.js';
import { planBridge } from './bridge-plan.js';
import type { AttachmentPlan, PlanContext } from './plan.js';

export function planAttachment(att: Attachment, ctx: PlanContext): AttachmentPlan {
  switch (att.network.driver) {
    case 'bridge':
      return planBridge(att, ctx);
    default:
      throw new ConfigError(`unknown network driver ${JSON.stringify(att.network.driver)}`, {
        hint: `network_info.${att.name}.driver: skiff supports "bridge"`,
      });
  }
}
