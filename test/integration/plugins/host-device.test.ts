// A host-device style plugin (like netavark's examples/host-device-plugin.rs)
// driven through pluginSetup/pluginTeardown with real namespaces: the plugin
// moves a dummy link from a sandbox "host" namespace into the container
// namespace and back. Both namespaces are throwaway; the plugin only ever
// names them explicitly (ip -n / nsenter --net), never the machine's own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, needRoot, type Netns } from '../../helpers/sandbox.js';
import { findPlugin, pluginSetup, pluginTeardown, type PluginExecInput } from '../../../src/drivers/plugin-exec.js';

const PLUGIN = `#!/bin/sh
cat >/dev/null
fail() { printf '{"error":"%s"}' "$1"; exit 1; }
case "$1" in
setup)
  ip -n "$HOST_NS" link set dummy0 netns "$2" || fail "cannot move dummy0 into $2"
  nsenter --net="$2" ip link set dummy0 up || fail "cannot set dummy0 up"
  mac=$(nsenter --net="$2" ip -o link show dummy0 | sed -n 's/.*link\\/ether \\([0-9a-f:]*\\).*/\\1/p')
  printf '{"dns_search_domains":[],"dns_server_ips":[],"interfaces":{"dummy0":{"mac_address":"%s","subnets":[]}}}' "$mac"
  ;;
teardown)
  nsenter --net="$2" ip link set dummy0 netns "/run/netns/$HOST_NS" || fail "cannot move dummy0 back"
  ;;
info) printf '{"version":"0.1.0","api_version":"1.0.0"}' ;;
*) fail "unknown subcommand $1" ;;
esac
`;

interface IpLink {
  ifname: string;
  address?: string;
}

describe('host-device plugin in real namespaces', { skip: needRoot }, () => {
  let host: Netns;
  let ctr: Netns;
  let dir: string;
  before(() => {
    host = createNetns('skph');
    ctr = createNetns('skpc');
    // a veth end stands in for a physical device (no dummy module in every kernel)
    host.sh('ip', ['link', 'add', 'dummy0', 'type', 'veth', 'peer', 'name', 'dummy0p']);
    dir = mkdtempSync(join(tmpdir(), 'skiff-plugin-'));
    writeFileSync(join(dir, 'host-device'), PLUGIN);
    chmodSync(join(dir, 'host-device'), 0o755);
  });
  after(() => {
    ctr?.destroy();
    host?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('setup moves the link in and reports it; teardown moves it back', async () => {
    const path = findPlugin([dir], 'host-device');
    assert.ok(path);
    const input: PluginExecInput = {
      container_id: 'b'.repeat(64),
      container_name: 'ctr',
      port_mappings: null,
      network: { name: 'hd', id: 'c'.repeat(64), driver: 'host-device', network_interface: 'dummy0', ipv6_enabled: false, internal: false, dns_enabled: false },
      network_options: { interface_name: 'eth0' },
    };
    const o = { env: { ...process.env, HOST_NS: host.name }, stderr: () => {} };
    const sb = await pluginSetup(path, ctr.path, input, o);
    const inCtr = ctr.ipJson<IpLink[]>(['link', 'show', 'dummy0']);
    assert.equal(inCtr.length, 1);
    assert.deepEqual(sb.interfaces, { dummy0: { mac_address: inCtr[0]!.address, subnets: [] } });
    assert.equal(host.run('ip', ['link', 'show', 'dummy0']).code !== 0, true);

    await pluginTeardown(path, ctr.path, input, o);
    assert.equal(host.ipJson<IpLink[]>(['link', 'show', 'dummy0']).length, 1);
    assert.equal(ctr.run('ip', ['link', 'show', 'dummy0']).code !== 0, true);
  });

  it('a failing move is relayed as the plugin error', async () => {
    const path = findPlugin([dir], 'host-device')!;
    const input: PluginExecInput = {
      container_id: 'b'.repeat(64),
      container_name: 'ctr',
      network: { name: 'hd', id: 'c'.repeat(64), driver: 'host-device' },
      network_options: { interface_name: 'eth0' },
    };
    // the netns path does not exist, so `ip link set netns` fails inside the plugin
    await assert.rejects(
      pluginSetup(path, '/run/netns/skiff-does-not-exist', input, { env: { ...process.env, HOST_NS: host.name }, stderr: () => {} }),
      { message: 'plugin "host-device" failed: exit code 1, message: cannot move dummy0 into /run/netns/skiff-does-not-exist' },
    );
    assert.equal(host.ipJson<IpLink[]>(['link', 'show', 'dummy0']).length, 1);
  });
});
