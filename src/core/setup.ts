// `skiff setup NETNS`: validate every network, then set each up in input order;
// a failure part-way undoes everything this call did.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { annotate, ConfigError, SkiffError } from '../lib/errors.js';
import type { DhcpAttachable, DhcpCallContext } from '../dhcp/attach.js';
import { withLock } from '../lib/lock.js';
import { parseNetworkOptions, type NetworkOptions } from '../../configs/network-options.js';
import { selectFirewallDriver } from '../../firewall/select.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import { openNetlink } from '../netlink/rtnl.js';
import { openNetlinkIn, openNetns, type NetnsHandle } from '../netlink/netns.js';
import { planAttachment } from '../drivers/registry.js';
import type { AttachmentPlan, BridgePlan, PlanContext, PluginPlan } from '../drivers/plan.js';
import { setupBridge, type ApplyEnv } from '../drivers/bridge-apply.js';
import { setupVlan } from '../drivers/vlan-apply.js';
import type { UndoStack as Undo } from '../lib/undo.js';
import { UndoStack } from '../lib/undo.js';
import { statusBlock, type StatusBlock } from './status.js';
import { requireConfigDir, type Context } from './context.js';
import { commitDns, checkDnsLoop } from './dns.js';

export function loadOptions(text: string): NetworkOptions {
  const r = parseNetworkOptions(text);
  if (!r.ok) {
    // netavark's text where it has one; Skiff's field path goes to the debug log
    throw new ConfigError(r.netavark ?? `failed to load network options: ${r.error}`, { detail: r.error });
  }
  return r.value;
}

export function planContext(opts: NetworkOptions, ctx: Context): PlanContext {
  return {
    containerId: opts.containerId,
    containerName: opts.containerName,
    portMappings: opts.portMappings,
    dnsServers: opts.dnsServers,
    dnsAvailable: existsSync(ctx.dnsBinary),
    dnsPort: ctx.dnsPort,
    rootless: ctx.rootless,
    systemd: existsSync('/run/systemd/system'),
  };
}

export async function planAll(opts: NetworkOptions, ctx: Context): Promise<AttachmentPlan[]> {
  const pctx = planContext(opts, ctx);
  if (!pctx.dnsAvailable && opts.attachments.some((a) => a.network.dns_enabled)) {
    ctx.log.info(`dns disabled because the DNS server ${ctx.dnsBinary} does not exist`);
  }
  const plans: AttachmentPlan[] = [];
  for (const a of opts.attachments) plans.push(await planAttachment(a, pctx, ctx.pluginDirs));
  return plans;
}

export function bridgePlans(plans: AttachmentPlan[]): BridgePlan[] {
  return plans.filter((p): p is BridgePlan => p.driver === 'bridge');
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

export function lockPath(configDir: string): string {
  return join(configDir, 'skiff.lock');
}

export async function firewallFor(plans: AttachmentPlan[], ctx: Context, configDir: string): Promise<FirewallDriver | undefined> {
  if (!bridgePlans(plans).some((p) => p.firewall)) return undefined;
  return selectFirewallDriver(ctx.firewallDriver, { configDir, rootless: ctx.rootless });
}

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

export function dhcpCallContext(opts: NetworkOptions, nsPath: string): DhcpCallContext {
  // Podman before 4.5 sends no container_hostname: the name then stands in, when it is a valid host name
  const name = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(opts.containerName) ? opts.containerName : '';
  return { nsPath, containerId: opts.containerId, hostName: opts.containerHostname ?? name };
}
