// Rootless helpers side by side: time from `skiff rootless setup` to the first
// successful connection through a published port, and TCP throughput through
// that port (bounded transfer, outside netns → helper → container), for pasta
// and slirp4netns, with the plain veth as the baseline.
// Run as root inside the sandbox:
//   scripts/in-sandbox.sh node build-<you>/bench/rootless.js [--runs 5] [--mib 256]
// Only namespaces and processes created here are touched.
import { spawn, spawnSync } from 'node:child_process';
import { HOST_IP, World, ensureUser } from '../test/integration/rootless/world.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const RUNS = arg('runs', 5);
const MIB = arg('mib', 512);
const PORTS = JSON.stringify({ port_mappings: [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }] });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function connectOnce(w: World, port: number): boolean {
  return w.outside.run('socat', ['-u', '-', `TCP:${HOST_IP}:${port},connect-timeout=1`], { input: 'x', timeoutMs: 5000 }).code === 0;
}

/** setup → first connection that goes through, then teardown; returns [setup ms, first-connection ms]. */
function timeToNetwork(w: World, netns: string, backend: string): [number, number] {
  const t0 = process.hrtime.bigint();
  const r = w.skiff(['setup', '--backend', backend, netns], PORTS);
  if (r.code !== 0) throw new Error(`${backend} setup failed: ${r.stdout}`);
  const setup = ms(t0);
  for (let i = 0; i < 500 && !connectOnce(w, 8080); i++);
  const first = ms(t0);
  const td = w.skiff(['teardown', netns]);
  if (td.code !== 0) throw new Error(`${backend} teardown failed: ${td.stdout}`);
  return [setup, first];
}

/** Sends MIB MiB from the outside namespace to `port`; returns MiB/s. */
function throughput(w: World, port: number): number {
  const t0 = process.hrtime.bigint();
  // socat reads /dev/zero itself: no pipe in the path, so the client costs as little as possible
  const r = spawnSync('ip', ['netns', 'exec', w.outside.name, 'socat', '-u', '-b', '1048576', `OPEN:/dev/zero,readbytes=${MIB * 1048576}`, `TCP:${HOST_IP}:${port}`], { timeout: 300_000 });
  if (r.status !== 0) throw new Error(`transfer to ${port} failed: ${r.stderr}`);
  return MIB / (ms(t0) / 1000);
}

async function main(): Promise<void> {
  const w = new World(ensureUser());
  try {
    const netns = await w.startContainer();
    // sinks: one in the container (behind the helper), one in the host namespace (plain veth baseline)
    w.serve(['-u', '-b', '1048576', 'TCP-LISTEN:80,fork,reuseaddr', 'OPEN:/dev/null']);
    const base = spawn('ip', ['netns', 'exec', w.host.name, 'socat', '-u', '-b', '1048576', 'TCP-LISTEN:7000,fork,reuseaddr', 'OPEN:/dev/null'], { stdio: 'ignore' });
    w.spawned.push(base);
    for (let i = 0; i < 100 && !connectOnce(w, 7000); i++);

    const rows: string[][] = [['backend', 'setup ms (median)', 'first connection ms (median)', `throughput MiB/s (${MIB} MiB)`, 'vs veth']];
    const veth = throughput(w, 7000);
    rows.push(['veth (no helper)', '-', '-', veth.toFixed(0), '1.00']);
    for (const backend of ['pasta', 'slirp4netns']) {
      const setups: number[] = [];
      const firsts: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const [s, f] = timeToNetwork(w, netns, backend);
        setups.push(s);
        firsts.push(f);
      }
      const r = w.skiff(['setup', '--backend', backend, netns], PORTS);
      if (r.code !== 0) throw new Error(r.stdout);
      for (let i = 0; i < 100 && !connectOnce(w, 8080); i++);
      const tp = throughput(w, 8080);
      w.skiff(['teardown', netns]);
      rows.push([backend, median(setups).toFixed(0), median(firsts).toFixed(0), tp.toFixed(0), (tp / veth).toFixed(2)]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
    console.log(`(${RUNS} runs; times include spawning skiff and the client through ip netns exec; MTU 65520 for both helpers)`);
  } finally {
    await w.destroy();
  }
}

await main();
