// A throwaway lab for the firewall tests, built with `ip` inside namespaces the
// test creates: a "host" namespace with bridges, containers on them, and an
// "outside" namespace linked to the host by a veth (192.0.2.0/24, 2001:db8::/64,
// addresses that exist only inside these namespaces). Nothing touches the
// machine's own namespace; destroy() deletes every namespace by name and kills
// the servers it started by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, type Netns, type RunResult } from '../../helpers/sandbox.js';
import type { FirewallNetwork, PortForward } from '../../../firewall/firewall.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ECHO = join(here, 'echo.js');
export const FW_CLI = join(here, '..', '..', 'helpers', 'fw-driver-cli.js');

export class Lab {
  readonly host: Netns;
  readonly out: Netns;
  readonly configDir = mkdtempSync(join(tmpdir(), 'skiff-fw-it-'));
  private readonly all: Netns[] = [];
  private readonly servers: ChildProcess[] = [];
  private vethCount = 0;

  constructor() {
    this.host = this.ns('skh');
    this.out = this.ns('sko');
    const h = this.host;
    for (const [k, v] of [['net.ipv4.ip_forward', '1'], ['net.ipv6.conf.all.forwarding', '1'], ['net.ipv6.conf.default.accept_dad', '0']]) {
      h.sh('sysctl', ['-qw', `${k}=${v}`]);
    }
    h.sh('ip', ['link', 'add', 'hout', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.out.name]);
    h.sh('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'hout']);
    h.sh('ip', ['addr', 'add', '2001:db8::1/64', 'dev', 'hout', 'nodad']);
    h.sh('ip', ['link', 'set', 'hout', 'up']);
    this.out.sh('ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
    this.out.sh('ip', ['addr', 'add', '2001:db8::2/64', 'dev', 'eth0', 'nodad']);
    this.out.sh('ip', ['link', 'set', 'eth0', 'up']);
  }

  private ns(prefix: string): Netns {
    const n = createNetns(prefix);
    this.all.push(n);
    return n;
  }

  /** A bridge in the host with the network's gateways, as `skiff setup` would make it. */
  bridge(net: FirewallNetwork): void {
    const h = this.host;
    h.sh('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    for (const [i, gw] of net.gateways.entries()) {
      const len = (net.subnets[i] ?? '').split('/')[1];
      h.sh('ip', ['addr', 'add', `${gw}/${len}`, 'dev', net.bridge, ...(gw.includes(':') ? ['nodad'] : [])]);
    }
    h.sh('ip', ['link', 'set', net.bridge, 'up']);
    h.sh('sysctl', ['-qw', `net.ipv4.conf.${net.bridge}.route_localnet=1`]);
  }

  /** A container namespace on a bridge with a default route via the gateways. */
  container(net: FirewallNetwork, ip4: string, ip6?: string): Netns {
    const c = this.ns('skc');
    const hv = `skv${this.vethCount++}`;
    this.host.sh('ip', ['link', 'add', hv, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c.name]);
    this.host.sh('ip', ['link', 'set', hv, 'master', net.bridge, 'up']);
    // with br_netfilter loaded (Docker and k8s hosts, this machine), a container
    // reaching its own published port is DNATed at the bridge and sent back out
    // the port it came from: that takes hairpin mode on the bridge port
    this.host.sh('ip', ['link', 'set', hv, 'type', 'bridge_slave', 'hairpin', 'on']);
    c.sh('ip', ['addr', 'add', `${ip4}/24`, 'dev', 'eth0']);
    if (ip6) c.sh('ip', ['addr', 'add', `${ip6}/64`, 'dev', 'eth0', 'nodad']);
    c.sh('ip', ['link', 'set', 'eth0', 'up']);
    const gw4 = net.gateways.find((g) => !g.includes(':'));
    const gw6 = net.gateways.find((g) => g.includes(':'));
    if (gw4) c.sh('ip', ['route', 'add', 'default', 'via', gw4]);
    if (gw6 && ip6) c.sh('ip', ['-6', 'route', 'add', 'default', 'via', gw6]);
    return c;
  }

  /** Starts the echo server on ports inside a namespace; resolves once it listens. */
  serve(ns: Netns, ports: number[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ECHO, 'serve', ports.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.servers.push(child);
    return new Promise((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`echo server in ${ns.name} exited with ${code}`)));
    });
  }

  /** One request through the echo client; the reply text, or undefined when it could not connect. */
  talk(from: Netns, proto: 'tcp' | 'udp', addr: string, port: number, msg = 'hi'): string | undefined {
    const r = from.run(process.execPath, [ECHO, 'connect', proto, addr, String(port), msg]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** Runs the firewall driver inside the host namespace (never in the test runner's own). */
  fw(op: string, input?: unknown): RunResult {
    const r = this.host.run(process.execPath, [FW_CLI, this.configDir, op, ...(input === undefined ? [] : [JSON.stringify(input)])]);
    if (r.code !== 0) throw new Error(`fw ${op} failed: ${r.stderr.trim()}`);
    return r;
  }

  setupNetwork(n: FirewallNetwork): void {
    this.fw('setup-network', n);
  }
  setupPorts(p: PortForward): void {
    this.fw('setup-ports', p);
  }

  /** Kills the echo servers this lab started (by PID), e.g. before deleting their namespace. */
  stopServers(): void {
    for (const s of this.servers) if (s.pid !== undefined && s.exitCode === null) s.kill('SIGKILL');
  }

  destroy(): void {
    this.stopServers();
    rmSync(this.configDir, { recursive: true, force: true });
    for (const n of this.all.reverse()) n.destroy();
  }
}
