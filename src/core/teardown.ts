// `skiff teardown NETNS`: best effort and idempotent. Every step runs even when
// an earlier one failed; "already gone" counts as success; the errors are
// reported together at the end. Each network is torn down by its driver.
import { withLock } from '../lib/lock.js';
import { requireConfigDir, type Context } from './context.js';
import { firewallFor, loadOptions, lockPath, planAll, plansOf } from './plan.js';
import { removeDns } from './dns.js';
import { BestEffort, openNetnsIfPresent, withTeardownNetlinks } from './best-effort.js';

export async function teardown(ctx: Context, nsPath: string, input: string): Promise<void> {
  const { log } = ctx;
  const configDir = requireConfigDir(ctx, 'teardown');
  const opts = loadOptions(input);
  const planned = await planAll(opts, ctx);
  const plans = plansOf(planned);
  // the container may already be gone: still clean up the host side (rules, DNS, bridge)
  const ns = openNetnsIfPresent(nsPath, log);
  const fw = await firewallFor(plans, ctx, configDir);
  const { attempt, finish } = new BestEffort();
  try {
    await withLock(lockPath(configDir), async () => {
      // names go first, so no container resolves an address that is being removed
      await attempt('remove DNS entries', () => removeDns(ctx, configDir, opts, plans));
      await withTeardownNetlinks(ns, attempt, async (host, ctr) => {
        for (const attachment of planned) {
          await attachment.teardown({ host, ctr, ns, log, nsPath, opts, firewall: fw, attempt });
        }
      });
    });
  } finally {
    ns?.close();
  }
  finish();
}
