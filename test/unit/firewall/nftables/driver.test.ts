// The nftables driver against a recording fake nft: the whole rendered batch of
// each scenario is compared with a golden file, and state files are checked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NftablesDriver } from '../../../../firewall/nftables/driver.js';
import { FirewallState } from '../../../../firewall/state.js';
import { FOREIGN_COMMENT } from '../../../../firewall/nftables/layout.js';
import { NftError } from '../../../../firewall/nftables/nft.js';
import { CID, FakeNft, assertGolden, internal, other, podman, tempConfig, webPorts } from './fixtures.js';

function setup(rootless = false) {
  const nft = new FakeNft();
  const dir = tempConfig();
  return { nft, dir, d: new NftablesDriver({ configDir: dir, rootless }, nft), st: new FirewallState(dir) };
}

describe('nftables driver: rendered batches (golden)', () => {
  it('first network: static table + dual-stack strict network elements', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    assertGolden('setup-network-dualstack-strict', nft.last());
    assert.equal(st.readDriverName(), 'nftables');
    assert.deepEqual(st.networkIds(), [podman.networkId]);
  });

  it('a known network (next container): only its elements, no table or chain commands', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    await d.setupNetwork(podman);
    assertGolden('setup-network-known', nft.last());
  });

  it('a known network whose table is gone (ENOENT): rebuilds the static part', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    nft.failNext = new NftError('nftables rejected the x change: No such file or directory', 'ENOENT');
    nft.batches = [];
    await d.setupNetwork(podman);
    assert.equal(nft.batches.length, 1);
    assert.ok(JSON.stringify(nft.last()).includes('"flush":{"chain"'));
  });

  it('isolate=true network with outbound_addr4 and a DNS port other than 53', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(other);
    assertGolden('setup-network-snat-isolate-true-dnsport', nft.last());
  });

  it('internal network: bridge sets and DNS only', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(internal);
    assertGolden('setup-network-internal', nft.last());
  });

  it('published ports: any/v4/v6/literal host ips, ranges, comma protocols, family mismatch skipped', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    await d.setupPorts(webPorts);
    assertGolden('setup-ports-mixed', nft.last());
    assert.ok(st.loadPorts(podman.networkId, CID));
  });

  it('teardown of ports: add-then-delete of exactly the saved elements', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    await d.setupPorts(webPorts);
    // the caller's view may differ from what was set up; the saved state wins
    await d.teardownPorts({ ...webPorts, portMappings: [] });
    assertGolden('teardown-ports-mixed', nft.last());
    assert.equal(st.loadPorts(podman.networkId, CID), undefined);
  });

  it('complete teardown of a network while another remains: only its elements go', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    await d.setupNetwork(other);
    await d.teardownNetwork(other, { complete: true });
    assertGolden('teardown-network-not-last', nft.last());
    assert.deepEqual(st.networkIds(), [podman.networkId]);
  });

  it('complete teardown of the last network deletes the table', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    await d.teardownNetwork(podman, { complete: true });
    assertGolden('teardown-network-last', nft.last());
    assert.deepEqual(st.networkIds(), []);
  });

  it('reload replays every saved network and container in one batch', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    await d.setupNetwork(other);
    await d.setupNetwork(internal);
    await d.setupPorts(webPorts);
    await d.setupPorts({ containerId: 'b'.repeat(64), network: other, containerIpV4: '10.89.0.7', portMappings: [{ host_ip: '', container_port: 5432, host_port: 15432, range: 1, protocol: 'tcp' }] });
    nft.batches = [];
    await d.reload();
    assert.equal(nft.batches.length, 1);
    assertGolden('reload-three-networks', nft.last());
  });

  it('a foreign drop-policy forward chain gets one mark-scoped accept, once', async () => {
    const { nft, d } = setup();
    nft.lists.set('chains', {
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { chain: { family: 'ip', table: 'filter', name: 'FORWARD', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } },
        { chain: { family: 'ip', table: 'filter', name: 'DOCKER-USER', handle: 2 } },
        { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
      ],
    });
    await d.setupNetwork(podman);
    assertGolden('setup-network-foreign-drop', nft.last());
    // the same network again (second container): no listing, no second insert
    nft.lists.clear();
    await d.setupNetwork(podman);
    assert.ok(!JSON.stringify(nft.last()).includes(FOREIGN_COMMENT));
  });
});

describe('nftables driver: behaviour', () => {
  it('does not insert the foreign accept again when the chain already has it', async () => {
    const { nft, d } = setup();
    nft.lists.set('chains', { nftables: [{ chain: { family: 'ip', table: 'filter', name: 'FORWARD', hook: 'forward', type: 'filter', prio: 0, policy: 'drop' } }] });
    nft.lists.set('chain ip filter FORWARD', { nftables: [{ rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 9, comment: FOREIGN_COMMENT, expr: [] } }] });
    await d.setupNetwork(podman);
    assert.ok(!JSON.stringify(nft.last()).includes('"insert"'));
  });

  it('removes its foreign accept when the last network goes', async () => {
    const { nft, d } = setup();
    nft.lists.set('chains', { nftables: [{ chain: { family: 'ip', table: 'filter', name: 'FORWARD', hook: 'forward', type: 'filter', prio: 0, policy: 'drop' } }] });
    nft.lists.set('chain ip filter FORWARD', { nftables: [{ rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 9, comment: FOREIGN_COMMENT, expr: [] } }] });
    await d.setupNetwork(podman);
    await d.teardownNetwork(podman, { complete: true });
    assert.deepEqual(nft.last().nftables.slice(1), [
      { add: { table: { family: 'inet', name: 'skiff' } } },
      { delete: { table: { family: 'inet', name: 'skiff' } } },
      { delete: { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 9 } } },
    ]);
  });

  it('keeps the table when the admin has rules in the user chain', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    nft.lists.set('chain inet skiff user_forward', { nftables: [{ chain: {} }, { rule: { handle: 3 } }] });
    await d.teardownNetwork(podman, { complete: true });
    assert.ok(!JSON.stringify(nft.last()).includes('"delete":{"table"'));
    assert.ok(JSON.stringify(nft.last()).includes('"delete":{"element"'));
  });

  it('incomplete teardown of a network changes nothing', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    const n = nft.batches.length;
    await d.teardownNetwork(podman, { complete: false });
    assert.equal(nft.batches.length, n);
    assert.deepEqual(st.networkIds(), [podman.networkId]);
  });

  it('a failed setup leaves no state behind', async () => {
    const { nft, d, st } = setup();
    nft.failNext = new NftError('nftables rejected the x change: File exists', 'EEXIST');
    await assert.rejects(d.setupNetwork(podman), /File exists/);
    assert.deepEqual(st.networkIds(), []);
    await d.setupNetwork(podman);
    nft.failNext = new NftError('nftables rejected the x change: File exists', 'EEXIST');
    await assert.rejects(d.setupPorts(webPorts), /File exists/);
    assert.equal(st.loadPorts(podman.networkId, CID), undefined);
  });

  it('a failed teardown rebuilds the table from the remaining state', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    await d.setupPorts(webPorts);
    nft.failNext = new NftError('nftables rejected the x change: File exists', 'EEXIST');
    nft.batches = [];
    await d.teardownPorts(webPorts);
    assert.equal(nft.batches.length, 1);
    assert.equal(nft.batches[0]?.what, 'firewall reload');
    assert.ok(!JSON.stringify(nft.last()).includes('10.88.0.5'), 'the torn-down container is not replayed');
  });

  it('changed network input: stale elements are removed in the same batch', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    await d.setupNetwork({ ...podman, isolate: 'false' });
    const text = JSON.stringify(nft.last());
    assert.match(text, /"delete":\{"element":\{"family":"inet","table":"skiff","name":"iso_strict"/);
  });

  it('complete teardown also removes leftover port state of that network', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    await d.setupNetwork(other);
    await d.setupPorts({ ...webPorts, network: other, containerIpV4: '10.89.0.5', containerIpV6: undefined });
    await d.teardownNetwork(other, { complete: true });
    assert.equal(st.loadPorts(other.networkId, CID), undefined);
    assert.match(JSON.stringify(nft.last()), /"delete":\{"element":\{"family":"inet","table":"skiff","name":"dnat_any_addr4"/);
  });

  it('a container publishing the same ports on two networks: the first owns them, the second takes over', async () => {
    const { nft, d } = setup();
    await d.setupNetwork(podman);
    await d.setupNetwork(other);
    const onOther = { ...webPorts, network: other, containerIpV4: '10.89.0.5', containerIpV6: undefined };
    await d.setupPorts(webPorts);
    const n = nft.batches.length;
    await d.setupPorts(onOther); // every v4 key is owned by the podman entry; nothing v6 on `other`
    assert.equal(nft.batches.length, n, 'no batch: nothing of its own to add');
    await d.teardownPorts(webPorts);
    assertGolden('teardown-ports-handover', nft.last());
    await d.teardownPorts(onOther);
    const last = JSON.stringify(nft.last());
    assert.ok(last.includes('10.89.0.5') && !last.includes('10.88.0.5'));
  });

  it('rootless: a key held by another network is skipped after looking at the map', async () => {
    const { nft, d } = setup(true);
    const pf = { ...webPorts, containerIpV6: undefined, portMappings: [{ host_ip: '', container_port: 80, host_port: 8080, range: 2, protocol: 'tcp' }] };
    nft.lists.set('map inet skiff dnat_any_addr4', { nftables: [{ map: { name: 'dnat_any_addr4', elem: [[{ concat: ['tcp', 8080] }, '10.89.0.5']] } }] });
    nft.lists.set('map inet skiff dnat_any_port4', { nftables: [{ map: { name: 'dnat_any_port4', elem: [[{ concat: ['tcp', 8080] }, 80]] } }] });
    nft.failNext = new NftError('nftables rejected the x change: File exists', 'EEXIST');
    await d.setupPorts(pf);
    const text = JSON.stringify(nft.last());
    assert.ok(text.includes('8081') && !text.includes('8080'), text);
    // teardown: 8080 still points at the other network's address, so only 8081 is deleted
    nft.lists.set('map inet skiff dnat_any_addr4', { nftables: [{ map: { name: 'dnat_any_addr4', elem: [[{ concat: ['tcp', 8080] }, '10.89.0.5'], [{ concat: ['tcp', 8081] }, '10.88.0.5']] } }] });
    nft.failNext = new NftError('nftables rejected the x change: File exists', 'EEXIST');
    await d.teardownPorts(pf);
    const del = JSON.stringify(nft.last());
    assert.ok(del.includes('"delete"') && del.includes('8081') && !del.includes('"add"'), del);
  });

  it('rootless: no state files, teardown still removes the elements it is given', async () => {
    const { nft, d, dir } = setup(true);
    await d.setupNetwork(podman);
    await d.setupPorts(webPorts);
    assert.equal(existsSync(join(dir, 'firewall')), false);
    await d.teardownPorts(webPorts);
    assert.match(JSON.stringify(nft.last()), /"delete":\{"element"/);
    await d.teardownNetwork(podman, { complete: true });
    assert.ok(!JSON.stringify(nft.last()).includes('"delete":{"table"'), 'rootless never deletes the table: it cannot know about other networks');
    nft.batches = [];
    await d.reload();
    assert.equal(nft.batches.length, 0);
  });

  it('reload skips damaged state files and ports of unknown networks', async () => {
    const { nft, d, dir } = setup();
    await d.setupNetwork(podman);
    await d.setupPorts(webPorts);
    writeFileSync(join(dir, 'firewall/networks/broken.json'), '{"version":1,');
    mkdirSync(join(dir, 'firewall/ports'), { recursive: true });
    await d.setupNetwork(other);
    await d.setupPorts({ ...webPorts, containerId: 'd'.repeat(64), network: other, containerIpV4: '10.89.0.9', portMappings: [{ host_ip: '', container_port: 1, host_port: 1111, range: 1, protocol: 'udp' }] });
    // forget the network but keep its container's port file
    new FirewallState(dir).removeNetwork(other.networkId);
    nft.batches = [];
    await d.reload();
    const text = JSON.stringify(nft.last());
    assert.ok(text.includes('10.88.0.5'));
    assert.ok(!text.includes('10.89.0.9'));
    assert.ok(readdirSync(join(dir, 'firewall/networks')).includes('broken.json'));
  });

  it('validates ports before touching anything', async () => {
    const { nft, d, st } = setup();
    await d.setupNetwork(podman);
    const n = nft.batches.length;
    await assert.rejects(
      d.setupPorts({ ...webPorts, portMappings: [{ host_ip: 'nope', container_port: 80, host_port: 8081, range: 1, protocol: 'tcp' }] }),
      { message: 'invalid host ip "nope" provided for port 8081' },
    );
    assert.equal(nft.batches.length, n);
    assert.equal(st.loadPorts(podman.networkId, CID), undefined);
  });
});
