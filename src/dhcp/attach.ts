// DHCP for one macvlan or unmanaged-bridge attachment during setup/teardown:
// once the driver made the container's interface (up, no address), the proxy
// gets the lease; the address, default route and DNS come from it.
import type { Attachment } from '../../schemas/network-options.js';
import type { Netlink } from '../netlink/netlink.js';
import type { UndoStack } from '../lib/undo.js';
import { SkiffError, wrap } from '../lib/errors.js';
import { proxySocketPath, type ProtoLease, type ProtoNetworkConfig } from './grpc.js';
import { getDhcpLease, releaseDhcpLease } from './proxy-client.js';
import { maskToPrefix } from './packet.js';

/** What the plan says about a DHCP attachment; undefined on the plan when IPAM is not dhcp. */
export interface DhcpPlan {
  /** metric of the default route via the lease's gateway; undefined: no default route */
  defaultRouteMetric: number | undefined;
  /** the user's DNS servers win over the lease's */
  userDns: boolean;
}

/** The StatusBlock fields a lease fills in (the shape of a driver plan's `status`). */
export interface LeaseStatus {
  subnets: { ipnet: string; gateway: string | null }[];
  dnsServerIps: string[];
  dnsSearchDomains: string[];
}

/** What a driver's plan offers for DHCP (bridge and macvlan plans have this shape). */
export interface DhcpAttachable {
  attachment: Attachment;
  containerIf: string;
  dhcp?: DhcpPlan | undefined;
  status: LeaseStatus;
}

export interface DhcpCallContext {
  nsPath: string;
  containerId: string;
  hostName: string;
  env?: NodeJS.ProcessEnv;
}

function networkConfig(p: DhcpAttachable, mac: string, c: DhcpCallContext): ProtoNetworkConfig {
  return {
    host_iface: p.attachment.network.network_interface ?? '',
    container_iface: p.containerIf,
    container_mac_addr: mac,
    domain_name: '',
    host_name: c.hostName,
    version: 'V4',
    ns_path: c.nsPath,
    container_id: c.containerId,
  };
}

function leaseStatus(p: DhcpAttachable, lease: ProtoLease): { cidr: string; status: DhcpAttachable['status'] } {
  let prefix: number;
  try {
    prefix = maskToPrefix(lease.subnet_mask);
  } catch (e) {
    throw new SkiffError(`unable to obtain lease: bad subnet mask ${JSON.stringify(lease.subnet_mask)}: ${(e as Error).message}`);
  }
  const cidr = `${lease.yiaddr}/${prefix}`;
  const gateway = lease.gateways[0] ?? null;
  return {
    cidr,
    status: {
      subnets: [{ ipnet: cidr, gateway }],
      dnsServerIps: p.dhcp?.userDns ? p.status.dnsServerIps : lease.dns_servers,
      dnsSearchDomains: p.dhcp?.userDns ? p.status.dnsSearchDomains : lease.domain_name ? [lease.domain_name] : [],
    },
  };
}

/**
 * Gets the lease for the attachment's interface (index `linkIndex` in `ctr`)
 * and applies it. Returns the status to report. On a later failure the undo
 * stack releases the lease.
 */
export async function setupDhcp(p: DhcpAttachable, ctr: Netlink, linkIndex: number, mac: string, c: DhcpCallContext, undo: UndoStack): Promise<DhcpAttachable['status']> {
  const path = proxySocketPath(c.env);
  const nc = networkConfig(p, mac, c);
  const lease = await getDhcpLease(path, nc);
  undo.push(`release DHCP lease of ${mac}`, () => releaseDhcpLease(path, nc));
  const { cidr, status } = leaseStatus(p, lease);
  await ctr.addAddress({ linkIndex, cidr });
  const gw = lease.gateways[0];
  if (gw && p.dhcp?.defaultRouteMetric !== undefined) {
    try {
      await ctr.addRoute({ destination: '0.0.0.0/0', gateway: gw, linkIndex, metric: p.dhcp.defaultRouteMetric });
    } catch (e) {
      throw wrap(`add route 0.0.0.0/0 via ${gw} in the container`, e);
    }
  }
  return status;
}

/** Releases the lease of the interface `mac` through the proxy. */
export async function teardownDhcp(p: DhcpAttachable, mac: string, c: DhcpCallContext): Promise<void> {
  await releaseDhcpLease(proxySocketPath(c.env), networkConfig(p, mac, c));
}
