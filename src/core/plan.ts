// What setup, teardown and `setup --dry-run` share before they change
// anything: the options read and checked, one plan per attachment, the
// firewall driver the plans need, the lock, and what plugins and the DHCP
// proxy are told.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import type { DhcpCallContext } from '../dhcp/attach.js';
import { parseNetworkOptions, type NetworkOptions } from '../../schemas/network-options.js';
import { selectFirewallDriver } from '../../firewall/select.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import { planAttachment } from '../drivers/registry.js';
import type { AttachmentPlan, BridgePlan, PlanContext, PluginPlan } from '../drivers/plan.js';
import type { Context } from './context.js';

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

export function dhcpCallContext(opts: NetworkOptions, nsPath: string): DhcpCallContext {
  // Podman before 4.5 sends no container_hostname: the name then stands in, when it is a valid host name
  const name = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(opts.containerName) ? opts.containerName : '';
  return { nsPath, containerId: opts.containerId, hostName: opts.containerHostname ?? name };
}
