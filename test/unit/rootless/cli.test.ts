// The `rootless` command group in-process: flags reach the application, input
// errors come back as ConfigError before anything starts, and the command
// module loads the implementation lazily.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerRootless } from '../../../src/cli/commands/rootless.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { hintFor } from '../../../src/rootless/runner.js';
import type { Io } from '../../../src/cli/io.js';

function harness(stdin = ''): { program: Command; out: string[] } {
  const out: string[] = [];
  const io: Io = { stdout: (t) => void out.push(t), stderr: () => undefined, readInput: () => stdin };
  const program = new Command('skiff').option('-c, --config <dir>').option('-f, --file <path>').exitOverride();
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerRootless(program, io);
  return { program, out };
}

describe('skiff rootless (in-process)', () => {
  it('rejects sctp before starting anything', async () => {
    const { program } = harness('{"port_mappings":[{"container_port":1,"host_port":1,"protocol":"sctp"}]}');
    await assert.rejects(program.parseAsync(['rootless', 'setup', '/proc/self/ns/net', '--config', '/nonexistent'], { from: 'user' }), (e: Error) => e instanceof ConfigError && /sctp/.test(e.message));
  });
  it('rejects an unknown backend as a usage error', async () => {
    const { program } = harness();
    await assert.rejects(program.parseAsync(['rootless', 'setup', 'x', '--backend', 'vpnkit'], { from: 'user' }), (e: Error) => e instanceof CommanderError && /vpnkit/.test(e.message));
  });
  it('passes option values through (bad --mtu is named)', async () => {
    const { program } = harness();
    await assert.rejects(program.parseAsync(['rootless', 'setup', 'x', '--mtu', '9'], { from: 'user' }), /--mtu: "9"/);
  });
  it('teardown without state is success and prints JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-rl-'));
    const { program, out } = harness();
    await program.parseAsync(['--config', dir, 'rootless', 'teardown', 'ctr1'], { from: 'user' });
    assert.deepEqual(JSON.parse(out.join('')), { netns: '/run/netns/ctr1', stopped: null });
  });
  it('ports without any mapping is an input error', async () => {
    const { program } = harness('{"port_mappings":[]}');
    await assert.rejects(program.parseAsync(['--config', '/tmp', 'rootless', 'ports', 'add', 'ctr1'], { from: 'user' }), /port_mappings is empty/);
  });
  it('the command module imports the implementation only lazily', () => {
    const src = readFileSync(new URL('../../../../src/cli/commands/rootless.ts', import.meta.url), 'utf8');
    const staticImports = [...src.matchAll(/^import (?!type)[^;]*from '([^']+)'/gm)].map((m) => m[1]);
    assert.deepEqual(staticImports.filter((p) => p?.includes('rootless/')), []);
  });
});

describe('hintFor', () => {
  it('maps helper messages to a next step', () => {
    assert.match(hintFor("Failed to bind any port for '-t 80:80', exiting", '/n') ?? '', /ip_unprivileged_port_start/);
    assert.match(hintFor('setns() failed: Operation not permitted (netns)', '/n') ?? '', /--userns/);
    assert.equal(hintFor('all good', '/n'), undefined);
  });
});
