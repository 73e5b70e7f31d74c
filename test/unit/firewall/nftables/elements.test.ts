// Pure element rendering, state-file parsing and foreign-chain detection (driver selection: ../select.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dedupe, describeKey, networkElements, portElements, removeCmds } from '../../../../firewall/nftables/elements.js';
import { findDropChains, ourRuleHandles } from '../../../../firewall/nftables/foreign.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyNftError, nftErrorText, nftRunner } from '../../../../firewall/nftables/nft.js';
import { batch, table } from '../../../../firewall/nftables/nft-json.js';
import { staticRules } from '../../../../firewall/nftables/rules.js';
import { networkFileSchema, parseStateFile, portsFileName, serializeNetwork } from '../../../../schemas/firewall-state.js';
import { FOREIGN_COMMENT } from '../../../../firewall/nftables/layout.js';
import { podman, webPorts } from './fixtures.js';

const pf = (host_ip: string, extra: Partial<typeof webPorts> = {}) => ({
  ...webPorts,
  ...extra,
  portMappings: [{ host_ip, container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }],
});
const sets = (els: { set: string }[]) => [...new Set(els.map((e) => e.set))].sort();

describe('portElements', () => {
  it('host_ip "" publishes on both families the container has', () => {
    assert.deepEqual(sets(portElements(pf(''))), ['dnat_any_addr4', 'dnat_any_addr6', 'dnat_any_port4', 'dnat_any_port6']);
    assert.deepEqual(sets(portElements(pf('', { containerIpV6: undefined }))), ['dnat_any_addr4', 'dnat_any_port4']);
  });
  it('0.0.0.0 is IPv4 only, :: is IPv6 only', () => {
    assert.deepEqual(sets(portElements(pf('0.0.0.0'))), ['dnat_any_addr4', 'dnat_any_port4']);
    assert.deepEqual(sets(portElements(pf('::'))), ['dnat_any_addr6', 'dnat_any_port6']);
  });
  it('a literal host ip of the other family is skipped', () => {
    assert.deepEqual(portElements(pf('192.0.2.1', { containerIpV4: undefined })), []);
    assert.deepEqual(portElements(pf('2001:db8::1', { containerIpV6: undefined })), []);
    assert.deepEqual(sets(portElements(pf('192.0.2.1'))), ['dnat_addr4', 'dnat_port4']);
  });
  it('an invalid host ip is an error naming it and the port', () => {
    assert.throws(() => portElements(pf('1.2.3')), { message: 'invalid host ip "1.2.3" provided for port 8080' });
  });
  it('ranges map each host port to its own container port; range 0 means 1', () => {
    const els = portElements({ ...webPorts, containerIpV6: undefined, portMappings: [{ host_ip: '', container_port: 100, host_port: 9000, range: 3, protocol: 'udp' }] });
    const ports = els.filter((e) => e.set === 'dnat_any_port4').map((e) => [e.key, e.value]);
    assert.deepEqual(ports, [
      [{ concat: ['udp', 9000] }, 100],
      [{ concat: ['udp', 9001] }, 101],
      [{ concat: ['udp', 9002] }, 102],
    ]);
    const one = portElements({ ...webPorts, containerIpV6: undefined, portMappings: [{ host_ip: '', container_port: 1, host_port: 2, range: 0, protocol: 'tcp' }] });
    assert.equal(one.length, 2);
  });
  it('ranges running past 65535 and unknown protocols are errors', () => {
    assert.throws(() => portElements({ ...webPorts, portMappings: [{ host_ip: '', container_port: 80, host_port: 65535, range: 2, protocol: 'tcp' }] }), /within 1-65535/);
    assert.throws(() => portElements({ ...webPorts, portMappings: [{ host_ip: '', container_port: 80, host_port: 80, range: 1, protocol: 'icmp' }] }), /unsupported protocol "icmp"/);
  });
  it('the same host port twice with different targets is an error; identical twice is fine', () => {
    const m = { host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' };
    assert.equal(portElements({ ...webPorts, portMappings: [m, m] }).length, 4);
    assert.throws(() => portElements({ ...webPorts, portMappings: [m, { ...m, container_port: 81 }] }), /host port tcp\/8080 is published twice/);
  });
  it('container addresses must be addresses (nft would resolve a name)', () => {
    assert.throws(() => portElements(pf('', { containerIpV4: '10.77.263.2' })), /"10\.77\.263\.2" is not an IPv4 address/);
    assert.throws(() => portElements(pf('', { containerIpV6: 'example.com' })), /"example\.com" is not an IPv6 address/);
  });
  it('sctp goes through the same maps (th dport)', () => {
    const els = portElements({ ...webPorts, portMappings: [{ host_ip: '0.0.0.0', container_port: 7, host_port: 7, range: 1, protocol: 'sctp' }] });
    assert.deepEqual(els[0]?.key, { concat: ['sctp', 7] });
  });
});

describe('networkElements', () => {
  it('internal networks get no NAT or forwarding elements', () => {
    const els = networkElements({ ...podman, internal: true });
    assert.deepEqual(sets(els), ['bridge_self', 'bridges', 'dns_in', 'internal_bridges', 'iso_strict', 'isolated']);
  });
  it('a bad subnet or outbound address is a ConfigError naming the network', () => {
    assert.throws(() => networkElements({ ...podman, subnets: ['10.88.0.0/33'] }), /network podman: "10.88.0.0\/33" is not a valid subnet/);
    assert.throws(() => networkElements({ ...podman, outboundAddr4: 'fd00::1' }), /outbound_addr4 "fd00::1" is not an IPv4 address/);
  });
  it('bad gateways and bridge names are refused', () => {
    assert.throws(() => networkElements({ ...podman, gateways: ['gw.example'] }), /gateway "gw\.example" is not an IP address/);
    assert.throws(() => networkElements({ ...podman, bridge: 'a-very-long-bridge-name' }), /not a valid bridge name/);
  });
  it('isolate=false adds no isolation elements', () => {
    assert.deepEqual(sets(networkElements({ ...podman, isolate: 'false' })).filter((s) => s.startsWith('iso')), []);
  });
});

describe('helpers', () => {
  it('dedupe keeps the first of a conflicting key', () => {
    const r = dedupe([
      { set: 'a', key: 1, value: 2 },
      { set: 'a', key: 1, value: 2 },
      { set: 'a', key: 1, value: 3 },
    ]);
    assert.equal(r.elements.length, 1);
    assert.equal(r.conflicts.length, 1);
  });
  it('removeCmds adds before it deletes, so a missing element is not an error', () => {
    const cmds = removeCmds([{ set: 'm', key: 'k', value: 'v' }]);
    assert.deepEqual(cmds.map((c) => Object.keys(c)[0]), ['add', 'delete']);
    assert.deepEqual(removeCmds([]), []);
  });
  it('describeKey', () => {
    assert.equal(describeKey({ concat: ['10.0.0.1', 'tcp', 80] }), '10.0.0.1 tcp/80');
    assert.equal(describeKey({ concat: ['udp', 53] }), 'udp/53');
  });
  it('static rules never mention a network, bridge or port of ours', () => {
    const text = JSON.stringify(staticRules());
    for (const s of ['podman', '10.88', '8080']) assert.ok(!text.includes(s));
  });
  it('nft error text and classification', () => {
    const err = 'internal:0:0-0: Error: Could not process rule: File exists\n\ninternal:0:0-0: Error: Could not process rule: File exists\n';
    assert.equal(nftErrorText(err), 'Could not process rule: File exists');
    assert.equal(classifyNftError(err), 'EEXIST');
    assert.equal(classifyNftError('Error: No such file or directory'), 'ENOENT');
  });
  it('a failing nft is reported in netavark\'s words (Podman shows them; people search for them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-nft-err-'));
    try {
      const nft = join(dir, 'nft');
      writeFileSync(nft, "#!/bin/sh\necho 'nft custom error message' >&2\nexit 1\n");
      chmodSync(nft, 0o755);
      await assert.rejects(nftRunner(nft).list(['chains']), {
        message: 'nftables error: "nft" did not return successfully while getting the current ruleset: nft custom error message',
      });
      await assert.rejects(nftRunner(nft).apply(batch([table('add')]), 'network x setup'), {
        message: 'nftables error: "nft" did not return successfully while applying ruleset: nft custom error message',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('foreign chains', () => {
  it('finds drop-policy forward/input base chains of other tables only', () => {
    const out = {
      nftables: [
        { metainfo: {} },
        { chain: { family: 'ip', table: 'filter', name: 'FORWARD', hook: 'forward', type: 'filter', prio: 0, policy: 'drop' } },
        { chain: { family: 'ip6', table: 'filter', name: 'INPUT', hook: 'input', type: 'filter', prio: 0, policy: 'drop' } },
        { chain: { family: 'inet', table: 'skiff', name: 'forward', hook: 'forward', type: 'filter', prio: -5, policy: 'drop' } },
        { chain: { family: 'inet', table: 'fw', name: 'out', hook: 'output', type: 'filter', prio: 0, policy: 'drop' } },
        { chain: { family: 'bridge', table: 'b', name: 'fwd', hook: 'forward', type: 'filter', prio: 0, policy: 'drop' } },
        { chain: { family: 'inet', table: 'filter', name: 'forward', hook: 'forward', type: 'filter', prio: 0, policy: 'accept' } },
      ],
    };
    assert.deepEqual(findDropChains(out).map((c) => `${c.family} ${c.table} ${c.name}`), ['ip filter FORWARD', 'ip6 filter INPUT']);
    assert.deepEqual(findDropChains('garbage'), []);
  });
  it('finds our rules by comment', () => {
    const out = { nftables: [{ rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 4, comment: FOREIGN_COMMENT } }, { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 5 } }] };
    assert.deepEqual(ourRuleHandles(out), [4]);
  });
});

describe('state files', () => {
  it('round-trips a network and reports the bad field with the path', () => {
    assert.deepEqual(parseStateFile(networkFileSchema, serializeNetwork(podman), 'x'), podman);
    assert.throws(() => parseStateFile(networkFileSchema, '{"version":1,"kind":"network","data":{}}', '/s/n.json'), /^Error: \/s\/n\.json: data\.networkId: /);
    assert.throws(() => parseStateFile(networkFileSchema, '{', '/s/n.json'), /\/s\/n\.json: not valid JSON/);
  });
  it('file names cannot escape the directory', () => {
    assert.equal(portsFileName('../x', 'a/b'), '.._x_a_b.json');
  });
});

describe('dry run', () => {
  it('records the batches it would apply and writes nothing', async () => {
    const { dryRunNftablesDriver } = await import('../../../../firewall/nftables/dry-run.js');
    const { driver, batches } = dryRunNftablesDriver();
    await driver.setupNetwork(podman);
    await driver.setupPorts(webPorts);
    assert.deepEqual(batches.map((b) => b.what), ['network podman setup', `container ${webPorts.containerId.slice(0, 12)} port forwarding`]);
  });
});

describe('networkElements: masquerade and no-NAT destinations (CNI ipMasq, clusterCIDR)', () => {
  const v4 = { ...podman, subnets: ['10.244.1.0/24'], gateways: ['10.244.1.1'] };
  it('masquerade false drops the masq (and snat) elements only', () => {
    const on = networkElements(v4).map((e) => e.set);
    const off = networkElements({ ...v4, masquerade: false, outboundAddr4: '192.0.2.9' }).map((e) => e.set);
    assert.ok(on.includes('masq4'));
    assert.ok(!off.includes('masq4') && !off.includes('snat4'));
    assert.deepEqual(off, on.filter((s) => s !== 'masq4'));
  });
  it('each no-NAT destination of the same family becomes a "same" pair', () => {
    const same = networkElements({ ...v4, noNatDestinations: ['10.244.0.0/16', 'fd00::/8'] }).filter((e) => e.set === 'same4');
    assert.deepEqual(same.map((e) => e.key), [
      { concat: [{ prefix: { addr: '10.244.1.0', len: 24 } }, { prefix: { addr: '10.244.1.0', len: 24 } }] },
      { concat: [{ prefix: { addr: '10.244.1.0', len: 24 } }, { prefix: { addr: '10.244.0.0', len: 16 } }] },
    ]);
    assert.throws(() => networkElements({ ...v4, noNatDestinations: ['nope'] }), /no-NAT destination: "nope" is not a valid subnet/);
  });
});
