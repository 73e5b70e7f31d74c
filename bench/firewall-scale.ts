// Benchmark: setup+teardown of one container publishing 10 ports when 0, 100
// and 1000 other port forwards already exist, for skiff (nftables driver) and
// Debian's netavark 1.4 (iptables) side by side, through their CLIs, in the
// same run. Everything happens in throwaway namespaces; run as root via
//   scripts/in-sandbox.sh node build-<you>/bench/firewall-scale.js [--reps N] [--sizes 0,100,1000]
// Prints medians and ratios; no pass/fail (tests never assert timings).
// Rows: skiff and netavark = the whole CLI (process start, netlink, firewall);
// skiff-fw = the nftables driver alone, in-process (firewall-driver-inner.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIFF, createNetns, type Netns } from '../test/helpers/sandbox.js';

const INNER = join(fileURLToPath(import.meta.url), '..', 'firewall-driver-inner.js');

const NETAVARK = '/usr/lib/podman/netavark';
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
};
const REPS = Number(arg('--reps', '5'));
const SIZES = arg('--sizes', '0,100,1000').split(',').map(Number);
const PORTS_PER_FILLER = 10;

const network = {
  name: 'bench',
  id: 'be9c0000000000000000000000000000000000000000000000000000000000be',
  driver: 'bridge',
  network_interface: 'skbench0',
  subnets: [{ subnet: '10.77.0.0/16', gateway: '10.77.0.1' }],
  ipv6_enabled: false,
  internal: false,
  dns_enabled: false,
  ipam_options: { driver: 'host-local' },
};

function options(i: number, ip: string, firstHostPort: number, count: number): string {
  return JSON.stringify({
    container_id: i.toString(16).padStart(64, '0'),
    container_name: `c${i}`,
    port_mappings: Array.from({ length: count }, (_, k) => ({ host_ip: '', container_port: 80 + k, host_port: firstHostPort + k, range: 1, protocol: 'tcp' })),
    networks: { bench: { static_ips: [ip], interface_name: 'eth0' } },
    network_info: { bench: network },
  });
}

type Tool = 'skiff' | 'netavark' | 'skiff-fw';

function cli(tool: Tool, host: Netns, configDir: string, verb: 'setup' | 'teardown', ns: Netns, input: string): void {
  const common = ['--config', configDir, '--rootless=false', '--aardvark-binary=/nonexistent/aardvark-dns'];
  const args = tool === 'skiff' ? [process.execPath, SKIFF, ...common, '--firewall-driver', 'nftables', verb, ns.path] : [NETAVARK, ...common, verb, ns.path];
  // no D-Bus: netavark would otherwise look for firewalld
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent', RUST_LOG: 'error', SKIFF_LOG: 'error' };
  const r = spawnSync('ip', ['netns', 'exec', host.name, ...args], { input, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${tool} ${verb} failed: ${r.stdout}${r.stderr}`);
}

/** Firewall part only: the driver's setupPorts+teardownPorts timed in-process inside a throwaway namespace. */
function measureDriver(existing: number): number {
  const host = createNetns('skbh');
  const configDir = mkdtempSync(join(tmpdir(), 'skiff-bench-fw-'));
  try {
    const r = host.run(process.execPath, [INNER, configDir, String(existing), String(Math.max(REPS, 21))], { env: { ...process.env, SKIFF_BENCH_IN_NETNS: '1' }, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`driver bench failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { medianMs: number }).medianMs;
  } finally {
    host.destroy();
    rmSync(configDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function measure(tool: Tool, existing: number): number {
  const host = createNetns('skbh');
  const spaces: Netns[] = [host];
  const configDir = mkdtempSync(join(tmpdir(), `skiff-bench-${tool}-`));
  try {
    // one container without ports keeps the network (bridge, network rules) in
    // place, so every size measures only the container's own work
    const anchor = createNetns('skbf');
    spaces.push(anchor);
    cli(tool, host, configDir, 'setup', anchor, options(0xfffe, '10.77.0.250', 0, 0));
    const fillers = Math.ceil(existing / PORTS_PER_FILLER);
    for (let i = 0; i < fillers; i++) {
      const ns = createNetns('skbf');
      spaces.push(ns);
      const ip = `10.77.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`;
      cli(tool, host, configDir, 'setup', ns, options(i + 1, ip, 20000 + i * PORTS_PER_FILLER, PORTS_PER_FILLER));
    }
    const target = createNetns('skbt');
    spaces.push(target);
    const input = options(0xffff, '10.77.0.200', 18080, 10);
    // one unmeasured round first: the first run of a size pays for cold caches
    cli(tool, host, configDir, 'setup', target, input);
    cli(tool, host, configDir, 'teardown', target, input);
    const times: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = process.hrtime.bigint();
      cli(tool, host, configDir, 'setup', target, input);
      cli(tool, host, configDir, 'teardown', target, input);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return median(times);
  } finally {
    for (const ns of spaces.reverse()) ns.destroy();
    rmSync(configDir, { recursive: true, force: true });
  }
}

if (process.getuid?.() !== 0) {
  process.stderr.write('needs root (creates network namespaces); run through scripts/in-sandbox.sh\n');
  process.exit(2);
}
const tools: Tool[] = ['skiff', 'netavark', 'skiff-fw'];
const results = new Map<string, number>();
for (const n of SIZES) {
  for (const tool of tools) {
    const ms = tool === 'skiff-fw' ? measureDriver(n) : measure(tool, n);
    results.set(`${tool}:${n}`, ms);
    process.stdout.write(`${tool.padEnd(9)} existing=${String(n).padStart(5)}  setup+teardown median ${ms.toFixed(1)} ms (${REPS} reps)\n`);
  }
}
const first = SIZES[0] ?? 0;
process.stdout.write('\nratios\n');
for (const tool of tools) {
  for (const n of SIZES.slice(1)) {
    const r = (results.get(`${tool}:${n}`) ?? NaN) / (results.get(`${tool}:${first}`) ?? NaN);
    process.stdout.write(`  ${tool.padEnd(9)} ${n}/${first} existing: ${r.toFixed(2)}x\n`);
  }
}
for (const n of SIZES) {
  const r = (results.get(`skiff:${n}`) ?? NaN) / (results.get(`netavark:${n}`) ?? NaN);
  process.stdout.write(`  skiff/netavark at ${n} existing: ${r.toFixed(2)}x\n`);
}
