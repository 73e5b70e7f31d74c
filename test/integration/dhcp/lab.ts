// A LAN with a DHCP server, for the DHCP proxy tests: the sandbox host (Host)
// has `lan0`, a veth whose peer `lanp` (192.168.77.1/24) lives in a "LAN"
// namespace where dnsmasq (or the stub server) answers. Containers get
// macvlans on lan0. The proxy runs in the host namespace as `skiff dhcp-proxy`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Host } from '../../helpers/host.js';
import { createNetns, killChildren, SKIFF, type Netns } from '../../helpers/sandbox.js';

export const LAN_GW = '192.168.77.1';
const HERE = dirname(fileURLToPath(import.meta.url));

export async function waitFor(what: string, fn: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Proc {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

export class DhcpLab {
  readonly host = new Host();
  readonly lan: Netns = createNetns('skl');
  readonly dir = mkdtempSync(join(tmpdir(), 'skiff-dhcp-'));
  readonly children: ChildProcess[] = [];

  constructor() {
    this.host.ns.sh('ip', ['link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lanp', 'netns', this.lan.name]);
    this.host.ns.sh('ip', ['link', 'set', 'lan0', 'up']);
    this.lan.sh('ip', ['link', 'set', 'lanp', 'up']);
    this.lan.sh('ip', ['addr', 'add', `${LAN_GW}/24`, 'dev', 'lanp']);
    // the stub server broadcasts its replies: 255.255.255.255 needs a route
    this.lan.sh('ip', ['route', 'add', 'default', 'dev', 'lanp']);
  }

  get socket(): string {
    return join(this.dir, 'nv-proxy.sock');
  }
  get leaseCache(): string {
    return join(this.dir, 'nv-proxy.lease');
  }
  get dnsmasqLeases(): string {
    return join(this.dir, 'dnsmasq.leases');
  }
  get dnsmasqLog(): string {
    return join(this.dir, 'dnsmasq.log');
  }

  /** Any command in a namespace of the lab, killed with the lab. */
  startRaw(ns: Netns, cmd: string, args: string[]): Proc {
    return this.start(ns, cmd, args);
  }

  private start(ns: Netns, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
    const child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, out: () => out, exited };
  }

  startDnsmasq(range = '192.168.77.50,192.168.77.99,2m'): Proc {
    const p = this.start(this.lan, 'dnsmasq', [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--port=0',
      '--interface=lanp',
      '--bind-interfaces',
      `--dhcp-range=${range}`,
      `--dhcp-option=option:router,${LAN_GW}`,
      `--dhcp-option=option:dns-server,${LAN_GW}`,
      '--dhcp-option=option:domain-name,lan.test',
      // answer at once: the ICMP check for a free address costs seconds per offer
      '--no-ping',
      `--dhcp-leasefile=${this.dnsmasqLeases}`,
      '--log-dhcp',
      `--log-facility=${this.dnsmasqLog}`,
      '--pid-file=',
      '--user=root',
    ]);
    return p;
  }

  startStub(plan: { ip: string; mask: string; gateway: string; leaseTime: number }[]): Proc {
    return this.start(this.lan, process.execPath, [join(HERE, 'stub-server.js'), LAN_GW, JSON.stringify(plan)]);
  }

  /** `skiff dhcp-proxy --dir <dir> ...`; resolves once the socket accepts. */
  async startProxy(args: string[] = ['-a', '0'], dir = this.dir): Promise<Proc> {
    const p = this.start(this.host.ns, process.execPath, [SKIFF, 'dhcp-proxy', '--dir', dir, ...args], { ...process.env, SKIFF_LOG: 'debug' });
    await waitFor(`the proxy socket in ${dir}`, () => existsSync(join(dir, 'nv-proxy.sock')) || p.child.exitCode !== null, 20_000);
    return p;
  }

  /** MAC → IP from dnsmasq's lease file. */
  serverLeases(): Map<string, string> {
    const m = new Map<string, string>();
    if (!existsSync(this.dnsmasqLeases)) return m;
    for (const line of readFileSync(this.dnsmasqLeases, 'utf8').split('\n')) {
      const [, mac, ip] = line.split(' ');
      if (mac && ip) m.set(mac, ip);
    }
    return m;
  }

  cachedMacs(): string[] {
    return Object.keys(JSON.parse(readFileSync(this.leaseCache, 'utf8')) as object);
  }

  async destroy(): Promise<void> {
    await killChildren(this.children);
    this.host.destroy();
    this.lan.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** NetworkOptions for one macvlan (or unmanaged bridge) network with IPAM dhcp. */
export function dhcpOptions(name: string, opts: { network?: string; driver?: string; parent?: string; hostname?: string; options?: Record<string, string> } = {}) {
  return {
    container_id: `${name}0123456789abcdef`,
    container_name: name,
    ...(opts.hostname ? { container_hostname: opts.hostname } : {}),
    networks: { [opts.network ?? 'lan']: { static_ips: [], interface_name: 'eth0' } },
    network_info: {
      [opts.network ?? 'lan']: {
        name: opts.network ?? 'lan',
        id: '2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9',
        driver: opts.driver ?? 'macvlan',
        network_interface: opts.parent ?? 'lan0',
        subnets: [],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        ...(opts.options ? { options: opts.options } : {}),
        ipam_options: { driver: 'dhcp' },
      },
    },
  };
}
