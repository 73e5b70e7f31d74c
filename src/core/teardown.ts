// `skiff teardown NETNS`: best effort and idempotent. Every step runs even when
// an earlier one failed; "already gone" counts as success; the errors are
// reported together at the end.
import { withLock } from '../lib/lock.js';
import { removeBridge, teardownBridgeLinks, type ApplyEnv } from '../drivers/bridge-apply.js';
import { teardownVlan } from '../drivers/vlan-apply.js';
import type { BridgePlan } from '../drivers/plan.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import { requireConfigDir, type Context } from './context.js';
import { bridgePlans, dhcpCallContext, firewallFor, loadOptions, lockPath, planAll, pluginInput } from './plan.js';
import type { DhcpAttachable } from '../dhcp/attach.js';
import type { NetworkOptions } from '../../schemas/network-options.js';
import { removeDns } from './dns.js';
import { BestEffort, openNetnsIfPresent, withTeardownNetlinks, type Attempt } from './best-effort.js';

export async function teardown(ctx: Context, nsPath: string, input: string): Promise<void> {
  const { log } = ctx;
  const configDir = requireConfigDir(ctx, 'teardown');
  const opts = loadOptions(input);
  const plans = await planAll(opts, ctx);
  // the container may already be gone: still clean up the host side (rules, DNS, bridge)
  const ns = openNetnsIfPresent(nsPath, log);
  const fw = await firewallFor(plans, ctx, configDir);
  const { attempt, finish } = new BestEffort();
  try {
    await withLock(lockPath(configDir), async () => {
      // names go first, so no container resolves an address that is being removed
      await attempt('remove DNS entries', () => removeDns(ctx, configDir, opts, bridgePlans(plans)));
      await withTeardownNetlinks(ns, attempt, async (host, ctr) => {
        for (const plan of plans) {
          const name = plan.attachment.name;
          const env: ApplyEnv = { host, ctr, ns, log };
          switch (plan.driver) {
            case 'bridge':
              if (plan.dhcp) await attempt(`release DHCP lease of network ${name}`, () => releaseLease(plan, env, opts, nsPath));
              await teardownBridgeAttachment(plan, env, fw, attempt);
              break;
            case 'macvlan':
            case 'ipvlan':
              if (plan.dhcp) await attempt(`release DHCP lease of network ${name}`, () => releaseLease(plan, env, opts, nsPath));
              await attempt(`remove interface ${plan.containerIf} of network ${name}`, () => teardownVlan(plan, env));
              break;
            case 'plugin':
              await attempt(`tear down network ${name}`, async () => {
                const { pluginTeardown } = await import('../drivers/plugin.js');
                await pluginTeardown(plan.path, nsPath, pluginInput(opts, plan));
              });
              break;
          }
        }
      });
    });
  } finally {
    ns?.close();
  }
  finish();
}

/** IPAM dhcp: the proxy releases the lease of the interface's MAC (needs the interface to learn it). */
async function releaseLease(plan: DhcpAttachable, env: ApplyEnv, opts: NetworkOptions, nsPath: string): Promise<void> {
  const link = env.ctr ? await env.ctr.getLink(plan.containerIf) : undefined;
  if (!link?.mac) {
    env.log.warn(`interface ${plan.containerIf} is gone: cannot tell the DHCP proxy which lease to release`);
    return;
  }
  const { teardownDhcp } = await import('../dhcp/attach.js');
  await teardownDhcp(plan, link.mac, dhcpCallContext(opts, nsPath));
}

async function teardownBridgeAttachment(
  plan: BridgePlan,
  env: ApplyEnv,
  fw: FirewallDriver | undefined,
  attempt: Attempt,
): Promise<void> {
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
