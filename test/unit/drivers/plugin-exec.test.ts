// netavark's plugin API against small plugins written here into a
// temp dir: one that works, one that reports {"error"}, one that talks on
// stderr, one that prints garbage, one that dies. No root: nothing here
// touches a namespace (the netns path is only passed through).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findPlugin,
  pluginCreate,
  pluginInfo,
  pluginSetup,
  pluginTeardown,
  unknownDriverError,
  type PluginExecInput,
} from '../../../src/drivers/plugin-exec.js';
import { runCreate } from '../../../src/cli/commands/create.js';
import { errorMessage } from '../../../src/lib/errors.js';

const ID = '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9';
let dir: string;
let other: string;
let logFile: string;

function write(d: string, name: string, text: string, mode = 0o755): string {
  const path = join(d, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

// A working plugin in node: create fills in a bridge-like network, setup
// answers a StatusBlock built from its input, every call is logged.
const GOOD = `#!${process.execPath}
const fs = require('fs');
const input = fs.readFileSync(0, 'utf8');
const [cmd, netns] = process.argv.slice(2);
fs.appendFileSync(process.env.PLUGIN_LOG || '/dev/null', JSON.stringify({ cmd, netns, input }) + '\\n');
const out = (v) => process.stdout.write(JSON.stringify(v));
if (cmd === 'create') {
  const n = JSON.parse(input);
  n.network_interface = 'plug0';
  n.subnets = [{ subnet: '10.123.0.0/24' }];
  n.options = Object.assign({}, n.options, { custom: 'yes' });
  if (n.name === 'rename-me') n.name = 'renamed';
  out(n);
} else if (cmd === 'setup') {
  const i = JSON.parse(input);
  out({ dns_search_domains: [], dns_server_ips: [], interfaces: { [i.network_options.interface_name]: {
    mac_address: i.network_options.static_mac, subnets: [{ ipnet: i.network_options.static_ips[0] + '/24', gateway: '10.123.0.1' }] } } });
} else if (cmd === 'teardown') {
} else if (cmd === 'info') {
  out({ version: '0.1.0', api_version: '1.0.0', extra: true });
} else { process.stdout.write(JSON.stringify({ error: 'unknown command ' + cmd })); process.exit(2); }
`;

const ERROR = `#!/bin/sh
cat >/dev/null
printf '{"error":"%s error"}' "$1"
exit 1
`;

const STDERR = `#!/bin/sh
cat >/dev/null
echo "stderr $1" >&2
if [ "$1" = setup ]; then printf '{"interfaces":{"eth0":{"mac_address":"aa:bb:cc:dd:ee:ff","subnets":[]}}}'; fi
exit 0
`;

const GARBAGE = `#!/bin/sh
cat >/dev/null
echo "this is not json"
[ "$1" = teardown ] && exit 3
exit 0
`;

const BAD_STATUS = `#!/bin/sh
cat >/dev/null
printf '{"interfaces":{"eth0":{"mac_address":"aa:bb:cc:dd:ee:ff","subnets":[{"ipnet":"10.0.0.5"}]}}}'
`;

const KILLED = `#!/bin/sh
kill -9 $$
`;

const input: PluginExecInput = {
  container_id: 'a'.repeat(64),
  container_name: 'ctr',
  port_mappings: [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }],
  network: { name: 'plugin-net', id: ID, driver: 'good', ipv6_enabled: false, internal: false, dns_enabled: false },
  network_options: { interface_name: 'eth0', static_ips: ['10.123.0.5'], static_mac: 'aa:bb:cc:dd:aa:00' },
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-plugins-'));
  other = mkdtempSync(join(tmpdir(), 'skiff-plugins-'));
  logFile = join(dir, 'calls.log');
  write(dir, 'good', GOOD);
  write(dir, 'error-plugin', ERROR);
  write(dir, 'stderr-plugin', STDERR);
  write(dir, 'garbage', GARBAGE);
  write(dir, 'bad-status', BAD_STATUS);
  write(dir, 'killed', KILLED);
  write(dir, 'not-executable', GOOD, 0o644);
  mkdirSync(join(dir, 'a-directory'));
  write(other, 'good', ERROR);
  write(other, 'only-in-other', ERROR, 0o100);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

const opts = () => ({ env: { ...process.env, PLUGIN_LOG: logFile }, stderr: () => {} });

describe('findPlugin', () => {
  it('finds an executable named exactly as the driver, first directory first', () => {
    assert.equal(findPlugin([dir, other], 'good'), join(dir, 'good'));
    assert.equal(findPlugin([other, dir], 'good'), join(other, 'good'));
  });
  it('accepts any execute bit', () => assert.equal(findPlugin([dir, other], 'only-in-other'), join(other, 'only-in-other')));
  it('skips files without an execute bit, directories and missing dirs', () => {
    assert.equal(findPlugin([dir], 'not-executable'), undefined);
    assert.equal(findPlugin([dir], 'a-directory'), undefined);
    assert.equal(findPlugin(['/nonexistent-skiff-dir'], 'good'), undefined);
    assert.equal(findPlugin([], 'good'), undefined);
  });
  it('never resolves a driver name that is a path', () => {
    assert.equal(findPlugin([join(dir, 'a-directory')], '../good'), undefined);
    assert.equal(findPlugin([dir], ''), undefined);
    assert.equal(findPlugin([dir], '..'), undefined);
  });
  it('unknownDriverError says what netavark says and where it looked', () => {
    const e = unknownDriverError('x', ['/a', '/b']);
    assert.equal(e.message, 'unknown network driver "x"');
    assert.equal(errorMessage(e), 'unknown network driver "x". No executable named x in /a, /b');
  });
});

describe('plugin exec', () => {
  it('create: sends the network, returns the plugin answer', async () => {
    const out = (await pluginCreate(join(dir, 'good'), { name: 'n', id: ID, driver: 'good' }, opts())) as Record<string, unknown>;
    assert.equal(out['network_interface'], 'plug0');
    assert.equal(out['name'], 'n');
  });
  it('setup: passes the netns path and input, validates the StatusBlock', async () => {
    rmSync(logFile, { force: true });
    const sb = await pluginSetup(join(dir, 'good'), '/run/netns/x', input, opts());
    assert.deepEqual(sb, {
      dns_search_domains: [],
      dns_server_ips: [],
      interfaces: { eth0: { mac_address: 'aa:bb:cc:dd:aa:00', subnets: [{ ipnet: '10.123.0.5/24', gateway: '10.123.0.1' }] } },
    });
    const call = JSON.parse(readFileSync(logFile, 'utf8').trim()) as { cmd: string; netns: string; input: string };
    assert.equal(call.cmd, 'setup');
    assert.equal(call.netns, '/run/netns/x');
    assert.deepEqual(JSON.parse(call.input), input);
  });
  it('teardown: same input, nothing expected back', async () => {
    rmSync(logFile, { force: true });
    await pluginTeardown(join(dir, 'good'), '/run/netns/x', input, opts());
    const call = JSON.parse(readFileSync(logFile, 'utf8').trim()) as { cmd: string; netns: string; input: string };
    assert.equal(call.cmd, 'teardown');
    assert.deepEqual(JSON.parse(call.input), input);
  });
  it('info: version and api_version, extra fields kept', async () => {
    assert.deepEqual(await pluginInfo(join(dir, 'good'), opts()), { version: '0.1.0', api_version: '1.0.0', extra: true });
  });
  it('relays {"error"} with the plugin name and exit code', async () => {
    const p = join(dir, 'error-plugin');
    await assert.rejects(pluginCreate(p, {}, opts()), { message: 'plugin "error-plugin": exit code 1, message: create error' });
    await assert.rejects(pluginSetup(p, '/run/netns/x', input, opts()), {
      message: 'plugin "error-plugin" failed: exit code 1, message: setup error',
    });
    await assert.rejects(pluginTeardown(p, '/run/netns/x', input, opts()), {
      message: 'plugin "error-plugin" failed: exit code 1, message: teardown error',
    });
    await assert.rejects(pluginInfo(p, opts()), { message: 'plugin "error-plugin": exit code 1, message: info error' });
  });
  it('passes stderr through and still reads stdout', async () => {
    const seen: string[] = [];
    const sb = await pluginSetup(join(dir, 'stderr-plugin'), '/run/netns/x', input, { stderr: (t) => seen.push(t) });
    assert.deepEqual(Object.keys(sb.interfaces ?? {}), ['eth0']);
    await pluginTeardown(join(dir, 'stderr-plugin'), '/run/netns/x', input, { stderr: (t) => seen.push(t) });
    assert.deepEqual(seen, ['stderr setup\n', 'stderr teardown\n']);
  });
  it('garbage on stdout is an error that names the plugin', async () => {
    const p = join(dir, 'garbage');
    await assert.rejects(pluginSetup(p, '/run/netns/x', input, opts()), (e: Error) => {
      assert.match(e.message, /^plugin "garbage" failed: invalid JSON on stdout: /);
      return true;
    });
    await assert.rejects(pluginTeardown(p, '/run/netns/x', input, opts()), {
      message: 'plugin "garbage" failed: exit code 3, parse error: expected {"error": "..."} on stdout, got output "this is not json"',
    });
  });
  it('a status block that is not one is rejected field by field', async () => {
    await assert.rejects(pluginSetup(join(dir, 'bad-status'), '/run/netns/x', input, opts()), {
      message: 'plugin "bad-status" failed: invalid status block: interfaces.eth0.subnets[0].ipnet: invalid address/prefix "10.0.0.5"',
    });
  });
  it('a plugin killed by a signal says so', async () => {
    await assert.rejects(pluginSetup(join(dir, 'killed'), '/run/netns/x', input, opts()), {
      message: 'plugin "killed" killed by signal SIGKILL',
    });
  });
  it('a plugin that cannot be started says why', async () => {
    await assert.rejects(pluginInfo(join(dir, 'not-executable'), opts()), (e: Error) => {
      assert.match(e.message, /^plugin "not-executable": /);
      return true;
    });
  });
});

describe('create with a plugin driver', () => {
  const createInput = (driver: string, name = 'plugin-net') =>
    JSON.stringify({
      network: { name, id: ID, driver, ipv6_enabled: false, internal: false, dns_enabled: false, options: { a: 'b' } },
      used: { interfaces: [], names: {}, subnets: [] },
      options: { subnet_pools: [{ base: '10.89.0.0/16', size: 24 }], default_interface_name: 'podman', check_used_subnets: true },
    });
  const deps = { now: () => new Date('2026-01-02T03:04:05.000Z'), random: (n: number) => new Uint8Array(n), hostInterfaces: () => [] };

  it('runs the plugin, then the common checks (gateway, created)', async () => {
    const out = await runCreate(createInput('good'), { pluginDirs: [dir], deps, plugin: opts() });
    assert.deepEqual(out, {
      name: 'plugin-net',
      id: ID,
      driver: 'good',
      network_interface: 'plug0',
      created: '2026-01-02T03:04:05.000Z',
      subnets: [{ subnet: '10.123.0.0/24', gateway: '10.123.0.1' }],
      ipv6_enabled: false,
      internal: false,
      dns_enabled: false,
      options: { a: 'b', custom: 'yes' },
    });
  });
  it('a plugin may not rename the network', async () => {
    await assert.rejects(runCreate(createInput('good', 'rename-me'), { pluginDirs: [dir], deps, plugin: opts() }), {
      message: 'plugin "good" changed the network name from "rename-me" to "renamed"',
    });
  });
  it('relays the plugin error', async () => {
    await assert.rejects(runCreate(createInput('error-plugin'), { pluginDirs: [dir], deps, plugin: opts() }), {
      message: 'plugin "error-plugin": exit code 1, message: create error',
    });
  });
  it('an unknown driver is reported with the directories searched', async () => {
    await assert.rejects(runCreate(createInput('nope'), { pluginDirs: [dir], deps }), (e: Error) => {
      assert.equal(errorMessage(e), `unknown network driver "nope". No executable named nope in ${dir}`);
      return true;
    });
  });
  it('name checks run before the plugin is called', async () => {
    await assert.rejects(runCreate(createInput('good', 'bad name'), { pluginDirs: [dir], deps, plugin: opts() }), {
      message: 'Invalid characters in network name "bad name": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*',
    });
  });
});
