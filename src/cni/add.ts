// ADD: addresses from the IPAM plugin, then Skiff's bridge driver and
// firewall, as one transaction: a failure part-way undoes everything this call
// did, the IPAM allocation included.
import { errorMessage } from '../lib/errors.js';
import { withLock } from '../lib/lock.js';
import { run } from '../lib/exec.js';
import { openNetlink } from '../netlink/rtnl.js';
import { openNetlinkIn, openNetns } from '../netlink/netns.js';
import { setupBridge } from '../drivers/bridge-apply.js';
import { setupBridgeFirewall } from '../drivers/bridge-firewall.js';
import type { ApplyEnv } from '../drivers/driver.js';
import { configureContainerLink } from '../drivers/container-link.js';
import type { BridgePlan } from '../drivers/bridge-plan.js';
import { UndoStack } from '../lib/undo.js';
import { FirewallState } from '../../firewall/state.js';
import { CniCode, CniError } from './errors.js';
import { ipamAdd, ipamCall } from './delegate.js';
import { hasDns, mergeResults, type Result } from './result.js';
import { buildResult, planCni } from './translate.js';
import { firewallOf, ipamCallOf, type CniRuntime } from './runtime.js';
import { lockPathOf, removeRecord, saveRecord } from './state.js';
import { commitCniDns, dnsContextOf, dnsWanted, removeCniDns, servedDns } from './dns.js';
import { addMacspoof, removeMacspoof } from './macspoof.js';

/** IPAM plugins that configure the container's interface themselves (a DHCP client on it): called once it exists. */
const IFACE_FIRST_IPAM = new Set(['dhcp']);

/**
 * Interface-first IPAM: the bridge and veth exist (L2 plan); now the gateway
 * addresses on the bridge and the container's addresses and routes.
 */
async function addIpamAddresses(plan: BridgePlan, env: ApplyEnv): Promise<void> {
  const br = await env.host.getLink(plan.bridge);
  if (br && plan.managed) {
    const have = new Set((await env.host.addresses(br.index)).map((a) => a.cidr));
    for (const cidr of plan.bridgeAddrs) if (!have.has(cidr)) await env.host.addAddress({ linkIndex: br.index, cidr });
  }
  const link = await env.ctr!.getLink(plan.containerIf);
  if (!link) throw new CniError(CniCode.SetupFailed, `interface ${plan.containerIf} is missing in the container namespace`);
  await configureContainerLink(env.ctr!, env.ns!, link.index, { containerSysctls: [], containerAddrs: plan.containerAddrs, routes: plan.routes }, env.log);
}

/**
 * `vlan`: the container's port carries only that VLAN, untagged (its PVID), as
 * with the reference plugin; the bridge itself (where the gateway address
 * lives) joins it the same way when Skiff created it. The bridge was created
 * with VLAN filtering (the bridge driver's plan); a kernel without it already
 * failed there with a message saying so.
 */
async function setPortVlan(plan: BridgePlan, hostVeth: string, vid: number, createdBridge: boolean): Promise<void> {
  const steps: string[][] = [
    ['vlan', 'add', 'dev', hostVeth, 'vid', String(vid), 'pvid', 'untagged'],
    ...(vid !== 1 ? [['vlan', 'del', 'dev', hostVeth, 'vid', '1']] : []),
    ...(createdBridge && plan.managed ? [['vlan', 'add', 'dev', plan.bridge, 'vid', String(vid), 'pvid', 'untagged', 'self']] : []),
  ];
  for (const args of steps) {
    const out = await run('bridge', args);
    if (out.code !== 0) throw new CniError(CniCode.SetupFailed, `vlan ${vid}: bridge ${args.join(' ')}: ${out.stderr.trim()}`);
  }
}

export async function cmdAdd(rt: CniRuntime): Promise<Result> {
  const { conf, env, log } = rt;
  let ns;
  try {
    ns = openNetns(env.netns);
  } catch (e) {
    throw new CniError(CniCode.InvalidEnvironment, `CNI_NETNS ${env.netns}: ${errorMessage(e)}`);
  }
  // the reference `dhcp` plugin runs a DHCP client on the container's interface: it must exist first
  const ifaceFirst = conf.ipamType !== undefined && IFACE_FIRST_IPAM.has(conf.ipamType);
  let ipam = conf.ipamType && !ifaceFirst ? await ipamAdd(ipamCallOf(rt, 'ADD'), conf.cniVersion) : undefined;
  const undo = new UndoStack();
  const release = () => undo.push('release the IPAM allocation', () => ipamCall(ipamCallOf(rt, 'DEL'), conf.cniVersion));
  if (ipam) release();
  try {
    const dnsCtx = dnsContextOf(rt.stateDir, rt.procEnv);
    // interface-first: an L2-only plan now, the addresses once IPAM has answered
    let p = planCni(conf, env, ipam, dnsCtx.dnsPort);
    const result = await withLock(lockPathOf(rt.stateDir), async () => {
      const host = await openNetlink();
      const ctr = await openNetlinkIn(ns);
      try {
        const r = await setupBridge(p.plan, { host, ctr, ns, log }, undo);
        if (ifaceFirst) {
          ipam = await ipamAdd(ipamCallOf(rt, 'ADD'), conf.cniVersion);
          release();
          p = planCni(conf, env, ipam, dnsCtx.dnsPort);
          await addIpamAddresses(p.plan, { host, ctr, ns, log });
        }
        const { plan } = p;
        const dns = dnsWanted(conf, p);
        const fw = plan.firewall ? await firewallOf(rt) : undefined;
        if (plan.firewall) {
          plan.firewall.dnsEnabled = dns;
          // a network's subnets only grow: other containers' addresses keep their rules
          const saved = new FirewallState(rt.stateDir).loadNetwork(plan.firewall.networkId);
          for (const s of saved?.subnets ?? []) if (!plan.firewall.subnets.includes(s)) plan.firewall.subnets.push(s);
        }
        if (fw && plan.firewall) await setupBridgeFirewall(fw, plan.firewall, plan.ports, r.createdBridge, undo);
        if (conf.macspoofchk) {
          if (!r.mac) throw new CniError(CniCode.SetupFailed, `macspoofchk: the MAC address of ${env.ifName} is unknown`);
          await addMacspoof(p.hostVeth, r.mac);
          undo.push('remove the MAC spoofing check', () => removeMacspoof(p.hostVeth));
        }
        if (dns) {
          await commitCniDns(dnsCtx, conf, env, p);
          undo.push('remove the DNS entries', () => removeCniDns(dnsCtx, conf, env.containerId));
        }
        if (conf.vlan !== undefined) await setPortVlan(plan, p.hostVeth, conf.vlan, r.createdBridge);
        if (conf.promiscMode) {
          const out = await run('ip', ['link', 'set', 'dev', plan.bridge, 'promisc', 'on']);
          if (out.code !== 0) throw new CniError(CniCode.SetupFailed, `set bridge ${plan.bridge} promiscuous: ${out.stderr.trim()}`);
        }
        const macs = {
          bridge: (await host.getLink(plan.bridge))?.mac,
          hostVeth: (await host.getLink(p.hostVeth))?.mac,
          container: r.mac || undefined,
        };
        saveRecord(rt.stateDir, {
          version: 1,
          containerId: env.containerId,
          ifName: env.ifName,
          netns: env.netns,
          network: conf.name,
          bridge: plan.bridge,
          hostVeth: p.hostVeth,
          ips: p.ips.map((x) => `${x.ip}/${x.prefix}`),
          ports: conf.portMappings.length,
        });
        undo.push('remove the attachment record', async () => removeRecord(rt.stateDir, conf.name, env.containerId, env.ifName));
        const result = buildResult(conf, p, macs, env.netns, ipam?.dns);
        // the config's and the runtime's DNS settings win; else the names we serve
        if (dns && !hasDns(conf.runtimeDns) && !hasDns(conf.dns)) result.dns = servedDns(p);
        return result;
      } catch (e) {
        // while the netlink sockets are still open: the undo steps use them
        await undo.run(log);
        throw e;
      } finally {
        host.close();
        ctr.close();
      }
    });
    return conf.prevResult ? mergeResults(conf.prevResult, result) : result;
  } catch (e) {
    await undo.run(log);
    throw e;
  } finally {
    ns.close();
  }
}
