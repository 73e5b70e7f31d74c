#!/usr/bin/env node
// ADD + DEL latency of one container: skiff-cni alone against the reference
// chain it replaces (bridge + portmap + firewall + tuning from Debian's
// containernetworking-plugins), with 0 and 10 port mappings, called the way
// libcni calls them (one process per plugin, prevResult threaded through).
// Usage (root): scripts/in-sandbox.sh node bench/cni.mjs [iterations]
// Runs itself inside a "host" netns it creates; container netns come and go
// per iteration (not timed).
import { spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireRootSandbox } from './sandbox-guard.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(repo, process.env.SKIFF_DIST_DIR ?? 'dist');
const skiffCni = join(distDir, 'skiff-cni.cjs');
// the thick-plugin path: the native client installed as `skiff`, served by skiffd (src/client/client.c)
const skiffClient = join(distDir, 'skiff-client');
const REF = '/usr/lib/cni';
const iterations = Number(process.argv[2] ?? 15);
const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

requireRootSandbox();

if (!process.argv.includes('--inner')) {
  const host = `skcnib-${randomBytes(3).toString('hex')}`;
  sh('ip', ['netns', 'add', host]);
  try {
    sh('ip', ['-n', host, 'link', 'set', 'lo', 'up']);
    const r = spawnSync('ip', ['netns', 'exec', host, process.execPath, fileURLToPath(import.meta.url), String(iterations), '--inner'], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'delete', host]);
  }
} else {
  const dir = `/run/skiff-cni-bench-${process.pid}`;
  mkdirSync(`${dir}/bin`, { recursive: true });
  execFileSync('ln', ['-s', skiffCni, `${dir}/bin/skiff`]);
  mkdirSync(`${dir}/client-bin`, { recursive: true });
  execFileSync('ln', ['-s', skiffClient, `${dir}/client-bin/skiff`]);
  const daemonEnv = { SKIFF_DAEMON: '1', SKIFF_DAEMON_DIR: `${dir}/daemon` };
  const ports = (n) => Array.from({ length: n }, (_, i) => ({ hostPort: 20000 + i, containerPort: 80 + i, protocol: 'tcp' }));
  const ipam = (subnet, name) => ({ type: 'host-local', subnet, routes: [{ dst: '0.0.0.0/0' }], dataDir: `${dir}/ipam-${name}` });
  const chains = {
    skiff: {
      cniVersion: '1.0.0',
      name: 'skiffnet',
      plugins: [{ type: 'skiff', bridge: 'skb0', isGateway: true, ipMasq: true, ipam: ipam('10.97.0.0/24', 'skiff'), stateDir: `${dir}/state`, capabilities: { portMappings: true } }],
    },
    client: {
      cniVersion: '1.0.0',
      name: 'clientnet',
      client: true,
      plugins: [{ type: 'skiff', bridge: 'skc0', isGateway: true, ipMasq: true, ipam: ipam('10.96.0.0/24', 'client'), stateDir: `${dir}/state`, capabilities: { portMappings: true } }],
    },
    reference: {
      cniVersion: '1.0.0',
      name: 'refnet',
      plugins: [
        { type: 'bridge', bridge: 'refb0', isGateway: true, ipMasq: true, ipam: ipam('10.98.0.0/24', 'ref') },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'firewall' },
        { type: 'tuning' },
      ],
    },
  };

  const call = (cmd, list, p, id, netns, rc, prev) => {
    const { capabilities, ...rest } = p;
    const conf = { ...rest, cniVersion: list.cniVersion, name: list.name, ...(capabilities?.portMappings ? { runtimeConfig: rc } : {}), ...(prev ? { prevResult: prev } : {}) };
    const bin = list.client ? `${dir}/client-bin` : `${dir}/bin`;
    const path = p.type === 'skiff' ? `${bin}/skiff` : `${REF}/${p.type}`;
    const r = spawnSync(path, [], {
      input: JSON.stringify(conf),
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        CNI_COMMAND: cmd,
        CNI_CONTAINERID: id,
        CNI_NETNS: netns,
        CNI_IFNAME: 'eth0',
        CNI_PATH: `${bin}:${REF}`,
        ...(list.client ? daemonEnv : {}),
      },
    });
    if (r.status !== 0) throw new Error(`${p.type} ${cmd} failed: ${r.stdout} ${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  };

  const once = (name, nports, i) => {
    const list = chains[name];
    const ns = `skcnic-${process.pid}-${i}`;
    sh('ip', ['netns', 'add', ns]);
    const netns = `/run/netns/${ns}`;
    const id = `bench-${name}-${i}`;
    const rc = { portMappings: ports(nports) };
    try {
      const t0 = process.hrtime.bigint();
      let prev;
      for (const p of list.plugins) prev = call('ADD', list, p, id, netns, rc, prev);
      const t1 = process.hrtime.bigint();
      for (const p of [...list.plugins].reverse()) call('DEL', list, p, id, netns, rc, prev);
      const t2 = process.hrtime.bigint();
      return { add: Number(t1 - t0) / 1e6, del: Number(t2 - t1) / 1e6 };
    } finally {
      spawnSync('ip', ['netns', 'delete', ns]);
    }
  };

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  // a container stays attached during the runs so neither bridge is created/removed every time
  const keep = {};
  for (const name of Object.keys(chains)) {
    const ns = `skcnik-${process.pid}-${name}`;
    sh('ip', ['netns', 'add', ns]);
    keep[name] = ns;
    const list = chains[name];
    let prev;
    for (const p of list.plugins) prev = call('ADD', list, p, `keep-${name}`, `/run/netns/${ns}`, { portMappings: [] }, prev);
  }
  try {
    console.log(`skiff-cni (one Node process per call) and skiff-client + skiffd (thick plugin) vs bridge+portmap+firewall+tuning:`);
    console.log(`ADD + DEL of one container, median of ${iterations}, interleaved (ms); load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log('ports  skiff-cni(add/del/total)  client+skiffd(add/del/total)  reference(add/del/total)   ratios cni / client');
    const names = ['skiff', 'client', 'reference'];
    for (const nports of [0, 10]) {
      const res = { skiff: [], client: [], reference: [] };
      for (const name of names) once(name, nports, 'warm');
      for (let i = 0; i < iterations; i++) for (const name of names) res[name].push(once(name, nports, i));
      const m = (name, k) => median(res[name].map((r) => (k === 'total' ? r.add + r.del : r[k])));
      const fmt = (name) => `${m(name, 'add').toFixed(1)}/${m(name, 'del').toFixed(1)}/${m(name, 'total').toFixed(1)}`;
      const ratio = (name) => (m(name, 'total') / m('reference', 'total')).toFixed(2);
      console.log(`${String(nports).padStart(5)}  ${fmt('skiff').padEnd(25)} ${fmt('client').padEnd(29)} ${fmt('reference').padEnd(26)} ${ratio('skiff')}x / ${ratio('client')}x`);
    }
  } finally {
    for (const [name, ns] of Object.entries(keep)) {
      const list = chains[name];
      try {
        for (const p of [...list.plugins].reverse()) call('DEL', list, p, `keep-${name}`, `/run/netns/${ns}`, { portMappings: [] });
      } catch (e) {
        console.error(String(e));
      }
      spawnSync('ip', ['netns', 'delete', ns]);
    }
    spawnSync(skiffClient, ['daemon', 'stop'], { env: { ...process.env, ...daemonEnv }, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
