// Carries out a VlanPlan: the macvlan/ipvlan link is created on the host's
// parent and lands directly in the container namespace in the same request.
import { ConfigError, NetlinkError, SkiffError, wrap } from '../lib/errors.js';
import type { Netlink } from '../netlink/netlink.js';
import type { UndoStack } from '../lib/undo.js';
import { defaultRouteLink } from './bridge-apply.js';
import type { ApplyEnv } from './driver.js';
import { configureContainerLink, removeLinklessRoutes } from './container-link.js';
import type { VlanPlan } from './vlan-plan.js';

async function parentLink(plan: VlanPlan, host: Netlink): Promise<{ index: number; name: string }> {
  const where = `network_info.${plan.attachment.name}.network_interface`;
  if (plan.parent) {
    const l = await host.getLink(plan.parent);
    if (!l) throw new ConfigError(`${where}: parent interface ${plan.parent} does not exist on the host`);
    return l;
  }
  const l = await defaultRouteLink(host);
  if (!l) {
    throw new ConfigError(`${where}: no parent interface given and the host has no default route to take it from`, {
      hint: 'Set the parent with `podman network create -d macvlan -o parent=<iface>`',
    });
  }
  return l;
}

export async function setupVlan(plan: VlanPlan, env: ApplyEnv, undo: UndoStack): Promise<{ mac: string }> {
  const { host, ctr, ns, log } = env;
  if (!ctr || !ns) throw new SkiffError('container namespace is not open');
  const parent = await parentLink(plan, host);
  if (await ctr.getLink(plan.containerIf)) {
    throw new SkiffError(`create ${plan.driver}: interface ${plan.containerIf} already exists on container namespace`);
  }
  try {
    await host.createVlanLink({
      kind: plan.driver,
      name: plan.containerIf,
      parent: parent.index,
      netnsFd: ns.fd,
      mode: plan.mode,
      ...(plan.mtu ? { mtu: plan.mtu } : {}),
      ...(plan.containerMac ? { mac: plan.containerMac } : {}),
      ...(plan.bcCutoff !== undefined ? { bcQueueLenOrCutoff: plan.bcCutoff } : {}),
    });
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 'EINVAL' && plan.driver === 'macvlan') {
      throw wrap(`create macvlan on ${parent.name}`, e, { hint: `is ${parent.name} a link that can carry a macvlan (not a bridge port or another macvlan in passthru mode)?` });
    }
    throw wrap(`create ${plan.driver} on ${parent.name}`, e);
  }
  undo.push(`delete ${plan.driver} ${plan.containerIf}`, () => ctr.deleteLink(plan.containerIf));
  const link = await ctr.getLink(plan.containerIf);
  if (!link) throw new SkiffError(`interface ${plan.containerIf} is missing in the container namespace after creating it`);
  await configureContainerLink(ctr, ns, link.index, plan, log);
  return { mac: link.mac ?? '' };
}

export async function teardownVlan(plan: VlanPlan, env: ApplyEnv): Promise<void> {
  const { ctr } = env;
  if (!ctr) return; // the namespace, and the link with it, is gone
  await removeLinklessRoutes(ctr, plan.routes, plan.containerAddrs);
  await ctr.deleteLink(plan.containerIf);
}
