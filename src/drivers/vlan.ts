// The macvlan/ipvlan driver: its plan (vlan-plan.ts) carried out by
// vlan-apply.ts, with the DHCP lease (macvlan only) after the link is up.
import type { Driver } from './driver.js';
import { planVlan, type VlanPlan } from './vlan-plan.js';
import { setupVlan, teardownVlan } from './vlan-apply.js';
import { releaseLease, withLease } from './dhcp-lease.js';
import { statusBlock } from './status.js';

export const vlanDriver: Driver<VlanPlan> = {
  // loaded only by `create`: setup and teardown never need it
  create: async (network, _req, env) => (await import('./vlan-create.js')).createVlan(network, env.deps),

  plan: planVlan,

  async setup(plan, env, undo) {
    const { mac } = await setupVlan(plan, env, undo);
    return { status: statusBlock(await withLease(plan, mac, env, undo), mac) };
  },

  async teardown(plan, env) {
    const name = plan.attachment.name;
    if (plan.dhcp) await env.attempt(`release DHCP lease of network ${name}`, () => releaseLease(plan, env));
    await env.attempt(`remove interface ${plan.containerIf} of network ${name}`, () => teardownVlan(plan, env));
  },
};
