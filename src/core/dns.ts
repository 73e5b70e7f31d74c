// Bridges the setup/teardown orchestrators and the DNS server wiring
// (src/dns-feed): which entries to write, loop checks. The wiring module is
// loaded only when a network actually has DNS enabled.
import { ConfigError, wrap } from '../lib/errors.js';
import type { NetworkOptions } from '../../schemas/network-options.js';
import type { PlanBase } from '../drivers/plan.js';
import type { Context } from './context.js';

type Wiring = typeof import('../dns-feed/feed.js');
let wiring: Wiring | undefined;
async function load(): Promise<Wiring> {
  return (wiring ??= await import('../dns-feed/feed.js'));
}

function dnsContext(ctx: Context, configDir: string) {
  return { configDir, dnsPort: ctx.dnsPort, binary: ctx.dnsBinary, rootless: ctx.rootless };
}

/** A DNS server that is one of the gateways would forward to itself forever. */
export function checkDnsLoop(plans: readonly PlanBase[], opts: NetworkOptions): void {
  const gateways = new Map<string, string>();
  for (const p of plans) for (const g of p.firewall?.gateways ?? []) gateways.set(g, p.attachment.name);
  const loop = (server: string, net: string, field: string): ConfigError =>
    new ConfigError(`dns server ${server} is the gateway of network ${net}, which would cause aardvark-dns to forward queries to itself`, {
      detail: field,
    });
  for (const server of opts.dnsServers) {
    const net = gateways.get(server);
    if (net) throw loop(server, net, 'dns_servers');
  }
  for (const p of plans) {
    for (const server of p.dns?.networkDnsServers ?? []) {
      const net = gateways.get(server);
      if (net) throw loop(server, net, `network_info.${p.attachment.name}.network_dns_servers`);
    }
  }
}

export async function commitDns(ctx: Context, configDir: string, opts: NetworkOptions, plans: readonly PlanBase[], bindIps: Map<string, string[]>): Promise<void> {
  const entries = plans.flatMap((p) =>
    p.dns
      ? [
          {
            network: p.dns.network,
            internal: p.dns.internal,
            bindIps: bindIps.get(p.dns.network) ?? p.dns.bindIps,
            networkDnsServers: p.dns.networkDnsServers,
            containerId: opts.containerId,
            ipv4: p.dns.ipv4,
            ipv6: p.dns.ipv6,
            names: p.dns.names,
            containerDnsServers: opts.dnsServers,
          },
        ]
      : [],
  );
  if (entries.length === 0) return;
  try {
    await (await load()).commitDnsEntries(dnsContext(ctx, configDir), entries);
  } catch (e) {
    // netavark's prefix for every failure here
    throw wrap('error while applying dns entries', e);
  }
}

export async function removeDns(ctx: Context, configDir: string, opts: NetworkOptions, plans: readonly PlanBase[]): Promise<void> {
  const networks = plans.flatMap((p) => (p.dns ? [{ name: p.dns.network, internal: p.dns.internal }] : []));
  if (networks.length === 0) return;
  await (await load()).removeDnsEntries(dnsContext(ctx, configDir), opts.containerId, networks);
}

export async function updateDnsServers(ctx: Context, configDir: string, network: string, servers: string[]): Promise<void> {
  await (await load()).updateNetworkDnsServers(dnsContext(ctx, configDir), network, servers);
}
