// dnsAliases: the container's names served by skiff-dns on the network's
// gateways, through the same aardvark-dns config files and server lifecycle
// as `skiff setup` (src/dns-feed), kept under the CNI state directory.
import { defaultDnsBinary, parseDnsPort } from '../core/context.js';
import type { DnsContext } from '../dns-feed/feed.js';
import { DNS_SEARCH_DOMAIN } from '../drivers/bridge-plan.js';
import type { CniEnv } from './env.js';
import type { NetConf } from './config.js';
import type { CniPlan } from './translate.js';
import type { Dns } from './result.js';

export function dnsContextOf(stateDir: string, procEnv: NodeJS.ProcessEnv): DnsContext {
  return { configDir: stateDir, dnsPort: parseDnsPort(procEnv.NETAVARK_DNS_PORT), binary: procEnv.SKIFF_DNS_BINARY ?? defaultDnsBinary(), rootless: false };
}

/** The pod name (K8S_POD_NAME, which Podman's CNI backend also sets to the container name), then the aliases. */
export function dnsNames(conf: NetConf, env: CniEnv): string[] {
  const names = [env.args['K8S_POD_NAME'], ...conf.aliases].filter((n): n is string => !!n && !/[\s,]/.test(n));
  return [...new Set(names)];
}

/** Whether DNS is served for this attachment: asked for, and there is a gateway to listen on. */
export function dnsWanted(conf: NetConf, p: CniPlan): boolean {
  return conf.dnsAliases && (p.plan.firewall?.gateways.length ?? 0) > 0;
}

export async function commitCniDns(ctx: DnsContext, conf: NetConf, env: CniEnv, p: CniPlan): Promise<void> {
  const { commitDnsEntries } = await import('../dns-feed/feed.js');
  await commitDnsEntries(ctx, [
    {
      network: conf.name,
      internal: false,
      bindIps: p.plan.firewall?.gateways ?? [],
      networkDnsServers: [],
      containerId: env.containerId,
      ipv4: p.ips.filter((x) => x.family === 4).map((x) => x.ip),
      ipv6: p.ips.filter((x) => x.family === 6).map((x) => x.ip),
      names: dnsNames(conf, env),
      containerDnsServers: [],
    },
  ]);
}

export async function removeCniDns(ctx: DnsContext, conf: NetConf, containerId: string): Promise<void> {
  const { removeDnsEntries } = await import('../dns-feed/feed.js');
  await removeDnsEntries(ctx, containerId, [{ name: conf.name, internal: false }]);
}

/** The result's DNS when Skiff serves names: the gateways and the search domain. */
export function servedDns(p: CniPlan): Dns {
  return { nameservers: p.plan.firewall?.gateways ?? [], search: [DNS_SEARCH_DOMAIN] };
}
