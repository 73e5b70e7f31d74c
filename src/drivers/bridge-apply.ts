// Carries out a BridgePlan through the netlink facades. Decisions live in
// bridge-plan.ts; this file only orders kernel calls and records undo steps.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, NetlinkError, SkiffError } from '../lib/errors.js';
import { writeFileAtomic, removeFile } from '../lib/state-files.js';
import type { Link, Netlink } from '../netlink/netlink.js';
import { applySysctls, configureContainerLink, removeLinklessRoutes } from './container-link.js';
import type { UndoStack } from '../lib/undo.js';
import { HOST_VETH, type BridgePlan } from './bridge-plan.js';
import type { ApplyEnv } from './driver.js';
import { errnoNumber, errnoText } from '../netlink/wire.js';

export interface BridgeSetupResult {
  mac: string;
  /** this call created the bridge */
  createdBridge: boolean;
  /** addresses the bridge actually has (the DNS bind addresses of unmanaged bridges) */
  bridgeIps: string[];
}

/**
 * The interface that carries the host's default route (IPv4 first), if any:
 * in the main table, or in a VRF's table when the bridge is to join that VRF.
 */
export async function defaultRouteLink(host: Netlink, table = 254): Promise<Link | undefined> {
  for (const family of [4, 6] as const) {
    const r = (await host.routes(family, table)).find((x) => x.table === table && (x.destination === '0.0.0.0/0' || x.destination === '::/0'));
    if (r?.linkIndex !== undefined) {
      const l = await host.getLinkByIndex(r.linkIndex);
      if (l) return l;
    }
  }
  return undefined;
}

async function defaultRouteMtu(host: Netlink, table?: number): Promise<number | undefined> {
  return (await defaultRouteLink(host, table))?.mtu;
}

async function ensureBridge(plan: BridgePlan, env: ApplyEnv, undo: UndoStack): Promise<{ link: Link; created: boolean }> {
  const { host, log } = env;
  const existing = await host.getLink(plan.bridge);
  if (existing) {
    if (existing.kind !== 'bridge') {
      throw new ConfigError(`bridge interface ${plan.bridge} already exists but is a ${existing.kind ?? 'physical'} interface`, {
        detail: `pick another bridge name for network ${plan.attachment.name} or remove the ${plan.bridge} link`,
      });
    }
    return { link: existing, created: false };
  }
  // netavark's texts (with its netlink error wording), the names go to the debug log
  if (!plan.managed) {
    throw new ConfigError(`in unmanaged mode, the bridge must already exist on the host: ${netlinkText('ENODEV')}`, {
      detail: `bridge ${plan.bridge} of network ${plan.attachment.name} does not exist; create it first or use mode=managed`,
    });
  }
  // the VRF is looked up before the bridge is created, as netavark does
  let vrfIndex: number | undefined;
  let vrfTable: number | undefined;
  if (plan.vrf) {
    const vrf = await host.getLink(plan.vrf);
    if (!vrf || vrf.kind !== 'vrf') {
      throw new ConfigError(`get vrf to set up bridge interface: ${netlinkText('ENODEV')}`, {
        detail: `network_info.${plan.attachment.name}.options.vrf: ${plan.vrf} ${vrf ? `is a ${vrf.kind ?? 'physical'} interface, not a vrf` : 'does not exist'}`,
      });
    }
    vrfIndex = vrf.index;
    vrfTable = vrf.vrfTable;
  }
  // a bridge in a VRF routes through the VRF's table: its default route gives the MTU
  const mtu = plan.mtu ?? (await defaultRouteMtu(host, vrfTable));
  try {
    await host.createBridge({ name: plan.bridge, ...(mtu ? { mtu } : {}), ...(plan.vlan !== undefined ? { vlanFiltering: true } : {}) });
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 'EEXIST') return ensureBridge(plan, env, undo); // created concurrently by someone else
    // the facade's message already names the bridge and, for EOPNOTSUPP, the missing VLAN filtering
    throw e;
  }
  undo.push(`delete bridge ${plan.bridge}`, () => host.deleteLink(plan.bridge));
  const link = await host.getLink(plan.bridge);
  if (!link) throw new SkiffError(`bridge ${plan.bridge} vanished right after it was created`);
  log.debug(`created bridge ${plan.bridge}`, { mtu });
  if (vrfIndex !== undefined) await host.setMaster(link.index, vrfIndex);
  if (plan.sysctlFile) {
    mkdirSync(dirname(plan.sysctlFile.path), { recursive: true });
    writeFileAtomic(plan.sysctlFile.path, plan.sysctlFile.content);
    const path = plan.sysctlFile.path;
    undo.push(`remove ${path}`, async () => removeFile(path));
  }
  applySysctls(plan.bridgeSysctls, log);
  return { link, created: true };
}

export async function setupBridge(plan: BridgePlan, env: ApplyEnv, undo: UndoStack): Promise<BridgeSetupResult> {
  const { host, ctr, ns, log } = env;
  if (!ctr || !ns) throw new SkiffError('container namespace is not open');
  const { link: br, created } = await ensureBridge(plan, env, undo);
  // DNS on an unmanaged bridge binds the bridge's own addresses: without one it cannot serve
  const unmanagedIps = plan.managed ? [] : await usableAddresses(host, br.index);
  if (!plan.managed && plan.dns && unmanagedIps.length === 0) {
    throw new ConfigError(
      `bridge '${plan.bridge}' in unmanaged mode has no usable IP addresses. Aardvark-dns requires at least one address (should not be an IPv6 link-local address) to bind to. Please add an IP address or disable DNS for this network (--disable-dns).`,
    );
  }
  for (const cidr of plan.bridgeAddrs) {
    try {
      await host.addAddress({ linkIndex: br.index, cidr });
    } catch (e) {
      // netavark's text for the common cause (IPv6 disabled: the kernel answers EACCES)
      if (e instanceof NetlinkError && e.errno === 'EACCES' && cidr.includes(':')) {
        throw new SkiffError(`add ip addr to bridge: failed to add ipv6 address, is ipv6 enabled in the kernel?: ${netlinkText('EACCES')}`, {
          cause: e,
          detail: `address ${cidr} on bridge ${plan.bridge}`,
        });
      }
      throw e;
    }
  }
  if (!br.up) await host.setUp(br.index);
  const bridgeIps = plan.managed ? plan.bridgeAddrs.map((a) => a.split('/')[0]!) : unmanagedIps;
  if (plan.dns) env.dnsAddressesReady?.(plan.managed ? undefined : bridgeIps);

  // netavark's text for a name clash on either side
  const exists = (): SkiffError =>
    new SkiffError(
      `create veth pair: interface ${plan.containerIf} already exists on container namespace${plan.hostVeth ? ` or ${plan.hostVeth} exists on host namespace` : ''}: ${netlinkText('EEXIST')}`,
    );
  if ((await ctr.getLink(plan.containerIf)) || (plan.hostVeth && (await host.getLink(plan.hostVeth)))) throw exists();
  const mtu = plan.mtu ?? br.mtu;
  try {
    await host.createVeth({
      ...(plan.hostVeth ? { host: plan.hostVeth } : {}),
      peer: plan.containerIf,
      peerNetnsFd: ns.fd,
      ...(mtu ? { mtu } : {}),
      ...(plan.containerMac ? { peerMac: plan.containerMac } : {}),
      master: br.index,
    });
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 'EEXIST') throw exists();
    throw e;
  }
  // the host end's name is the kernel's choice (veth0, veth1, …) unless the engine named it
  const ctrCreated = await ctr.getLink(plan.containerIf);
  const hostVeth = plan.hostVeth
    ? await host.getLink(plan.hostVeth)
    : ctrCreated?.peerIndex !== undefined
      ? await host.getLinkByIndex(ctrCreated.peerIndex)
      : undefined;
  const hostVethName = hostVeth?.name;
  undo.push(`delete veth ${hostVethName ?? plan.containerIf}`, async () => {
    if ((await ctr.deleteLink(plan.containerIf)) === 'absent' && hostVethName) await host.deleteLink(hostVethName);
  });
  if (!hostVeth) throw new SkiffError(`the host end of veth ${plan.containerIf} vanished right after it was created`);
  log.debug(`created veth pair ${hostVeth.name} <-> ${plan.containerIf}`);
  applySysctls(plan.hostVethSysctls.map((x) => ({ ...x, key: x.key.replace(HOST_VETH, hostVeth.name) })), log);
  if (created && br.mac) {
    // A bridge takes the lowest MAC of its ports and changes it as ports come and
    // go; setting its own (random, from creation) MAC explicitly keeps it, so
    // neighbours' ARP caches stay valid and it differs from every port's, as with
    // netavark. It has to happen once the first port is attached.
    await host.setMac(br.index, br.mac);
  }
  // a container reaching its own published port comes back through its own port
  if (plan.managed) await host.setHairpin(hostVeth.index, true);
  await host.setUp(hostVeth.index);

  // its index and MAC are the ones read right after creation: bringing the host end up changes neither
  const ctrLink = ctrCreated;
  if (!ctrLink) throw new SkiffError(`interface ${plan.containerIf} is missing in the container namespace after creating it`);
  await configureContainerLink(ctr, ns, ctrLink.index, plan, log);
  return { mac: ctrLink.mac ?? '', createdBridge: created, bridgeIps };
}

/** The bridge's addresses a DNS server can bind (not IPv6 link-local). */
async function usableAddresses(host: Netlink, index: number): Promise<string[]> {
  return (await host.addresses(index)).map((a) => a.cidr.split('/')[0]!).filter((ip) => !ip.toLowerCase().startsWith('fe80:'));
}

/** netavark's rendering of a kernel error: `Netlink error: No such device (os error 19)`. */
export function netlinkText(errno: string): string {
  const n = errnoNumber(errno);
  return `Netlink error: ${n === undefined ? errno : errnoText(n)}`;
}

/** Removes the container's side; returns whether the bridge has no ports left (complete teardown). */
export async function teardownBridgeLinks(plan: BridgePlan, env: ApplyEnv): Promise<{ bridgeEmpty: boolean }> {
  const { host, ctr } = env;
  // Everything on the host is read before the veth is deleted: a deletion holds
  // the RTNL lock for a while after the device is unlisted (skiffd deletes
  // off-thread and goes on, see src/lib/quick-delete.ts), and a lookup or dump
  // would wait for it. Under the config dir's lock no port comes or goes meanwhile.
  const found = await host.getLink(plan.bridge);
  const br = found?.kind === 'bridge' ? found : undefined;
  let emptyAfter: boolean | undefined;
  if (ctr) {
    await removeLinklessRoutes(ctr, plan.routes, plan.containerAddrs);
    const link = await ctr.getLink(plan.containerIf);
    // the bridge is empty afterwards when its only port is this veth's host end
    if (br && link?.peerIndex !== undefined && !plan.hostVeth) emptyAfter = (await host.ports(br.index)).every((i) => i === link.peerIndex);
    if (link) await ctr.deleteLink(plan.containerIf, link);
  }
  // the engine named the host end: if the container side was already gone, it may still be here
  if (plan.hostVeth) {
    const l = await host.getLink(plan.hostVeth);
    if (l && l.kind === 'veth') await host.deleteLink(plan.hostVeth, l);
  }
  if (!br) return { bridgeEmpty: false };
  return { bridgeEmpty: emptyAfter ?? (await host.ports(br.index)).length === 0 };
}

export async function removeBridge(plan: BridgePlan, env: ApplyEnv): Promise<void> {
  if (!plan.managed) return;
  await env.host.deleteLink(plan.bridge);
  if (plan.sysctlFile) removeFile(plan.sysctlFile.path);
}
