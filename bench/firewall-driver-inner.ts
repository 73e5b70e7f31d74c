// Inner half of bench/firewall-scale.ts: times the nftables driver in-process
// (no node start-up, no netlink), so the firewall's own cost is visible. The
// outer script starts it inside a throwaway namespace; it refuses to run
// anywhere else because it changes the firewall of the namespace it is in.
//   node firewall-driver-inner.js <configDir> <existing> <reps>   → prints {"medianMs":..,"nftMs":..}
import { createNftablesDriver } from '../firewall/nftables/driver.js';
import type { FirewallNetwork, PortForward } from '../firewall/firewall.js';

if (process.env.SKIFF_BENCH_IN_NETNS !== '1') {
  process.stderr.write('refusing to run outside the benchmark namespace (SKIFF_BENCH_IN_NETNS=1 is set by firewall-scale.js)\n');
  process.exit(2);
}
const [configDir = '', existingRaw = '0', repsRaw = '5'] = process.argv.slice(2);
const existing = Number(existingRaw);
const reps = Number(repsRaw);

const net: FirewallNetwork = {
  networkId: 'be9c0000000000000000000000000000000000000000000000000000000000be',
  networkName: 'bench',
  bridge: 'skbench0',
  subnets: ['10.77.0.0/16'],
  gateways: ['10.77.0.1'],
  isolate: 'strict',
  internal: false,
  dnsPort: 53,
  dnsEnabled: false,
};
const ports = (i: number, first: number, count: number): PortForward => ({
  containerId: i.toString(16).padStart(64, '0'),
  network: net,
  containerIpV4: `10.77.${1 + Math.floor(i / 250)}.${2 + (i % 250)}`,
  portMappings: Array.from({ length: count }, (_, k) => ({ host_ip: '', container_port: 80 + k, host_port: first + k, range: 1, protocol: 'tcp' })),
});

const d = createNftablesDriver({ configDir, rootless: false });
await d.setupNetwork(net);
for (let i = 0; i < Math.ceil(existing / 10); i++) await d.setupPorts(ports(i + 1, 20000 + i * 10, 10));
await d.setupPorts(ports(0, 18080, 10)); // warm-up round, not measured
await d.teardownPorts(ports(0, 18080, 10));
const times: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = process.hrtime.bigint();
  await d.setupPorts(ports(0, 18080, 10));
  await d.teardownPorts(ports(0, 18080, 10));
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ medianMs: times[Math.floor(times.length / 2)] }) + '\n');
