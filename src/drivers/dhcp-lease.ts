// IPAM dhcp for the drivers that support it (unmanaged bridge, macvlan): once
// the driver has made the container's interface, the proxy leases its address
// (src/dhcp/attach.ts, loaded only when a network uses DHCP).
import type { NetworkOptions } from '../../schemas/network-options.js';
import { SkiffError } from '../lib/errors.js';
import type { UndoStack } from '../lib/undo.js';
import type { DhcpAttachable, DhcpCallContext } from '../dhcp/attach.js';
import type { ApplyEnv, CallEnv } from './driver.js';

export function dhcpCallContext(opts: NetworkOptions, nsPath: string): DhcpCallContext {
  // Podman before 4.5 sends no container_hostname: the name then stands in, when it is a valid host name
  const name = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(opts.containerName) ? opts.containerName : '';
  return { nsPath, containerId: opts.containerId, hostName: opts.containerHostname ?? name };
}

/** The plan with the lease's address, gateway and DNS as its status; the plan itself without DHCP. */
export async function withLease<P extends DhcpAttachable>(plan: P, mac: string, env: CallEnv, undo: UndoStack): Promise<P> {
  if (!plan.dhcp || !env.ctr) return plan;
  const { setupDhcp } = await import('../dhcp/attach.js');
  const link = await env.ctr.getLink(plan.containerIf);
  if (!link) throw new SkiffError(`interface ${plan.containerIf} is missing in the container namespace`);
  const status = await setupDhcp(plan, env.ctr, link.index, mac, dhcpCallContext(env.opts, env.nsPath), undo);
  return { ...plan, status };
}

/** The proxy releases the lease of the interface's MAC (needs the interface to learn it). */
export async function releaseLease(plan: DhcpAttachable, env: ApplyEnv & Pick<CallEnv, 'opts' | 'nsPath'>): Promise<void> {
  const link = env.ctr ? await env.ctr.getLink(plan.containerIf) : undefined;
  if (!link?.mac) {
    env.log.warn(`interface ${plan.containerIf} is gone: cannot tell the DHCP proxy which lease to release`);
    return;
  }
  const { teardownDhcp } = await import('../dhcp/attach.js');
  await teardownDhcp(plan, link.mac, dhcpCallContext(env.opts, env.nsPath));
}
