// Read-only state dir, a full disk and an unwritable /run/sysctl.d: setup
// fails with a clear {"error"} (exit 1), and nothing is half-applied: the
// host namespace (links, addresses, nft ruleset), the container namespace and
// the state dir are as before. Each CLI call runs in its own private mount
// namespace (`unshare --mount`) where the read-only or full mount is made, so
// nothing else sees it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, needRoot, SKIFF, type Netns, type RunResult } from '../../helpers/sandbox.js';
import { options, type NetSpec } from '../../helpers/options.js';

const net: NetSpec = { name: 'rofs', bridge: 'rofsbr0', dns: true, subnets: [{ subnet: '10.86.0.0/24', gateway: '10.86.0.1' }] };
const PORTS = { port_mappings: [{ host_ip: '', container_port: 80, host_port: 18086, range: 1, protocol: 'tcp' }] };

describe('unwritable state: clear error, nothing half-applied', { skip: needRoot }, () => {
  let host: Netns;
  let ctr: Netns;
  let base: string;
  let dns: string;
  before(() => {
    host = createNetns('skro');
    ctr = createNetns('skroc');
    base = `/run/skiff-rofs-${host.name}`;
    mkdirSync(base, { recursive: true });
    dns = join(base, 'dns-stub');
    writeFileSync(dns, '#!/bin/sh\nexit 0\n');
    chmodSync(dns, 0o755);
  });
  after(() => {
    ctr?.destroy();
    host?.destroy();
    rmSync(base, { recursive: true, force: true });
  });

  /** `skiff <args>` in the host netns, after `prepare` (shell) ran in a private mount namespace. */
  function skiffIn(prepare: string, config: string, args: string[], input: unknown): RunResult {
    const script = `set -e\n${prepare}\nexec ip netns exec "$0" "$@"`;
    const r = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, host.name, process.execPath, SKIFF, '--config', config, '--firewall-driver', 'nftables', '--aardvark-binary', dns, ...args],
      { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 },
    );
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  function state(config: string): Record<string, unknown> {
    return {
      links: host.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).sort(),
      addrs: host.sh('ip', ['-br', 'addr']),
      nft: host.sh('nft', ['list', 'ruleset']),
      ctr: ctr.ipJson<{ ifname: string }[]>(['link', 'show']).map((l) => l.ifname).sort(),
      files: listFiles(config).filter((f) => !f.endsWith('.lock')), // lock files stay, as netavark's do
    };
  }

  function assertCleanFailure(r: RunResult, want: RegExp): void {
    assert.equal(r.code, 1, `exit 1 expected: ${r.stdout}${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stdout);
    const v = JSON.parse(lines[0]!) as { error?: unknown };
    assert.equal(typeof v.error, 'string');
    assert.match(String(v.error), want);
    assert.ok(!/\n\s+at /.test(r.stdout + r.stderr), `stack trace:\n${r.stderr}`);
  }

  for (const [what, prepare, want] of [
    ['read-only state dir', (d: string) => `mount --bind "${d}" "${d}"\nmount -o remount,ro,bind "${d}"`, /read-only|EROFS/i],
    ['full disk under the state dir', (d: string) => `mount -t tmpfs -o size=64k skiff-full "${d}"\ndd if=/dev/zero of="${d}/fill" bs=4k 2>/dev/null || true`, /no space|ENOSPC/i],
  ] as const) {
    test(`${what}: setup with DNS and a port fails cleanly; a later setup works`, () => {
      const config = join(base, what.replaceAll(' ', '-'));
      mkdirSync(config, { recursive: true });
      const input = options('ro1', [{ net, ips: ['10.86.0.2'] }], PORTS);
      const before = state(config);
      const r = skiffIn(prepare(config), config, ['setup', ctr.path], input);
      assertCleanFailure(r, want);
      const after = state(config);
      assert.deepEqual({ ...after, files: undefined }, { ...before, files: undefined }, 'the namespaces are as before');
      // the full-disk case mounts its own tmpfs: what is left on it went away with the namespace
      if (what.startsWith('read-only')) assert.deepEqual(after.files, before.files);

      // once the dir is writable again (the mount was private to that call), the same setup works
      const ok = skiffIn('true', config, ['setup', ctr.path], input);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      const down = skiffIn('true', config, ['teardown', ctr.path], input);
      assert.equal(down.code, 0, down.stdout + down.stderr);
      assert.deepEqual({ ...state(config), files: undefined }, { ...before, files: undefined });
    });
  }

  test('unwritable /run/sysctl.d on a systemd host: clear error, bridge and rules rolled back', () => {
    const config = join(base, 'sysctld');
    mkdirSync(config, { recursive: true });
    const input = options('ro2', [{ net, ips: ['10.86.0.3'] }], PORTS);
    const before = state(config);
    // a systemd host (the marker directory) whose /run/sysctl.d is a read-only mount
    // (fresh tmpfs mounts: the directories made under the shared /run stay empty)
    const prepare = 'mkdir -p /run/systemd /run/sysctl.d\nmount -t tmpfs skiff-sd /run/systemd\nmkdir /run/systemd/system\nmount -t tmpfs -o ro skiff-ro /run/sysctl.d';
    const r = skiffIn(prepare, config, ['setup', ctr.path], input);
    assertCleanFailure(r, /sysctl\.d|read-only|EROFS/i);
    assert.deepEqual(state(config), before, 'nothing half-applied');
  });
});

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}
