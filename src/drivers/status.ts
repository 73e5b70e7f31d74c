// The StatusBlock map printed by `setup`: one entry per network,
// exactly one interface each, addresses with the subnet prefix.
import type { StatusSubnet } from './plan.js';

/** What a built-in driver's plan knows about its result. */
export interface StatusSource {
  containerIf: string;
  status: { subnets: StatusSubnet[]; dnsServerIps: string[]; dnsSearchDomains: string[] };
}

export interface StatusBlock {
  dns_search_domains: string[];
  dns_server_ips: string[];
  interfaces: Record<string, { mac_address: string; subnets: { gateway?: string; ipnet: string }[] }>;
}

export function statusBlock(plan: StatusSource, mac: string, dnsServerIps = plan.status.dnsServerIps): StatusBlock {
  return {
    dns_search_domains: plan.status.dnsSearchDomains,
    dns_server_ips: dnsServerIps,
    interfaces: {
      [plan.containerIf]: {
        mac_address: mac.toLowerCase(),
        // key order and an absent (not null) gateway follow netavark's output
        subnets: plan.status.subnets.map((s) => (s.gateway ? { gateway: s.gateway, ipnet: s.ipnet } : { ipnet: s.ipnet })),
      },
    },
  };
}
