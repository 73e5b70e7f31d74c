// CHECK: is the attachment still what prevResult says? The container
// interface (MAC, addresses), the routes, the host veth on its bridge, and
// the firewall elements (check-firewall.ts). The first difference is the error.
import { errorMessage } from '../lib/errors.js';
import { openNetlink } from '../netlink/rtnl.js';
import { openNetlinkIn, openNetns } from '../netlink/netns.js';
import type { Netlink } from '../netlink/netlink.js';
import { CniCode, CniError } from './errors.js';
import { ipamCall } from './delegate.js';
import type { Result } from './result.js';
import { hostVethName } from './translate.js';
import { ipamCallOf, type CniRuntime } from './runtime.js';
import { checkFirewall } from './check-firewall.js';
import { dnsContextOf } from './dns.js';
import { macspoofPresent } from './macspoof.js';

const fail = (msg: string): CniError => new CniError(CniCode.SetupFailed, msg);

export async function cmdCheck(rt: CniRuntime): Promise<void> {
  const { conf, env } = rt;
  const prev = conf.prevResult;
  if (!prev) throw new CniError(CniCode.InvalidConfig, 'CHECK needs prevResult (the result of ADD)');
  if (conf.ipamType) await ipamCall(ipamCallOf(rt, 'CHECK'), conf.cniVersion);
  let ns;
  try {
    ns = openNetns(env.netns);
  } catch (e) {
    throw new CniError(CniCode.InvalidEnvironment, `CNI_NETNS ${env.netns}: ${errorMessage(e)}`);
  }
  const host = await openNetlink();
  let ctr: Netlink | undefined;
  let ifIndex: number;
  try {
    ctr = await openNetlinkIn(ns);
    ifIndex = await checkContainer(ctr, prev, env.ifName, env.netns);
    const hostVeth = hostVethName(env.containerId, env.ifName, conf.name);
    await checkHost(host, conf.bridge, hostVeth);
    const mac = prev.interfaces[ifIndex]?.mac;
    if (conf.macspoofchk && mac && !(await macspoofPresent(hostVeth, mac))) {
      throw fail(`the MAC spoofing check of ${hostVeth} (${mac}) is not in the firewall (set bridge skiff macspoof)`);
    }
  } finally {
    host.close();
    ctr?.close();
    ns.close();
  }
  if (!(rt.procEnv.SKIFF_FW ?? rt.procEnv.NETAVARK_FW ?? '').toLowerCase().includes('none')) {
    await checkFirewall(rt, prev, ifIndex, dnsContextOf(rt.stateDir, rt.procEnv).dnsPort);
  }
}

/** Returns the index of the container interface in prevResult's interfaces. */
async function checkContainer(ctr: Netlink, prev: Result, ifName: string, netns: string): Promise<number> {
  const index = prev.interfaces.findIndex((i) => i.name === ifName && (i.sandbox === undefined || i.sandbox === netns));
  if (index < 0) throw fail(`prevResult has no interface ${ifName} in ${netns}`);
  const want = prev.interfaces[index]!;
  const link = await ctr.getLink(ifName);
  if (!link) throw fail(`interface ${ifName} is missing in the container namespace`);
  if (link.kind !== 'veth') throw fail(`interface ${ifName} is a ${link.kind ?? 'physical'} link, not a veth`);
  if (want.mac && link.mac !== want.mac) throw fail(`interface ${ifName} has MAC ${link.mac ?? 'none'}, expected ${want.mac}`);
  const have = new Set((await ctr.addresses(link.index)).map((a) => a.cidr));
  for (const ip of prev.ips.filter((x) => x.interface === index)) {
    const cidr = `${ip.ip}/${ip.prefix}`;
    if (!have.has(cidr)) throw fail(`interface ${ifName} lacks address ${cidr}`);
  }
  const routes = await ctr.routes();
  for (const r of prev.routes) {
    const ok = routes.some((x) => x.destination === r.dst && (r.gw === undefined || x.gateway === r.gw));
    if (!ok) throw fail(`the container has no route to ${r.dst}${r.gw ? ` via ${r.gw}` : ''}`);
  }
  return index;
}

async function checkHost(host: Netlink, bridge: string, hostVeth: string): Promise<void> {
  const br = await host.getLink(bridge);
  if (!br || br.kind !== 'bridge') throw fail(`bridge ${bridge} is missing`);
  const veth = await host.getLink(hostVeth);
  if (!veth) throw fail(`host interface ${hostVeth} is missing`);
  if (veth.master !== br.index) throw fail(`host interface ${hostVeth} is not attached to bridge ${bridge}`);
}
