// The bridge driver: its plan (bridge-plan.ts) carried out by bridge-apply.ts,
// with the DHCP lease, the firewall rules and the port forwards around it.
import type { Driver, TeardownEnv } from './driver.js';
import { planBridge, type BridgePlan } from './bridge-plan.js';
import { removeBridge, setupBridge, teardownBridgeLinks } from './bridge-apply.js';
import { setupBridgeFirewall } from './bridge-firewall.js';
import { releaseLease, withLease } from './dhcp-lease.js';
import { statusBlock } from './status.js';

export const bridgeDriver: Driver<BridgePlan> = {
  // loaded only by `create`: setup and teardown never need it
  create: async (network, req, env) => (await import('./bridge-create.js')).createBridge(network, req, env.deps),

  plan: planBridge,

  async setup(plan, env, undo) {
    const r = await setupBridge(plan, env, undo);
    const leased = await withLease(plan, r.mac, env, undo);
    if (env.firewall && plan.firewall) await setupBridgeFirewall(env.firewall, plan.firewall, plan.ports, r.createdBridge, undo);
    // unmanaged bridges: DNS listens on whatever addresses the bridge has
    const dnsBindIps = plan.dns && !plan.managed ? r.bridgeIps : undefined;
    return { status: statusBlock(leased, r.mac, dnsBindIps), dnsBindIps };
  },

  async teardown(plan, env) {
    const name = plan.attachment.name;
    if (plan.dhcp) await env.attempt(`release DHCP lease of network ${name}`, () => releaseLease(plan, env));
    await teardownAttachment(plan, env);
  },
};

async function teardownAttachment(plan: BridgePlan, env: TeardownEnv): Promise<void> {
  const { attempt, firewall: fw } = env;
  const name = plan.attachment.name;
  if (fw && plan.ports) {
    const pf = plan.ports;
    await attempt(`remove port forwards of network ${name}`, () => fw.teardownPorts(pf));
  }
  let bridgeEmpty = false;
  await attempt(`remove interface ${plan.containerIf} of network ${name}`, async () => {
    bridgeEmpty = (await teardownBridgeLinks(plan, env)).bridgeEmpty;
  });
  // firewall rules go before the bridge (nv 2.1 #1482)
  if (fw && plan.firewall) {
    const net = plan.firewall;
    await attempt(`remove firewall rules of network ${name}`, () => fw.teardownNetwork(net, { complete: bridgeEmpty && plan.managed }));
  }
  if (bridgeEmpty) await attempt(`remove bridge ${plan.bridge}`, () => removeBridge(plan, env));
}
