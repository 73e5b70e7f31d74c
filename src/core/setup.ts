// `skiff setup NETNS`: validate every network, then set each up in input order;
// a failure part-way undoes everything this call did.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { annotate, SkiffError } from '../lib/errors.js';
import type { DhcpAttachable } from '../dhcp/attach.js';
import { withLock } from '../lib/lock.js';
import type { NetworkOptions } from '../../schemas/network-options.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import { openNetlink } from '../netlink/rtnl.js';
import { openNetlinkIn, openNetns, type NetnsHandle } from '../netlink/netns.js';
import type { AttachmentPlan, BridgePlan } from '../drivers/plan.js';
import { setupBridge, type ApplyEnv } from '../drivers/bridge-apply.js';
import { setupVlan } from '../drivers/vlan-apply.js';
import type { UndoStack as Undo } from '../lib/undo.js';
import { UndoStack } from '../lib/undo.js';
import { statusBlock, type StatusBlock } from './status.js';
import { requireConfigDir, type Context } from './context.js';
import { commitDns, checkDnsLoop } from './dns.js';
import { bridgePlans, dhcpCallContext, firewallFor, loadOptions, lockPath, planAll, pluginInput } from './plan.js';

export async function setup(ctx: Context, nsPath: string, input: string): Promise<Record<string, StatusBlock>> {
  const configDir = requireConfigDir(ctx, 'setup');
  // netavark checks the namespace path before it looks at the options
  const ns = openNetns(nsPath);
  try {
    const opts = loadOptions(input);
    for (const w of opts.warnings) ctx.log.warn(w);
    const plans = await planAll(opts, ctx);
    // netavark has made the DNS config dir by the time it rejects a loop; tools expect it (empty)
    if (bridgePlans(plans).some((p) => p.dns)) mkdirSync(join(configDir, 'aardvark-dns'), { recursive: true });
    checkDnsLoop(bridgePlans(plans), opts);
    const fw = await firewallFor(plans, ctx, configDir);
    return await withLock(lockPath(configDir), () => applySetup(ctx, configDir, opts, plans, ns, nsPath, fw));
  } finally {
    ns.close();
  }
}

async function applySetup(
  ctx: Context,
  configDir: string,
  opts: NetworkOptions,
  plans: AttachmentPlan[],
  ns: NetnsHandle,
  nsPath: string,
  fw: FirewallDriver | undefined,
): Promise<Record<string, StatusBlock>> {
  const { log } = ctx;
  const host = await openNetlink();
  const ctr = await openNetlinkIn(ns);
  const undo = new UndoStack();
  const result: Record<string, StatusBlock> = {};
  const dnsBindIps = new Map<string, string[]>();
  let current = '';
  try {
    // it is safe to assume that ifindex 1 is the container's loopback
    const lo = await ctr.getLinkByIndex(1);
    if (lo && !lo.up) await ctr.setUp(1);
    for (const plan of plans) {
      current = plan.attachment.name;
      const env: ApplyEnv = { host, ctr, ns, log };
      switch (plan.driver) {
        case 'bridge':
          result[current] = await setupBridgeAttachment(plan, env, undo, fw, dnsBindIps, opts, nsPath);
          break;
        case 'macvlan':
        case 'ipvlan': {
          const { mac } = await setupVlan(plan, env, undo);
          result[current] = statusBlock(await withLease(plan, mac, env, undo, opts, nsPath), mac);
          break;
        }
        case 'plugin': {
          const { pluginSetup, pluginTeardown } = await import('../drivers/plugin.js');
          const input = pluginInput(opts, plan);
          const sb = await pluginSetup(plan.path, nsPath, input);
          undo.push(`tear down plugin network ${current}`, () => pluginTeardown(plan.path, nsPath, input));
          result[current] = sb as StatusBlock;
          break;
        }
      }
    }
    current = '';
    await commitDns(ctx, configDir, opts, bridgePlans(plans), dnsBindIps);
  } catch (e) {
    await undo.run(log);
    // netavark prints the driver's error as is; which network failed goes to the debug log
    throw current ? annotate(`setup network ${current}`, e) : e;
  } finally {
    host.close();
    ctr.close();
  }
  return result;
}

async function setupBridgeAttachment(
  plan: BridgePlan,
  env: ApplyEnv,
  undo: Undo,
  fw: FirewallDriver | undefined,
  dnsBindIps: Map<string, string[]>,
  opts: NetworkOptions,
  nsPath: string,
): Promise<StatusBlock> {
  const r = await setupBridge(plan, env, undo);
  const leased = await withLease(plan, r.mac, env, undo, opts, nsPath);
  if (fw && plan.firewall) {
    const net = plan.firewall;
    await fw.setupNetwork(net);
    if (r.createdBridge) undo.push(`remove firewall rules of network ${net.networkName}`, () => fw.teardownNetwork(net, { complete: true }));
    if (plan.ports) {
      const pf = plan.ports;
      await fw.setupPorts(pf);
      undo.push(`remove port forwards of network ${net.networkName}`, () => fw.teardownPorts(pf));
    }
  }
  // unmanaged bridges: DNS listens on whatever addresses the bridge has
  if (plan.dns && !plan.managed) dnsBindIps.set(plan.attachment.name, r.bridgeIps);
  return statusBlock(leased, r.mac, plan.dns && !plan.managed ? r.bridgeIps : undefined);
}

/** IPAM dhcp: the lease from the proxy becomes the interface's address and the status (src/dhcp/attach.ts). */
async function withLease<P extends DhcpAttachable>(plan: P, mac: string, env: ApplyEnv, undo: Undo, opts: NetworkOptions, nsPath: string): Promise<P> {
  if (!plan.dhcp || !env.ctr) return plan;
  const { setupDhcp } = await import('../dhcp/attach.js');
  const link = await env.ctr.getLink(plan.containerIf);
  if (!link) throw new SkiffError(`interface ${plan.containerIf} is missing in the container namespace`);
  const status = await setupDhcp(plan, env.ctr, link.index, mac, dhcpCallContext(opts, nsPath), undo);
  return { ...plan, status };
}

