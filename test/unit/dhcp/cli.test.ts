import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scopeDhcpProxyArgs } from '../../../src/cli/commands/dhcp-proxy.js';
import { run, SKIFF } from '../../helpers/sandbox.js';

test('-a after dhcp-proxy is --activity-timeout; before it, the global --aardvark-binary', () => {
  assert.deepEqual(scopeDhcpProxyArgs(['dhcp-proxy', '-a', '30']), ['dhcp-proxy', '--activity-timeout', '30']);
  assert.deepEqual(scopeDhcpProxyArgs(['dhcp-proxy', '-a30', '-d', '/x']), ['dhcp-proxy', '--activity-timeout=30', '-d', '/x']);
  assert.deepEqual(scopeDhcpProxyArgs(['-a', '/bin/dns', 'dhcp-proxy', '--activity-timeout', '0']), ['-a', '/bin/dns', 'dhcp-proxy', '--activity-timeout', '0']);
  assert.deepEqual(scopeDhcpProxyArgs(['-a', '/bin/dns', 'setup', '/run/netns/x']), ['-a', '/bin/dns', 'setup', '/run/netns/x']);
});

test('bad dhcp-proxy flags are errors before anything starts', () => {
  const r = run(process.execPath, [SKIFF, 'dhcp-proxy', '--dir', '/nonexistent/never', '-t', 'soon']);
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stdout).error, '--timeout: invalid value "soon", expected whole seconds');
  const fds = run(process.execPath, [SKIFF, 'dhcp-proxy', '--dir', '/nonexistent/never'], { env: { ...process.env, LISTEN_FDS: '2' } });
  assert.equal(fds.code, 1);
  assert.equal(JSON.parse(fds.stdout).error, 'Received more than one FD from systemd');
});
