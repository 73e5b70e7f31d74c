// When a renewal brings a different address, mask or gateway, the container's
// interface and default route follow it (netavark's update_lease_ip). The
// default route keeps the metric setup gave it.
import { openNetlinkIn, openNetns } from '../netlink/netns.js';
import type { DhcpLease } from './client.js';
import { maskToPrefix } from './packet.js';

export interface LeaseChange {
  addressChanged: boolean;
  gatewayChanged: boolean;
}

export function leaseChange(a: DhcpLease, b: DhcpLease): LeaseChange {
  return {
    addressChanged: a.yiaddr !== b.yiaddr || a.subnetMask !== b.subnetMask,
    gatewayChanged: (a.gateways[0] ?? '') !== (b.gateways[0] ?? ''),
  };
}

export function leaseCidr(l: DhcpLease): string {
  return `${l.yiaddr}/${maskToPrefix(l.subnetMask)}`;
}

export async function updateLeaseInNetns(nsPath: string, ifname: string, old: DhcpLease, next: DhcpLease): Promise<void> {
  const change = leaseChange(old, next);
  if (!change.addressChanged && !change.gatewayChanged) return;
  const ns = openNetns(nsPath);
  try {
    const nl = await openNetlinkIn(ns);
    try {
      const link = await nl.getLink(ifname);
      if (!link) throw new Error(`interface ${ifname} is gone from ${nsPath}`);
      const oldGw = old.gateways[0];
      const newGw = next.gateways[0];
      // the metric setup chose; the kernel's default (0) when there was no route
      const oldRoute = oldGw ? (await nl.routes(4)).find((r) => r.destination === '0.0.0.0/0' && r.gateway === oldGw) : undefined;
      if (change.addressChanged) {
        // old first: deleting a primary address takes the secondaries of its
        // subnet with it, and the new one would be such a secondary
        await nl.deleteAddress({ linkIndex: link.index, cidr: leaseCidr(old) });
        await nl.addAddress({ linkIndex: link.index, cidr: leaseCidr(next) });
      }
      if (change.gatewayChanged || change.addressChanged) {
        if (oldGw) await nl.deleteRoute({ destination: '0.0.0.0/0', gateway: oldGw, ...(oldRoute?.metric !== undefined ? { metric: oldRoute.metric } : {}) });
        // no route before (no_default_route): none after
        if (newGw && (oldRoute || !oldGw)) await nl.addRoute({ destination: '0.0.0.0/0', gateway: newGw, linkIndex: link.index, ...(oldRoute?.metric !== undefined ? { metric: oldRoute.metric } : {}) });
      }
    } finally {
      nl.close();
    }
  } finally {
    ns.close();
  }
}
