// `skiff rootless netns` in-process: input errors before any file is made,
// status of a state directory without a netns, destroy with nothing to stop
// (lazy loading is observed in test/integration/cli/lazy-load.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerRootless } from '../../../../src/cli/commands/rootless.js';
import { ConfigError } from '../../../../src/lib/errors.js';
import type { Io } from '../../../../src/cli/io.js';

function harness(): { program: Command; out: string[] } {
  const out: string[] = [];
  const io: Io = { stdout: (t) => void out.push(t), stderr: () => undefined, readInput: () => '' };
  const program = new Command('skiff').option('-c, --config <dir>').option('-f, --file <path>').exitOverride();
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerRootless(program, io);
  return { program, out };
}

describe('skiff rootless netns (in-process)', () => {
  it('a bad --ports is a ConfigError naming the element, and nothing is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-rn-'));
    const { program } = harness();
    await assert.rejects(
      program.parseAsync(['--config', dir, 'rootless', 'netns', 'ensure', '--ports', '8080,sctp:9'], { from: 'user' }),
      (e: Error) => e instanceof ConfigError && /"sctp:9"/.test(e.message),
    );
    assert.equal(existsSync(join(dir, 'rootless-netns')), false);
    rmSync(dir, { recursive: true });
  });

  it('an unknown backend is a usage error', async () => {
    const { program } = harness();
    await assert.rejects(program.parseAsync(['rootless', 'netns', 'ensure', '--backend', 'vpnkit'], { from: 'user' }), (e: Error) => e instanceof CommanderError && /vpnkit/.test(e.message));
  });

  it('status and destroy without a netns: not running, nothing stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-rn-'));
    const { program, out } = harness();
    await program.parseAsync(['--config', dir, 'rootless', 'netns', 'status'], { from: 'user' });
    assert.deepEqual(JSON.parse(out.join('')), { dir: join(dir, 'rootless-netns'), running: false, ref_count: 0, attachments: [] });
    out.length = 0;
    await program.parseAsync(['--config', dir, 'rootless', 'netns', 'destroy'], { from: 'user' });
    assert.deepEqual(JSON.parse(out.join('')), { stopped: [] });
    rmSync(dir, { recursive: true });
  });

  it('a corrupt info.json says how to start over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-rn-'));
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'rootless-netns'));
    writeFileSync(join(dir, 'rootless-netns', 'info.json'), '{"version":1');
    const { program } = harness();
    await assert.rejects(program.parseAsync(['--config', dir, 'rootless', 'netns', 'status'], { from: 'user' }), /corrupt/);
    rmSync(dir, { recursive: true });
  });
});
