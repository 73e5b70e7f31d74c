// `skiff setup NETNS`: validate every network, then set each up in input order
// through its driver; a failure part-way undoes everything this call did.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { annotate } from '../lib/errors.js';
import { withLock } from '../lib/lock.js';
import type { NetworkOptions } from '../../schemas/network-options.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import { openNetlink } from '../netlink/rtnl.js';
import { openNetlinkIn, openNetns, type NetnsHandle } from '../netlink/netns.js';
import type { PlannedAttachment } from '../drivers/registry.js';
import type { StatusBlock } from '../drivers/status.js';
import { UndoStack } from '../lib/undo.js';
import { hintDnsStart } from '../lib/resident-hints.js';
import { requireConfigDir, type Context } from './context.js';
import { DnsStep, checkDnsLoop } from './dns.js';
import { firewallFor, loadOptions, lockPath, planAll, plansOf } from './plan.js';

export async function setup(ctx: Context, nsPath: string, input: string): Promise<Record<string, StatusBlock>> {
  const configDir = requireConfigDir(ctx, 'setup');
  // netavark checks the namespace path before it looks at the options
  const ns = openNetns(nsPath);
  try {
    const opts = loadOptions(input);
    for (const w of opts.warnings) ctx.log.warn(w);
    const planned = await planAll(opts, ctx);
    const plans = plansOf(planned);
    // netavark has made the DNS config dir by the time it rejects a loop; tools expect it (empty)
    if (plans.some((p) => p.dns)) mkdirSync(join(configDir, 'aardvark-dns'), { recursive: true });
    checkDnsLoop(plans, opts);
    // skiffd wakes its warm DNS server now, while the links are made (src/daemon/dns-zygote.ts)
    if (plans.some((p) => p.dns)) hintDnsStart();
    const fw = await firewallFor(plans, ctx, configDir);
    return await withLock(lockPath(configDir), () => applySetup(ctx, configDir, opts, planned, ns, nsPath, fw));
  } finally {
    ns.close();
  }
}

async function applySetup(
  ctx: Context,
  configDir: string,
  opts: NetworkOptions,
  planned: PlannedAttachment[],
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
  const dns = new DnsStep(ctx, configDir, opts, plansOf(planned), undo, log);
  let current = '';
  try {
    // it is safe to assume that ifindex 1 is the container's loopback
    const lo = await ctr.getLinkByIndex(1);
    if (lo && !lo.up) await ctr.setUp(1);
    for (const attachment of planned) {
      current = attachment.plan.attachment.name;
      const name = current;
      const env = { host, ctr, ns, log, nsPath, opts, firewall: fw, dnsAddressesReady: (ips?: string[]) => dns.ready(name, ips) };
      const r = await attachment.setup(env, undo);
      result[current] = r.status;
      if (r.dnsBindIps) dnsBindIps.set(current, r.dnsBindIps);
    }
    current = '';
    await dns.finish(dnsBindIps);
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
