// Link verbs of the rtnetlink facade, each read back with `ip -j -d link`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needRoot } from '../../helpers/sandbox.js';
import { ipLink, nlNetns, type NlNs } from '../../helpers/netlink.js';
import { NetlinkError } from '../../../src/lib/errors.js';

describe('netlink links', { skip: needRoot }, () => {
  let a: NlNs; // plays the host
  let b: NlNs; // plays the container
  before(async () => {
    a = await nlNetns();
    b = await nlNetns();
  });
  after(() => {
    a?.destroy();
    b?.destroy();
  });

  test('createBridge: kind, mtu and mac as asked; links() agrees with ip', async () => {
    const link = await a.nl.createBridge({ name: 'skbr0', mtu: 1400, mac: '02:AB:cd:00:00:01' });
    const ip = ipLink(a.ns, 'skbr0');
    assert.equal(ip?.linkinfo?.info_kind, 'bridge');
    assert.equal(ip?.mtu, 1400);
    assert.equal(ip?.address, '02:ab:cd:00:00:01');
    assert.deepEqual(link, { index: ip?.ifindex, name: 'skbr0', kind: 'bridge', mac: '02:ab:cd:00:00:01', mtu: 1400, up: false, master: undefined });
    const all = await a.nl.links();
    assert.deepEqual(all.find((l) => l.name === 'skbr0'), link);
    assert.equal(all.find((l) => l.index === 1)?.name, 'lo');
    assert.equal(all.find((l) => l.index === 1)?.kind, undefined);
  });

  test('createBridge on an existing name: EEXIST naming the bridge', async () => {
    await assert.rejects(a.nl.createBridge({ name: 'skbr0' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EEXIST');
      assert.equal(e.message, 'Netlink error: create bridge skbr0: File exists (os error 17)');
      return true;
    });
  });

  test('createBridge with vlanFiltering: works, or fails clearly where the kernel lacks it', async () => {
    try {
      await a.nl.createBridge({ name: 'skbrvlan', vlanFiltering: true });
    } catch (e) {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EOPNOTSUPP');
      assert.match(e.message, /^Netlink error: create bridge skbrvlan: Operation not supported \(os error 95\)$/);
      assert.match(e.hint ?? '', /VLAN filtering/);
      assert.equal(ipLink(a.ns, 'skbrvlan'), undefined, 'the kernel removes the half-made bridge');
      return;
    }
    assert.equal(ipLink(a.ns, 'skbrvlan')?.linkinfo?.info_data?.['vlan_filtering'], 1);
    assert.equal(await a.nl.deleteLink('skbrvlan'), 'deleted');
  });

  test('createVeth: peer created in the other namespace, host end on the bridge', async () => {
    const br = await a.nl.getLink('skbr0');
    assert.ok(br);
    await a.nl.createVeth({ host: 'skveth0', peer: 'eth0', peerNetnsFd: b.handle.fd, mtu: 1400, peerMac: '02:00:00:00:00:2A', master: br.index });
    const host = ipLink(a.ns, 'skveth0');
    assert.equal(host?.linkinfo?.info_kind, 'veth');
    assert.equal(host?.master, 'skbr0');
    assert.equal(host?.mtu, 1400);
    assert.equal(ipLink(a.ns, 'eth0'), undefined, 'peer must not exist on the host side');
    const peer = ipLink(b.ns, 'eth0');
    assert.equal(peer?.address, '02:00:00:00:00:2a');
    assert.equal(peer?.mtu, 1400);
    assert.equal(peer?.linkinfo?.info_kind, 'veth');

    const viaA = await a.nl.getLink('skveth0');
    const viaB = await b.nl.getLink('eth0');
    // peerIndex: the other end's index, in the other namespace
    assert.deepEqual(viaB, { index: peer?.ifindex, name: 'eth0', kind: 'veth', mac: '02:00:00:00:00:2a', mtu: 1400, up: false, master: undefined, peerIndex: viaA?.index });
    assert.equal(viaA?.master, br.index);
    assert.equal(viaA?.mac, host?.address);
    assert.equal(viaA?.peerIndex, viaB?.index);
  });

  test('ports: the indexes of the links whose master is the bridge, none of the others', async () => {
    const br = await a.nl.getLink('skbr0');
    const veth = await a.nl.getLink('skveth0');
    assert.ok(br && veth);
    assert.deepEqual(await a.nl.ports(br.index), [veth.index]);
    await a.nl.createBridge({ name: 'skbrpc' });
    const other = await a.nl.getLink('skbrpc');
    assert.ok(other);
    assert.deepEqual(await a.nl.ports(other.index), []);
    await a.nl.createVeth({ host: 'skvethpc', peer: 'pc0', peerNetnsFd: b.handle.fd, master: other.index });
    const pc = await a.nl.getLink('skvethpc');
    assert.ok(pc);
    assert.deepEqual(await a.nl.ports(other.index), [pc.index]);
    assert.deepEqual(await a.nl.ports(br.index), [veth.index]);
    // the container end names its host end (IFLA_LINK): how teardown knows the bridge's last port
    assert.equal((await b.nl.getLink('pc0'))?.peerIndex, pc.index);
    assert.equal(await a.nl.deleteLink('skvethpc', pc), 'deleted');
    assert.equal(await a.nl.getLink('skvethpc'), undefined);
    assert.equal(await a.nl.deleteLink('skbrpc'), 'deleted');
  });

  test('createVeth without a host name: the kernel picks veth<N>, the lowest free', async () => {
    const before = new Set((await a.nl.links()).map((l) => l.name));
    await a.nl.createVeth({ peer: 'eth7', peerNetnsFd: b.handle.fd });
    const peer = await b.nl.getLink('eth7');
    const host = await a.nl.getLinkByIndex(peer!.peerIndex!);
    let n = 0;
    while (before.has(`veth${n}`)) n++;
    assert.equal(host?.name, `veth${n}`);
    assert.equal(await b.nl.deleteLink('eth7'), 'deleted');
  });

  test('createVeth with a taken peer name: EEXIST, nothing left behind', async () => {
    await assert.rejects(a.nl.createVeth({ host: 'skveth1', peer: 'eth0', peerNetnsFd: b.handle.fd }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EEXIST');
      assert.match(e.message, /^Netlink error: create veth pair skveth1 <-> eth0: File exists \(os error 17\)$/);
      return true;
    });
    assert.equal(ipLink(a.ns, 'skveth1'), undefined);
  });

  test('setUp, setMtu, setMac, setMaster', async () => {
    const br = (await a.nl.getLink('skbr0'))!;
    await a.nl.createVeth({ host: 'skveth2', peer: 'eth1', peerNetnsFd: b.handle.fd });
    const v = (await a.nl.getLink('skveth2'))!;
    assert.equal(v.master, undefined);
    await a.nl.setMaster(v.index, br.index);
    await a.nl.setMtu(v.index, 1280);
    await a.nl.setMac(v.index, '02:00:00:00:00:99');
    await a.nl.setUp(v.index);
    await a.nl.setUp(br.index);
    const ip = ipLink(a.ns, 'skveth2');
    assert.equal(ip?.master, 'skbr0');
    assert.equal(ip?.mtu, 1280);
    assert.equal(ip?.address, '02:00:00:00:00:99');
    assert.ok(ip?.flags.includes('UP'));
    assert.ok(ipLink(a.ns, 'skbr0')?.flags.includes('UP'));
    const back = await a.nl.getLinkByIndex(v.index);
    assert.deepEqual(back, { index: v.index, name: 'skveth2', kind: 'veth', mac: '02:00:00:00:00:99', mtu: 1280, up: true, master: br.index, peerIndex: back?.peerIndex });
  });

  test('set* on a missing link: ENODEV naming the link', async () => {
    await assert.rejects(a.nl.setUp(9999), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'ENODEV');
      assert.equal(e.message, 'Netlink error: set link 9999 up: No such device (os error 19)');
      return true;
    });
  });

  test('getLink / getLinkByIndex of a missing link: undefined', async () => {
    assert.equal(await a.nl.getLink('sknothere'), undefined);
    assert.equal(await a.nl.getLinkByIndex(9999), undefined);
  });

  test('deleteLink: deleted, then absent; deleting one veth end removes both', async () => {
    assert.equal(await b.nl.deleteLink('eth1'), 'deleted');
    assert.equal(ipLink(a.ns, 'skveth2'), undefined);
    assert.equal(await b.nl.deleteLink('eth1'), 'absent');
    assert.equal(await a.nl.deleteLink('skveth2'), 'absent');
  });

  test('createVlanLink macvlan: made on a parent here, lands in the other namespace', async () => {
    a.ns.sh('ip', ['link', 'add', 'skifb0', 'type', 'ifb']);
    const parent = (await a.nl.getLink('skifb0'))!;
    await a.nl.createVlanLink({ kind: 'macvlan', name: 'mv0', parent: parent.index, netnsFd: b.handle.fd, mode: 4, mtu: 1400, mac: '02:00:00:00:00:77', bcQueueLenOrCutoff: 2 });
    assert.equal(ipLink(a.ns, 'mv0'), undefined);
    const ip = ipLink(b.ns, 'mv0');
    assert.equal(ip?.linkinfo?.info_kind, 'macvlan');
    assert.equal(ip?.linkinfo?.info_data?.['mode'], 'bridge'); // MACVLAN_MODE_BRIDGE = 4
    assert.equal(ip?.mtu, 1400);
    assert.equal(ip?.address, '02:00:00:00:00:77');
    assert.equal((await b.nl.getLink('mv0'))?.kind, 'macvlan');
  });

  test('createVlanLink ipvlan: works, or says the kernel lacks it', async (t) => {
    const parent = (await a.nl.getLink('skifb0'))!;
    try {
      await a.nl.createVlanLink({ kind: 'ipvlan', name: 'ipv0', parent: parent.index, netnsFd: b.handle.fd, mode: 0 });
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === 'EOPNOTSUPP') {
        assert.match(e.message, /^Netlink error: create ipvlan ipv0 on link \d+: Operation not supported \(os error 95\)$/);
        assert.match(e.hint ?? '', /no ipvlan support/);
        t.skip('this kernel has no ipvlan (EOPNOTSUPP)');
        return;
      }
      throw e;
    }
    const ip = ipLink(b.ns, 'ipv0');
    assert.equal(ip?.linkinfo?.info_kind, 'ipvlan');
    assert.equal(ip?.linkinfo?.info_data?.['mode'], 'l2');
  });

  test('bad input fails before the kernel, as EINVAL naming the object', async () => {
    await assert.rejects(a.nl.createBridge({ name: 'skbr9', mac: 'nope' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EINVAL');
      assert.equal(e.message, 'Netlink error: create bridge skbr9: invalid MAC address "nope"');
      return true;
    });
    await assert.rejects(a.nl.createBridge({ name: 'a-name-over-15-bytes' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.errno, 'EINVAL');
      assert.equal(e.message, 'Netlink error: create bridge a-name-over-15-bytes: invalid interface name "a-name-over-15-bytes": it is longer than 15 bytes');
      return true;
    });
    await assert.rejects(a.nl.getLink('eth0/x'), /invalid interface name "eth0\/x"/);
  });

  test('concurrent calls on one facade (the kernel runs one dump per socket)', async () => {
    const [links, addrs, routes, lo, byIndex] = await Promise.all([
      a.nl.links(), a.nl.addresses(), a.nl.routes(), a.nl.getLink('lo'), a.nl.getLinkByIndex(1), a.nl.links(), a.nl.routes(6),
    ]);
    assert.ok(links.some((l) => l.name === 'skbr0'));
    assert.ok(Array.isArray(addrs) && Array.isArray(routes));
    assert.equal(lo?.index, 1);
    assert.equal(byIndex?.name, 'lo');
  });

  test('links() over a dump that spans many datagrams', async () => {
    const c = await nlNetns();
    try {
      const names = Array.from({ length: 120 }, (_, i) => `skb${i}`);
      await Promise.all(names.map((name) => c.nl.createBridge({ name })));
      const mine = (await c.nl.links()).map((l) => l.name);
      const ip = c.ns.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname);
      assert.equal(mine.length, 121);
      assert.deepEqual([...mine].sort(), [...ip].sort());
    } finally {
      c.destroy();
    }
  });

  test('a closed facade rejects instead of hanging', async () => {
    const c = await nlNetns();
    c.nl.close();
    await assert.rejects(c.nl.links(), /closed/);
    c.nl.close();
    c.destroy();
  });
});
