#!/usr/bin/env node
// Times `setup` + `teardown` of one container on a bridge network, Skiff
// against Debian's netavark 1.4, in the same run and the same sandbox.
// Usage (root): scripts/in-sandbox.sh node bench/setup-teardown.mjs [iterations]
// Everything runs in namespaces this script creates and deletes.
import { spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireRootSandbox } from './sandbox-guard.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const skiff = join(repo, process.env.SKIFF_DIST_DIR ?? 'dist', 'skiff.cjs');
const netavark = process.env.NETAVARK ?? '/usr/lib/podman/netavark';
const iterations = Number(process.argv[2] ?? 15);
const tag = randomBytes(3).toString('hex');
const hostNs = `skbench-h-${tag}`;
const sh = (...a) => execFileSync(a[0], a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

requireRootSandbox();

function input(id, ip) {
  const netId = 'b'.repeat(64);
  return JSON.stringify({
    container_id: id,
    container_name: `bench-${id.slice(0, 6)}`,
    networks: { bench: { static_ips: [ip], interface_name: 'eth0', aliases: [] } },
    network_info: {
      bench: {
        name: 'bench', id: netId, driver: 'bridge', network_interface: 'skbench0',
        subnets: [{ subnet: '10.123.0.0/24', gateway: '10.123.0.1' }],
        ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
      },
    },
  });
}

function timeOne(cmd, args, stdin) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input: stdin, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stdout} ${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function runInner() {
  const cases = [
    { name: 'netavark 1.4 (iptables)', cmd: netavark, pre: [], fw: [], config: '/run/skbench/netavark' },
    { name: 'skiff (firewall none)', cmd: process.execPath, pre: [skiff], fw: ['--firewall-driver', 'none'], config: '/run/skbench/skiff-none' },
  ];
  if (process.env.SKIFF_BENCH_NFT !== '0') {
    cases.push({ name: 'skiff (nftables)', cmd: process.execPath, pre: [skiff], fw: ['--firewall-driver', 'nftables'], config: '/run/skbench/skiff-nft' });
  }
  const results = {};
  for (const c of cases) {
    if (c.cmd === netavark && !existsSync(netavark)) continue;
    mkdirSync(c.config, { recursive: true });
    const setup = [];
    const teardown = [];
    for (let i = 0; i < iterations + 2; i++) {
      const ns = `skbench-c-${tag}-${i}`;
      sh('ip', 'netns', 'add', ns);
      const stdin = input(randomBytes(32).toString('hex'), `10.123.0.${10 + (i % 200)}`);
      const base = [...c.pre, '--config', c.config, '--rootless', 'false', '--aardvark-binary', '/nonexistent', ...c.fw];
      try {
        const s = timeOne(c.cmd, [...base, 'setup', `/run/netns/${ns}`], stdin);
        const t = timeOne(c.cmd, [...base, 'teardown', `/run/netns/${ns}`], stdin);
        if (i >= 2) {
          setup.push(s);
          teardown.push(t);
        } // the first two warm the page cache
      } catch (e) {
        console.error(`${c.name}: ${e.message}`);
        setup.length = 0;
        break;
      } finally {
        spawnSync('ip', ['netns', 'delete', ns]);
      }
    }
    if (setup.length) results[c.name] = { setup: median(setup), teardown: median(teardown) };
  }
  process.stdout.write(JSON.stringify(results));
}

if (process.argv.includes('--inner')) {
  runInner();
} else {
  sh('ip', 'netns', 'add', hostNs);
  try {
    sh('ip', '-n', hostNs, 'link', 'set', 'lo', 'up');
    const bare = [];
    for (let i = 0; i < 10; i++) bare.push(timeOne(process.execPath, ['-e', ''], ''));
    const r = spawnSync('ip', ['netns', 'exec', hostNs, process.execPath, fileURLToPath(import.meta.url), String(iterations), '--inner'], {
      encoding: 'utf8',
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const results = JSON.parse(r.stdout || '{}');
    console.log(`setup+teardown of one container, median of ${iterations} runs (node -e '' takes ${median(bare).toFixed(0)} ms here)`);
    console.log('implementation                 setup ms  teardown ms  total ms');
    for (const [name, v] of Object.entries(results)) {
      console.log(`${name.padEnd(30)} ${v.setup.toFixed(1).padStart(8)} ${v.teardown.toFixed(1).padStart(12)} ${(v.setup + v.teardown).toFixed(1).padStart(9)}`);
    }
    const ref = results['netavark 1.4 (iptables)'];
    if (ref) {
      for (const [name, v] of Object.entries(results)) {
        if (v === ref) continue;
        console.log(`ratio ${name} / netavark: ${((v.setup + v.teardown) / (ref.setup + ref.teardown)).toFixed(2)} (target <= 0.80)`);
      }
    }
  } finally {
    spawnSync('ip', ['netns', 'delete', hostNs]);
    rmSync('/run/skbench', { recursive: true, force: true });
  }
}
