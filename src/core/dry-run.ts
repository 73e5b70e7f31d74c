// `skiff setup --dry-run`: everything setup would do, as data, with nothing
// changed — the plans (links, addresses, routes, sysctls, DNS entries) and
// the exact nftables batches. Useful to review what Skiff will do to a host
// that has its own firewall and to debug a network definition.
import type { PlanBase } from '../drivers/plan.js';
import type { Context } from './context.js';
import { loadOptions, planAll, plansOf } from './plan.js';
import { checkDnsLoop } from './dns.js';

function describe(p: PlanBase): Record<string, unknown> {
  const { attachment, ...rest } = p;
  return { network: attachment.name, ...rest };
}

export async function dryRunSetup(ctx: Context, input: string): Promise<Record<string, unknown>> {
  const opts = loadOptions(input);
  for (const w of opts.warnings) ctx.log.warn(w);
  const plans = plansOf(await planAll(opts, ctx));
  checkDnsLoop(plans, opts);
  const firewall: { what: string; batch: unknown }[] = [];
  if (ctx.firewallDriver === 'nftables') {
    const { dryRunNftablesDriver } = await import('../../firewall/nftables/dry-run.js');
    const { driver, batches } = dryRunNftablesDriver();
    for (const p of plans) {
      if (!p.firewall) continue;
      await driver.setupNetwork(p.firewall);
      if (p.ports) await driver.setupPorts(p.ports);
    }
    firewall.push(...batches);
  }
  return {
    dry_run: true,
    firewall_driver: ctx.firewallDriver,
    networks: plans.map(describe),
    firewall,
  };
}
