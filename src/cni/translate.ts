// PURE: a CNI configuration plus the IPAM result, turned into the input of
// Skiff's own bridge driver (an Attachment) and then into its BridgePlan. The
// bridge, veth, address, route, sysctl and firewall decisions are the same
// code `skiff setup` runs; this file only maps the reference bridge plugin's
// keys onto them.
import { createHash } from 'node:crypto';
import { firstHost, parseCidr } from '../../schemas/ip.js';
import type { Attachment, Network } from '../../schemas/network-options.js';
import { planBridge, type BridgePlan } from '../drivers/bridge-plan.js';
import type { PlanContext } from '../drivers/plan.js';
import type { NetConf } from './config.js';
import type { CniEnv } from './env.js';
import { hasDns, type CniRoute, type Result, type ResultIp } from './result.js';

/** Stable per network name: the firewall state and nft elements are keyed by it. */
export function networkId(name: string): string {
  return createHash('sha256').update(`skiff-cni:${name}`).digest('hex');
}

/**
 * The host end of the veth, derived from the attachment: DEL finds it without
 * any saved state, also when the container's netns (and so its peer) is gone.
 */
export function hostVethName(containerId: string, ifName: string, network: string): string {
  return `veth${createHash('sha256').update(`${network}\0${containerId}\0${ifName}`).digest('hex').slice(0, 10)}`;
}

export interface CniPlan {
  plan: BridgePlan;
  /** our addresses, with the gateway the result reports */
  ips: ResultIp[];
  /** routes the container gets, as the result lists them */
  routes: CniRoute[];
  /** the host end of the veth (always named by us, see hostVethName) */
  hostVeth: string;
}

/**
 * IPAM routes without "gw" go via the gateway of their family (as the
 * reference plugins' ipam.ConfigureIface does); isDefaultGateway adds a
 * default route per family unless IPAM already gave one.
 */
export function containerRoutes(conf: NetConf, ips: ResultIp[], ipamRoutes: CniRoute[]): CniRoute[] {
  const gwOf = (family: 4 | 6) => ips.find((i) => i.family === family && i.gateway)?.gateway;
  const out: CniRoute[] = [];
  for (const r of ipamRoutes) {
    const family = r.dst.includes(':') ? 6 : 4;
    const gw = r.gw ?? gwOf(family);
    out.push({ ...r, ...(gw ? { gw } : {}) });
  }
  if (conf.isDefaultGateway) {
    for (const family of [4, 6] as const) {
      const gw = gwOf(family);
      const dst = family === 4 ? '0.0.0.0/0' : '::/0';
      if (gw && !out.some((r) => r.dst === dst)) out.push({ dst, gw });
    }
  }
  return out;
}

/** Our IPs with the gateway filled in when we are the gateway and IPAM named none (first host, as the reference does). */
export function resultIps(conf: NetConf, ipam: Result | undefined): ResultIp[] {
  return (ipam?.ips ?? []).map((x) => ({
    ...x,
    gateway: x.gateway ?? (conf.isGateway ? firstHost(parseCidr(x.subnet)!) : undefined),
    interface: 2, // [bridge, host veth, container interface]
  }));
}

export function toAttachment(conf: NetConf, env: CniEnv, ips: ResultIp[], routes: CniRoute[], hostVeth: string): Attachment {
  const subnets: { subnet: string; gateway?: string }[] = [];
  for (const x of ips) {
    if (subnets.some((s) => s.subnet === x.subnet)) continue;
    subnets.push({ subnet: x.subnet, ...(conf.isGateway && x.gateway ? { gateway: x.gateway } : {}) });
  }
  const options: Record<string, string> = {
    isolate: conf.isolate,
    // default routes are decided here (isDefaultGateway), not by the bridge driver
    no_default_route: 'true',
  };
  if (conf.mtu) options['mtu'] = String(conf.mtu);
  if (conf.vlan) options['vlan'] = String(conf.vlan);
  const network: Network = {
    name: conf.name,
    id: networkId(conf.name),
    driver: 'bridge',
    network_interface: conf.bridge,
    subnets: subnets.map((s) => ({ ...s, lease_range: undefined })),
    routes: routes.map((r) => ({
      destination: r.dst,
      ...(r.gw ? { gateway: r.gw } : {}),
      ...(r.priority !== undefined ? { metric: r.priority } : {}),
      route_type: 'unicast' as const,
    })),
    ipv6_enabled: ips.some((x) => x.family === 6),
    internal: false,
    dns_enabled: false,
    network_dns_servers: [],
    // addresses come from the CNI IPAM plugin; the driver must not want its own
    ipam_options: { driver: 'none' },
    options,
  };
  return {
    name: conf.name,
    network,
    opts: {
      interface_name: env.ifName,
      static_ips: ips.map((x) => x.ip),
      static_mac: conf.mac,
      aliases: [],
      options: { host_interface_name: hostVeth },
    },
    path: conf.name,
    staticIps: ips.map((x) => x.ip),
    aliases: [],
  };
}

export function planCni(conf: NetConf, env: CniEnv, ipam: Result | undefined, dnsPort = 53): CniPlan {
  const ips = resultIps(conf, ipam);
  const routes = containerRoutes(conf, ips, ipam?.routes ?? []);
  const hostVeth = hostVethName(env.containerId, env.ifName, conf.name);
  const att = toAttachment(conf, env, ips, routes, hostVeth);
  const ctx: PlanContext = {
    containerId: env.containerId,
    containerName: env.containerId,
    portMappings: conf.portMappings,
    dnsServers: [],
    dnsAvailable: false,
    dnsPort,
    rootless: false,
    // CNI hosts (kubelet, containerd) own their sysctl persistence
    systemd: false,
  };
  const plan = planBridge(att, ctx);
  if (plan.firewall) {
    // subnets known from the IPAM configuration (host-local ranges) cover every
    // container of the network, not just this one's address
    for (const s of conf.ipamSubnets) if (!plan.firewall.subnets.includes(s)) plan.firewall.subnets.push(s);
    plan.firewall.masquerade = conf.ipMasq;
    plan.firewall.noNatDestinations = conf.clusterCidrs;
  }
  return { plan, ips, routes, hostVeth };
}

/** The result of our part: [bridge, host veth, container interface] and our IPs/routes. */
export function buildResult(
  conf: NetConf,
  p: CniPlan,
  macs: { bridge: string | undefined; hostVeth: string | undefined; container: string | undefined },
  netns: string,
  ipamDns: Result['dns'],
): Result {
  const dns = hasDns(conf.runtimeDns) ? conf.runtimeDns : hasDns(conf.dns) ? conf.dns : ipamDns;
  return {
    interfaces: [
      { name: p.plan.bridge, ...(macs.bridge ? { mac: macs.bridge } : {}) },
      { name: p.hostVeth, ...(macs.hostVeth ? { mac: macs.hostVeth } : {}) },
      { name: p.plan.containerIf, ...(macs.container ? { mac: macs.container } : {}), sandbox: netns },
    ],
    ips: p.ips,
    routes: p.routes,
    dns,
  };
}
