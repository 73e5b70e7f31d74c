// DEL: idempotent and best effort. Every step runs even when an earlier one
// failed; "already gone" is success; no prevResult and no netns (the
// container is gone) are normal. Names derive from the attachment, so nothing
// saved is needed.
import { withLock } from '../lib/lock.js';
import { BestEffort, openNetnsIfPresent, withTeardownNetlinks } from '../core/best-effort.js';
import { removeBridge, teardownBridgeLinks } from '../drivers/bridge-apply.js';
import { ipamCall } from './delegate.js';
import { planCni } from './translate.js';
import { firewallOf, ipamCallOf, type CniRuntime } from './runtime.js';
import { lockPathOf, removeRecord } from './state.js';
import { dnsContextOf, removeCniDns } from './dns.js';
import { removeMacspoof } from './macspoof.js';

export async function cmdDel(rt: CniRuntime): Promise<void> {
  const { conf, env, log } = rt;
  const { attempt, finish } = new BestEffort();
  if (conf.ipamType) {
    const overrides = { CNI_CONTAINERID: env.containerId, CNI_IFNAME: env.ifName, CNI_NETNS: env.netns };
    await attempt('release the IPAM allocation', () => ipamCall(ipamCallOf(rt, 'DEL', overrides), conf.cniVersion));
  }
  // names go first, so nothing resolves to an address that is being released
  if (conf.dnsAliases) await attempt('remove the DNS entries', () => removeCniDns(dnsContextOf(rt.stateDir, rt.procEnv), conf, env.containerId));
  const { plan, hostVeth } = planCni(conf, env, undefined);
  // no netns is normal for DEL: the container is gone, the host side is still cleaned up
  const ns = openNetnsIfPresent(env.netns, log, 'info');
  try {
    await withLock(lockPathOf(rt.stateDir), async () => {
      const fw = plan.firewall ? await firewallOf(rt) : undefined;
      await withTeardownNetlinks(ns, attempt, async (host, ctr) => {
        const aenv = { host, ctr, ns, log };
        const net = plan.firewall;
        // the firewall keeps what setupPorts added; an empty list means "whatever was saved"
        if (fw && net) await attempt('remove the port forwards', () => fw.teardownPorts({ containerId: env.containerId, network: net, portMappings: [] }));
        if (conf.macspoofchk) await attempt('remove the MAC spoofing check', () => removeMacspoof(hostVeth));
        let bridgeEmpty = false;
        await attempt(`remove interface ${env.ifName}`, async () => {
          bridgeEmpty = (await teardownBridgeLinks(plan, aenv)).bridgeEmpty;
        });
        // the network's firewall elements go before its bridge, and only with its last container
        if (fw && net && bridgeEmpty) await attempt(`remove the firewall elements of network ${conf.name}`, () => fw.teardownNetwork(net, { complete: true }));
        if (bridgeEmpty) await attempt(`remove bridge ${plan.bridge}`, () => removeBridge(plan, aenv));
        await attempt('remove the attachment record', async () => removeRecord(rt.stateDir, conf.name, env.containerId, env.ifName));
      });
    });
  } finally {
    ns?.close();
  }
  finish();
}
