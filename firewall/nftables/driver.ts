// The nftables driver: renders element changes (elements.ts) on top of the
// static table (rules.ts) and applies each change as one transaction (nft.ts).
// State files (../state.ts, root only) record what was added, so teardown and
// firewall-reload never need to list the ruleset.
import { errorMessage } from '../../src/lib/errors.js';
import { createLog } from '../../src/lib/log.js';
import type { FirewallContext, FirewallDriver, FirewallNetwork, PortForward } from '../firewall.js';
import { dedupe, describeKey, elementCmds, elementId, networkElements, portElements, removeCmds, type Element } from './elements.js';
import { deleteRule, describeChain, findDropChains, insertAccept, mapElements, ourRuleHandles } from './foreign.js';
import { FAMILY, TABLE, USER_CHAIN } from './layout.js';
import { batch, table, type NftCmd } from './nft-json.js';
import { NftError, nftRunner, type NftRunner } from './nft.js';
import { ensureSets, flushSets, skeleton } from './rules.js';
import { FirewallState } from '../state.js';

const log = createLog('firewall');

const key = (e: Element): string => `${e.set}|${JSON.stringify(e.key)}|${JSON.stringify(e.value)}`;
/** Elements of `old` that `now` no longer has (a network or container whose inputs changed). */
const stale = (old: Element[], now: Element[]): Element[] => {
  const keep = new Set(now.map(key));
  return old.filter((e) => !keep.has(key(e)));
};

export class NftablesDriver implements FirewallDriver {
  readonly name = 'nftables' as const;
  /** undefined in rootless mode: nothing is persisted there (the rootless netns dies with its rules). */
  private readonly state: FirewallState | undefined;

  constructor(ctx: FirewallContext, private readonly nft: NftRunner = nftRunner()) {
    this.state = ctx.rootless ? undefined : new FirewallState(ctx.configDir);
  }

  async setupNetwork(n: FirewallNetwork): Promise<void> {
    const els = networkElements(n); // validates before anything is touched
    const saved = this.state?.loadNetwork(n.networkId);
    const old = saved ? stale(safeElements(() => networkElements(saved)), els) : [];
    this.state?.writeDriverName('nftables');
    const unchanged = saved !== undefined && sameNetwork(saved, n);
    if (!unchanged) this.state?.saveNetwork(n);
    try {
      if (saved && old.length === 0 && (await this.tryFast(elementCmds('add', els), `network ${n.networkName} setup`))) return;
      // a new network, changed input, or a table that is gone: the full static part
      // (constant size) plus the network, and foreign drop chains looked for again
      const foreign = this.state ? await this.foreignAccepts() : [];
      await this.nft.apply(batch([...skeleton(), ...removeCmds(old), ...elementCmds('add', els), ...foreign]), `network ${n.networkName} setup`);
    } catch (e) {
      if (saved) this.state?.saveNetwork(saved);
      else {
        this.state?.removeNetwork(n.networkId);
        this.state?.removeDriverNameIfUnused();
      }
      throw e;
    }
  }

  /**
   * The common case, another container on a known network: only re-add the
   * network's elements, without `add table`, so the batch fails with ENOENT
   * when the table is gone (nft flush ruleset); then the caller rebuilds it.
   */
  private async tryFast(cmds: NftCmd[], what: string): Promise<boolean> {
    try {
      await this.nft.apply(batch(cmds), what);
      return true;
    } catch (e) {
      if (e instanceof NftError && e.errno === 'ENOENT') {
        log.info(`${what}: table inet ${TABLE} is missing or incomplete; rebuilding its static part`);
        return false;
      }
      throw e;
    }
  }

  async teardownNetwork(n: FirewallNetwork, o: { complete: boolean }): Promise<void> {
    if (!o.complete) return;
    const st = this.state;
    if (!st) {
      try {
        await this.nft.apply(batch(removeCmds(networkElements(n))), `network ${n.networkName} teardown`);
      } catch (e) {
        if (!(e instanceof NftError && e.errno === 'ENOENT')) throw e; // rootless: table gone, nothing to remove
      }
      return;
    }
    const saved = st.loadNetwork(n.networkId) ?? n;
    // ports still recorded for this network belong to containers whose own teardown failed
    const leftovers = st.portsOfNetwork(n.networkId);
    const els = [...safeElements(() => networkElements(saved)), ...leftovers.flatMap((p) => safeElements(() => portElements(p)))];
    // the state is the truth: drop it first, so that a failure below is healed by a reload from what remains
    st.removeNetwork(n.networkId);
    for (const p of leftovers) st.removePorts(n.networkId, p.containerId);

    const last = st.networkIds().length === 0;
    if (last) st.removeDriverNameIfUnused();
    try {
      if (last && !(await this.userChainInUse())) {
        await this.nft.apply(batch([table('add'), table('delete'), ...(await this.foreignRemovals())]), `network ${n.networkName} teardown (last network)`);
      } else {
        await this.nft.apply(batch([...ensureSets(), ...removeCmds(els)]), `network ${n.networkName} teardown`);
      }
    } catch (e) {
      log.warn(`removing the rules of network ${n.networkName} failed (${errorMessage(e)}); rebuilding the table from saved state`);
      await this.replay();
    }
  }

  // A container on several networks publishes the same host ports on each, but
  // a map key has one target: the network that published it first owns it, the
  // others' entries are recorded and take over when the owner goes.
  async setupPorts(p: PortForward): Promise<void> {
    const els = portElements(p); // validates (host ip, ranges, protocols) before anything is touched
    const st = this.state;
    const saved = st?.loadPorts(p.network.networkId, p.containerId);
    const claimed = new Set(this.otherNetworksPorts(p).map(elementId));
    const mine = els.filter((e) => !claimed.has(elementId(e)));
    const old = saved ? stale(safeElements(() => portElements(saved)), els).filter((e) => !claimed.has(elementId(e))) : [];
    st?.savePorts(p);
    const cmds = [...removeCmds(old), ...elementCmds('add', mine)];
    const what = `container ${short(p.containerId)} port forwarding`;
    try {
      if (cmds.length === 0) return;
      if (!(await this.tryFast(cmds, what))) await this.nft.apply(batch([...ensureSets(), ...cmds]), what);
    } catch (e) {
      // rootless keeps no record of other networks: look at what the maps hold (rare path)
      if (!st && e instanceof NftError && e.errno === 'EEXIST') {
        const present = await this.presentKeys(mine);
        const rest = mine.filter((x) => !present.has(elementId(x)));
        if (rest.length > 0) await this.nft.apply(batch(elementCmds('add', rest)), what);
        return;
      }
      if (saved) st?.savePorts(saved);
      else st?.removePorts(p.network.networkId, p.containerId);
      throw e;
    }
  }

  async teardownPorts(p: PortForward): Promise<void> {
    const st = this.state;
    const saved = st?.loadPorts(p.network.networkId, p.containerId) ?? p;
    const els = safeElements(() => portElements(saved));
    const heirs = new Map(dedupe(this.otherNetworksPorts(p)).elements.map((e) => [elementId(e), e]));
    st?.removePorts(p.network.networkId, p.containerId);
    if (els.length === 0) return;
    const plain = els.filter((e) => !heirs.has(elementId(e)));
    const shared = els.filter((e) => heirs.has(elementId(e)));
    // a shared key holds our target or the heir's: delete by key, then the heir's target
    const cmds = [...removeCmds(plain), ...elementCmds('delete', shared), ...elementCmds('add', shared.map((e) => heirs.get(elementId(e)) ?? e))];
    const what = `container ${short(p.containerId)} port forwarding teardown`;
    try {
      // no `add table`: if the table is gone this fails and the rebuild below restores the rest
      await this.nft.apply(batch(cmds), what);
    } catch (e) {
      if (!st) {
        if (e instanceof NftError && e.errno === 'ENOENT') return; // rootless: table gone, nothing left to remove
        if (e instanceof NftError && e.errno === 'EEXIST') {
          // rootless, key held by another network's entry: delete only what still points at us
          const present = await this.presentKeys(els, true);
          const ours = els.filter((x) => present.has(elementId(x)));
          if (ours.length > 0) await this.nft.apply(batch(elementCmds('delete', ours)), what);
          return;
        }
        throw e;
      }
      log.warn(`removing the port forwards of container ${short(p.containerId)} failed (${errorMessage(e)}); rebuilding the table from saved state`);
      await this.replay();
    }
  }

  /** Port elements this container has saved on its other networks (root mode; [] rootless). */
  private otherNetworksPorts(p: PortForward): Element[] {
    if (!this.state) return [];
    return this.state
      .portsOfContainer(p.containerId)
      .filter((o) => o.network.networkId !== p.network.networkId)
      .flatMap((o) => safeElements(() => portElements(o)));
  }

  /**
   * Ids of `els` whose key is in its map now. With `ours`, only keys whose
   * address map still points at our container count (and then both the
   * address and the port element of that key). Lists just the maps involved.
   */
  private async presentKeys(els: Element[], ours = false): Promise<Set<string>> {
    const found = new Set<string>();
    const sets = new Set(els.map((e) => (ours ? e.set.replace('_port', '_addr') : e.set)));
    for (const set of sets) {
      const current = mapElements(await this.nft.list(['map', FAMILY, TABLE, set]));
      for (const e of els.filter((x) => x.set === set)) {
        const v = current.get(JSON.stringify(e.key));
        if (v === undefined || (ours && v !== JSON.stringify(e.value))) continue;
        found.add(elementId(e));
        if (ours) found.add(elementId({ set: set.replace('_addr', '_port'), key: e.key }));
      }
    }
    return found;
  }

  /** firewall-reload: rebuild the whole table from the state files in one transaction. */
  async reload(): Promise<void> {
    await this.replay();
  }

  private async replay(): Promise<void> {
    const st = this.state;
    if (!st) return; // rootless: nothing was saved
    const nets = st.loadNetworks();
    const ports = st.loadAllPorts();
    if (nets.length === 0 && ports.length === 0) {
      log.debug('firewall reload: no saved networks');
      return;
    }
    const known = new Set(nets.map((n) => n.networkId));
    const all: Element[] = [];
    for (const n of nets) all.push(...safeElements(() => networkElements(n), `network ${n.networkName}`));
    for (const p of ports) {
      if (!known.has(p.network.networkId)) {
        log.warn(`firewall reload: skipping ports of container ${short(p.containerId)}: network ${p.network.networkName} has no saved state`);
        continue;
      }
      all.push(...safeElements(() => portElements(p), `container ${short(p.containerId)}`));
    }
    const { elements, conflicts } = dedupe(all);
    for (const c of conflicts) log.warn(`firewall reload: ${describeKey(c.key)} is claimed twice in the saved state; keeping the first`);
    const foreign = await this.foreignAccepts();
    await this.nft.apply(batch([...skeleton(), ...flushSets(), ...elementCmds('add', elements), ...foreign]), 'firewall reload');
  }

  /** Accept rules for foreign default-drop chains that do not have ours yet. */
  private async foreignAccepts(): Promise<NftCmd[]> {
    const cmds: NftCmd[] = [];
    for (const c of findDropChains(await this.nft.list(['chains']))) {
      if (ourRuleHandles(await this.nft.list(['chain', c.family, c.table, c.name])).length > 0) continue;
      log.warn(`${describeChain(c)} would drop container traffic; inserting a rule that accepts only packets skiff accepted (docs/firewall.md)`);
      cmds.push(insertAccept(c));
    }
    return cmds;
  }

  private async foreignRemovals(): Promise<NftCmd[]> {
    const cmds: NftCmd[] = [];
    for (const c of findDropChains(await this.nft.list(['chains']))) {
      for (const h of ourRuleHandles(await this.nft.list(['chain', c.family, c.table, c.name]))) cmds.push(deleteRule(c, h));
    }
    return cmds;
  }

  /** True when the admin put rules into our user chain: then the table stays when the last network goes. */
  private async userChainInUse(): Promise<boolean> {
    const out = await this.nft.list(['chain', FAMILY, TABLE, USER_CHAIN]);
    const list = (out as { nftables?: unknown[] } | undefined)?.nftables ?? [];
    return list.some((o) => typeof o === 'object' && o !== null && 'rule' in o);
  }
}

const short = (id: string): string => id.slice(0, 12);

/** Same firewall input (as saved): then the state file needs no rewrite. */
function sameNetwork(a: FirewallNetwork, b: FirewallNetwork): boolean {
  const norm = (n: FirewallNetwork) =>
    JSON.stringify([n.networkId, n.networkName, n.bridge, n.subnets, n.gateways, n.isolate, n.internal, n.dnsPort, n.dnsEnabled, n.outboundAddr4 ?? null, n.outboundAddr6 ?? null, n.masquerade ?? true, n.noNatDestinations ?? []]);
  return norm(a) === norm(b);
}

/** Elements of saved input; saved input that no longer validates contributes nothing (and says so). */
function safeElements(f: () => Element[], what?: string): Element[] {
  try {
    return f();
  } catch (e) {
    log.warn(`ignoring invalid saved firewall state${what ? ` of ${what}` : ''}: ${errorMessage(e)}`);
    return [];
  }
}

export function createNftablesDriver(ctx: FirewallContext, nft?: NftRunner): FirewallDriver {
  return new NftablesDriver(ctx, nft);
}
