// The container side of every built-in driver, once its link exists in the
// container namespace: sysctls, addresses, up, routes (in that order: IPv6
// DAD must be off before addresses arrive, routes need the link up).
import { SkiffError, wrap } from '../lib/errors.js';
import { errnoNumber, errnoText } from '../netlink/wire.js';
import type { Log } from '../lib/log.js';
import type { Netlink } from '../netlink/netlink.js';
import { runInNetns, type NetnsHandle } from '../netlink/netns.js';
import { writeSysctl } from '../netlink/sysctl.js';
import type { PlannedRoute, Sysctl } from './plan.js';
import { cidrContains, parseCidr, parseIp } from '../../schemas/ip.js';

export function applySysctls(list: Sysctl[], log: Log): void {
  for (const s of list) {
    try {
      if (writeSysctl(s.key, s.value) === 'changed') log.debug(`set sysctl ${s.key}=${s.value}`);
    } catch (e) {
      const code = (e as { errno?: string; code?: string }).errno ?? (e as NodeJS.ErrnoException).code;
      if (s.optional && (code === 'ENOENT' || code === 'EROFS')) continue;
      // netavark's text: `set sysctl net/ipv4/ip_forward: IO error: Read-only file system (os error 30)`
      const n = code === undefined ? undefined : errnoNumber(code);
      if (n !== undefined) throw new SkiffError(`set sysctl ${s.key}: IO error: ${errnoText(n)}`, { cause: e, detail: `value ${s.value}` });
      throw wrap(`set sysctl ${s.key}=${s.value}`, e);
    }
  }
}

export interface ContainerLinkPlan {
  containerSysctls: Sysctl[];
  containerAddrs: string[];
  routes: PlannedRoute[];
}

export async function configureContainerLink(ctr: Netlink, ns: NetnsHandle, linkIndex: number, plan: ContainerLinkPlan, log: Log): Promise<void> {
  runInNetns(ns, () => applySysctls(plan.containerSysctls, log));
  for (const cidr of plan.containerAddrs) await ctr.addAddress({ linkIndex, cidr });
  await ctr.setUp(linkIndex);
  for (const r of plan.routes) {
    try {
      await ctr.addRoute(pinnedToLink(r, plan.containerAddrs) ? { ...r, linkIndex } : r);
    } catch (e) {
      throw wrap(`add route ${r.destination}${r.gateway ? ` via ${r.gateway}` : ''} in the container`, e);
    }
  }
}

/**
 * A unicast route goes out through this link when its gateway is on one of the
 * link's subnets (or it has none). A gateway elsewhere (a static route via
 * another interface of the container) is left to the kernel to resolve, as
 * netavark does: pinning `dev` would fail with "Network is unreachable".
 */
export function pinnedToLink(r: PlannedRoute, containerAddrs: readonly string[]): boolean {
  if (r.type !== undefined && r.type !== 'unicast') return false;
  if (!r.gateway) return true;
  const gw = parseIp(r.gateway);
  if (!gw) return true;
  return containerAddrs.some((a) => {
    const c = parseCidr(a);
    return c !== undefined && cidrContains(c, gw);
  });
}

/**
 * Routes that do not go away with the link: blackhole, unreachable, prohibit,
 * and static routes through another interface of the container.
 */
export async function removeLinklessRoutes(ctr: Netlink, routes: PlannedRoute[], containerAddrs: readonly string[]): Promise<void> {
  for (const r of routes) if (!pinnedToLink(r, containerAddrs)) await ctr.deleteRoute(r);
}
