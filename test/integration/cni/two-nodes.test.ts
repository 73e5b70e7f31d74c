// Two sandboxed "nodes" joined by an underlay link, each running skiff-cni
// for its own pod CIDR inside one cluster CIDR, with routes between them as
// flannel's host-gw mode would set them. A pod reaches the other node's pod by
// its pod address and the other pod sees that address (no NAT inside
// clusterCIDR); a host outside the cluster sees the node's address instead.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createNetns, killChildren, needRoot, type Netns } from '../../helpers/sandbox.js';
import { CniNode, REF_DIR } from './lib.js';

const skip = needRoot || (existsSync(`${REF_DIR}/host-local`) ? false : `needs containernetworking-plugins (${REF_DIR})`);

/** Prints the address a TCP client connects from, once per connection. */
function peerEcho(ns: Netns, port: number): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns.name, 'socat', `TCP-LISTEN:${port},reuseaddr,fork`, 'SYSTEM:echo $SOCAT_PEERADDR'], { stdio: 'ignore' });
}

/** The address `to` saw us connect from, retried while the listener starts. */
async function seenFrom(from: Netns, ip: string, port: number): Promise<string> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    const r = from.run('socat', ['-T2', '-', `TCP:${ip}:${port},connect-timeout=2`]);
    if (r.code === 0 && r.stdout.trim() !== '') return r.stdout.trim();
    last = r.stderr;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no answer from ${ip}:${port}: ${last}`);
}

describe('skiff-cni on two nodes with a cluster CIDR', { skip }, () => {
  let a: CniNode;
  let b: CniNode;
  let ext: Netns;
  const children: ChildProcess[] = [];
  before(() => {
    a = new CniNode('cna');
    b = new CniNode('cnb');
    ext = createNetns('cnx');
    // underlay between the nodes, and an uplink from node A to a host outside the cluster
    a.ns.sh('ip', ['link', 'add', 'under', 'type', 'veth', 'peer', 'name', 'under', 'netns', b.ns.name]);
    a.ns.sh('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ext.name]);
    a.ns.sh('ip', ['addr', 'add', '192.168.100.1/24', 'dev', 'under']);
    b.ns.sh('ip', ['addr', 'add', '192.168.100.2/24', 'dev', 'under']);
    a.ns.sh('ip', ['addr', 'add', '198.51.100.1/24', 'dev', 'uplink']);
    ext.sh('ip', ['addr', 'add', '198.51.100.2/24', 'dev', 'eth0']);
    for (const [ns, dev] of [[a.ns, 'under'], [b.ns, 'under'], [a.ns, 'uplink'], [ext, 'eth0']] as const) ns.sh('ip', ['link', 'set', dev, 'up']);
    // host-gw: each node routes the other's pod CIDR via the other's underlay address
    a.ns.sh('ip', ['route', 'add', '10.244.2.0/24', 'via', '192.168.100.2']);
    b.ns.sh('ip', ['route', 'add', '10.244.1.0/24', 'via', '192.168.100.1']);
  });
  after(async () => {
    await killChildren(children);
    a.destroy();
    b.destroy();
    ext.destroy();
  });

  const conf = (node: CniNode, podCidr: string) => ({
    cniVersion: '1.0.0',
    name: 'cbr0',
    type: 'skiff',
    bridge: 'cni0',
    isDefaultGateway: true,
    ipMasq: true,
    clusterCIDR: '10.244.0.0/16',
    ipam: { type: 'host-local', dataDir: node.ipamDir, ranges: [[{ subnet: podCidr }]] },
  });

  test('pod to pod across nodes keeps the pod address; pod to outside is masqueraded', async () => {
    const podA = a.container('cpa');
    const podB = b.container('cpb');
    const resA = a.ok('ADD', conf(a, '10.244.1.0/24'), { containerId: 'pod-a', netns: podA.path });
    const resB = b.ok('ADD', conf(b, '10.244.2.0/24'), { containerId: 'pod-b', netns: podB.path });
    const ipA = resA.ips[0].address.split('/')[0] as string;
    const ipB = resB.ips[0].address.split('/')[0] as string;
    assert.match(ipA, /^10\.244\.1\./);
    assert.match(ipB, /^10\.244\.2\./);

    assert.equal(podA.run('ping', ['-c1', '-W2', ipB]).code, 0, 'pod A reaches pod B by its pod address');
    children.push(peerEcho(podB, 7000), peerEcho(ext, 7001));
    assert.equal(await seenFrom(podA, ipB, 7000), ipA, 'no NAT inside the cluster CIDR');
    assert.equal(await seenFrom(podA, '198.51.100.2', 7001), '198.51.100.1', 'masqueraded to the node address outside it');

    a.ok('DEL', conf(a, '10.244.1.0/24'), { containerId: 'pod-a', netns: podA.path });
    b.ok('DEL', conf(b, '10.244.2.0/24'), { containerId: 'pod-b', netns: podB.path });
    assert.deepEqual(a.linkNames(), ['lo', 'under', 'uplink']);
    assert.deepEqual(b.linkNames(), ['lo', 'under']);
  });
});
