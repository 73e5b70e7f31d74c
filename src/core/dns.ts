// Bridges the setup/teardown orchestrators and the DNS server wiring
// (src/dns-feed): which entries to write, loop checks. The wiring module is
// loaded only when a network actually has DNS enabled.
import { ConfigError, errorMessage, wrap } from '../lib/errors.js';
import type { NetworkOptions } from '../../schemas/network-options.js';
import type { PlanBase } from '../drivers/plan.js';
import type { UndoStack } from '../lib/undo.js';
import type { Log } from '../lib/log.js';
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

/**
 * The DNS step of one setup. It starts as soon as every DNS network of the
 * call has the addresses its server binds (the bridge driver says so through
 * ApplyEnv.dnsAddressesReady, before it makes the veth), so starting or
 * reloading the server overlaps the links and firewall rules still to come;
 * `finish()` waits for it at the end (and starts it then if no driver said).
 * Once started it has an undo step: the entries go again (the server is
 * reloaded, or stopped when they were its last), after the step has settled.
 */
export class DnsStep {
  private readonly waiting: Set<string>;
  private readonly bindIps = new Map<string, string[]>();
  private started: Promise<void> | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly configDir: string,
    private readonly opts: NetworkOptions,
    private readonly plans: readonly PlanBase[],
    private readonly undo: UndoStack,
    private readonly log: Log,
    private readonly commit: typeof commitDns = commitDns,
    private readonly remove: typeof removeDns = removeDns,
  ) {
    this.waiting = new Set(plans.flatMap((p) => (p.dns ? [p.dns.network] : [])));
  }

  /** The addresses network `name`'s server binds exist now (or `bindIps`, when the plan could not know them). */
  ready(name: string, bindIps?: string[]): void {
    if (bindIps) this.bindIps.set(name, bindIps);
    if (!this.waiting.delete(name) || this.waiting.size > 0 || this.started) return;
    this.start();
  }

  /** Waits for the step (starting it if no driver did), with the bind addresses setup returned. */
  async finish(bindIps: ReadonlyMap<string, string[]>): Promise<void> {
    if (!this.plans.some((p) => p.dns)) return;
    for (const [name, ips] of bindIps) if (!this.bindIps.has(name)) this.bindIps.set(name, ips);
    if (!this.started) this.start();
    await this.started;
  }

  private start(): void {
    const done = this.commit(this.ctx, this.configDir, this.opts, this.plans, this.bindIps);
    this.started = done;
    // awaited by finish(), or by the undo step when a later part of the setup fails first
    done.catch(() => {});
    this.undo.push('remove dns entries', async () => {
      try {
        await done;
      } catch (e) {
        // a failed start removed its lines itself
        this.log.debug(`dns step failed during a failed setup: ${errorMessage(e)}`);
        return;
      }
      await this.remove(this.ctx, this.configDir, this.opts, this.plans);
    });
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
