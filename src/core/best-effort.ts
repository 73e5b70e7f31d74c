// What every teardown path shares (`skiff teardown`, CNI DEL): steps that run
// even when an earlier one failed, their errors reported together at the end,
// and netlink handles to the host and to a container namespace that may
// already be gone.
import { SkiffError, throwCollected, toError, wrap } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import { openNetlink } from '../netlink/rtnl.js';
import { openNetlinkIn, openNetns, type NetnsHandle } from '../netlink/netns.js';
import type { Netlink } from '../netlink/netlink.js';
import type { Attempt } from '../drivers/driver.js';

/** Collects the failures of best-effort steps; `finish()` throws them together (MultiError when several). */
export class BestEffort {
  private readonly errors: Error[] = [];

  readonly attempt: Attempt = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      this.errors.push(e instanceof SkiffError ? wrap(what, e) : new Error(`${what}: ${toError(e).message}`));
    }
  };

  readonly finish = (): void => {
    throwCollected(this.errors);
  };
}

/** The container namespace, or undefined (logged) when it is gone: the host side is cleaned up anyway. */
export function openNetnsIfPresent(nsPath: string, log: Log, level: 'warn' | 'info' = 'warn'): NetnsHandle | undefined {
  if (nsPath === '') return undefined;
  try {
    return openNetns(nsPath);
  } catch (e) {
    log[level](`container namespace ${nsPath} is gone, cleaning up the host side only: ${(e as Error).message}`);
    return undefined;
  }
}

/** Runs `fn` with a host netlink handle and, when the namespace opens, a container one; both closed after. */
export async function withTeardownNetlinks(
  ns: NetnsHandle | undefined,
  attempt: Attempt,
  fn: (host: Netlink, ctr: Netlink | undefined) => Promise<void>,
): Promise<void> {
  const host = await openNetlink();
  let ctr: Netlink | undefined;
  try {
    if (ns) {
      const handle = ns;
      await attempt('open the container namespace', async () => {
        ctr = await openNetlinkIn(handle);
      });
    }
    await fn(host, ctr);
  } finally {
    host.close();
    (ctr as Netlink | undefined)?.close();
  }
}
