// What setup, teardown and `setup --dry-run` share before they change
// anything: the options read and checked, one plan per attachment (each bound
// to its driver), the firewall driver the plans need, and the lock.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { parseNetworkOptions, type NetworkOptions } from '../../schemas/network-options.js';
import { selectFirewallDriver } from '../../firewall/select.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import { planAttachment, type PlannedAttachment } from '../drivers/registry.js';
import type { PlanBase, PlanContext } from '../drivers/plan.js';
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

export async function planAll(opts: NetworkOptions, ctx: Context): Promise<PlannedAttachment[]> {
  const pctx = planContext(opts, ctx);
  if (!pctx.dnsAvailable && opts.attachments.some((a) => a.network.dns_enabled)) {
    ctx.log.info(`dns disabled because the DNS server ${ctx.dnsBinary} does not exist`);
  }
  const plans: PlannedAttachment[] = [];
  for (const a of opts.attachments) plans.push(await planAttachment(a, pctx, ctx.pluginDirs));
  return plans;
}

/** The plans' data, for what looks at all attachments at once (DNS entries, the loop check). */
export function plansOf(planned: readonly PlannedAttachment[]): PlanBase[] {
  return planned.map((p) => p.plan);
}

export function lockPath(configDir: string): string {
  return join(configDir, 'skiff.lock');
}

export async function firewallFor(plans: readonly PlanBase[], ctx: Context, configDir: string): Promise<FirewallDriver | undefined> {
  if (!plans.some((p) => p.firewall)) return undefined;
  return selectFirewallDriver(ctx.firewallDriver, { configDir, rootless: ctx.rootless });
}
