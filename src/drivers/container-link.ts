// The container side of every built-in driver, once its link exists in the
// container namespace: sysctls, addresses, up, routes (in that order: IPv6
// DAD must be off before addresses arrive, routes need the link up).
import { wrap } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import type { Netlink } from '../netlink/netlink.js';
import { runInNetns, type NetnsHandle } from '../netlink/netns.js';
import { writeSysctl } from '../netlink/sysctl.js';
import type { PlannedRoute, Sysctl } from './plan.js';

export function applySysctls(list: Sysctl[], log: Log): void {
  for (const s of list) {
    try {
      if (writeSysctl(s.key, s.value) === 'changed') log.debug(`set sysctl ${s.key}=${s.value}`);
    } catch (e) {
      const code = (e as { errno?: string; code?: string }).errno ?? (e as NodeJS.ErrnoException).code;
      if (s.optional && (code === 'ENOENT' || code === 'EROFS')) continue;
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
      await ctr.addRoute(r.type === undefined || r.type === 'unicast' ? { ...r, linkIndex } : r);
    } catch (e) {
      throw wrap(`add route ${r.destination}${r.gateway ? ` via ${r.gateway}` : ''} in the container`, e);
    }
  }
}

/** Routes that do not go away with the link (blackhole, unreachable, prohibit). */
export async function removeLinklessRoutes(ctr: Netlink, routes: PlannedRoute[]): Promise<void> {
  for (const r of routes) if (r.type && r.type !== 'unicast') await ctr.deleteRoute(r);
}
