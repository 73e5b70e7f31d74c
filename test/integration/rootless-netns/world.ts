// The rootless bridge test world: a root-made "host" namespace linked to an
// "outside" client namespace (with a stub DNS upstream on the gateway
// address), and the unprivileged user skifftest running skiff inside the host.
// Everything is created here and destroyed by name or by the PIDs we spawned.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SKIFF, createNetns, killChildren, run, uniq, type Netns, type RunResult } from '../../helpers/sandbox.js';
import { readProcStat } from '../../../src/rootless/proc.js';
import type { netnsStatus } from '../../../src/rootless/netns/app.js';
import { CLIENT_IP, CLIENT_IP6, GW_IP, GW_IP6, HOST_IP, HOST_IP6, ensureUser } from '../rootless/world.js';

export { CLIENT_IP, CLIENT_IP6, GW_IP, HOST_IP, HOST_IP6 };
export const UPSTREAM_ANSWER = '192.0.2.77';
const STUB = join(import.meta.dirname, '..', 'dns', 'tools', 'stub-upstream.js');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const alive = (pid: number): boolean => {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z';
};

/** What `skiff rootless netns ensure|status` prints. */
export type Status = Partial<ReturnType<typeof netnsStatus>> & { running: boolean };

export class BridgeWorld {
  readonly ids: { uid: number; gid: number };
  readonly host: Netns;
  readonly outside: Netns;
  readonly state: string;
  readonly podmanState: string;
  readonly resolv: string;
  readonly spawned: ChildProcess[] = [];
  readonly ctr: Record<string, number> = {};

  constructor() {
    this.ids = ensureUser();
    this.host = createNetns('skbh');
    this.outside = createNetns('skbo');
    const vh = uniq('vh');
    const vo = uniq('vo');
    run('ip', ['link', 'add', vh, 'netns', this.host.name, 'type', 'veth', 'peer', 'name', vo, 'netns', this.outside.name]);
    this.host.sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', vh]);
    this.host.sh('ip', ['link', 'set', vh, 'up']);
    this.host.sh('ip', ['route', 'add', 'default', 'via', GW_IP]);
    this.outside.sh('ip', ['addr', 'add', `${GW_IP}/24`, 'dev', vo]);
    this.outside.sh('ip', ['addr', 'add', `${CLIENT_IP}/24`, 'dev', vo]);
    this.outside.sh('ip', ['link', 'set', vo, 'up']);
    // documentation prefix, only inside these namespaces; nodad so the addresses are usable at once
    this.host.sh('ip', ['addr', 'add', `${HOST_IP6}/64`, 'dev', vh, 'nodad']);
    this.outside.sh('ip', ['addr', 'add', `${GW_IP6}/64`, 'dev', vo, 'nodad']);
    this.outside.sh('ip', ['addr', 'add', `${CLIENT_IP6}/64`, 'dev', vo, 'nodad']);
    this.host.sh('ip', ['-6', 'route', 'add', 'default', 'via', GW_IP6]);
    this.state = `/run/${uniq('skiff-rb-')}`;
    this.podmanState = `/run/${uniq('skiff-rbp-')}`;
    for (const d of [this.state, this.podmanState]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, this.ids.uid, this.ids.gid);
    }
    this.resolv = `${this.state}.resolv.conf`;
    writeFileSync(this.resolv, `nameserver ${GW_IP}\n`);
  }

  /** The stub upstream resolver on the outside gateway address. */
  async startStub(): Promise<void> {
    const stub = spawn('ip', ['netns', 'exec', this.outside.name, process.execPath, STUB, `${GW_IP}=${UPSTREAM_ANSWER}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.spawned.push(stub);
    await new Promise<void>((resolve, reject) => {
      stub.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      stub.on('exit', (code) => reject(new Error(`stub upstream exited ${code}`)));
    });
  }

  asUser(): string[] {
    return ['setpriv', `--reuid=${this.ids.uid}`, `--regid=${this.ids.gid}`, '--clear-groups'];
  }

  /** skiff as skifftest in the host namespace. */
  skiff(args: readonly string[], input = '', config = this.state): RunResult {
    const u = this.asUser();
    return this.host.run(u[0]!, [...u.slice(1), process.execPath, SKIFF, '--config', config, ...args], { input, timeoutMs: 120_000 });
  }

  /** `rootless netns ensure` with the host's resolv.conf pointing at the stub: the helper reads it when it starts. */
  ensure(args: readonly string[]): RunResult {
    return this.host.run(
      'sh',
      ['-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', this.resolv, ...this.asUser(), process.execPath, SKIFF, '--config', this.state, 'rootless', 'netns', 'ensure', ...args],
      { timeoutMs: 60_000 },
    );
  }

  /** skiff without blocking the event loop (for parallel runs). */
  skiffAsync(args: readonly string[], input: string): Promise<RunResult> {
    return new Promise((resolve) => {
      const c = spawn('ip', ['netns', 'exec', this.host.name, ...this.asUser(), process.execPath, SKIFF, '--config', this.state, ...args]);
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      c.stdin.end(input);
    });
  }

  /** A command in a container's netns (root: a test probe, not part of what is tested). */
  inCtr(name: string, argv: readonly string[], input = ''): RunResult {
    return run('nsenter', [`--net=/proc/${this.ctr[name]}/ns/net`, ...argv], { input, timeoutMs: 15_000 });
  }

  /** A server in a container's netns, killed by destroy(). */
  serve(name: string, socatArgs: readonly string[]): void {
    this.spawned.push(spawn('nsenter', [`--net=/proc/${this.ctr[name]}/ns/net`, 'socat', ...socatArgs], { stdio: 'ignore' }));
  }

  /** A container: a netns made by skifftest inside the rootless user namespace `userns` (as Podman's live in its userns). */
  async startContainer(name: string, userns: string): Promise<void> {
    const c = spawn('ip', ['netns', 'exec', this.host.name, ...this.asUser(), 'nsenter', '--preserve-credentials', `--user=${userns}`, '--', 'unshare', '--net', '--', 'sleep', '600'], {
      stdio: 'ignore',
    });
    this.spawned.push(c);
    const before = readlinkSync('/proc/self/ns/net');
    for (let i = 0; i < 300; i++) {
      try {
        if (readlinkSync(`/proc/${c.pid}/exe`).endsWith('/sleep') && readlinkSync(`/proc/${c.pid}/ns/net`) !== before) break;
      } catch {
        /* not yet */
      }
      await sleep(10);
    }
    this.ctr[name] = c.pid!;
  }

  /** An outside client from CLIENT_IP; retried while the forward comes up. Returns the server's reply. */
  async client(port: number, proto: 'TCP' | 'UDP' | 'TCP6' = 'TCP'): Promise<string> {
    const target = proto === 'TCP6' ? `TCP6:[${HOST_IP6}]:${port},bind=[${CLIENT_IP6}]` : `${proto}:${HOST_IP}:${port},bind=${CLIENT_IP}`;
    let last: RunResult | undefined;
    // up to ~10 s: on a loaded host the server and pasta's first v6 forward can take a while
    for (let i = 0; i < 60; i++) {
      last = this.outside.run('socat', ['-T3', '-', target], { input: 'x\n', timeoutMs: 10_000 });
      if (last.stdout.includes('peer=')) return last.stdout;
      await sleep(100);
    }
    return `${last?.stdout ?? ''} ${last?.stderr ?? ''}`;
  }

  /** Waits (up to 3 s: killed processes take a moment to go) until no process is in these namespaces; returns the command lines of those left. */
  static async leftIn(inodes: readonly number[]): Promise<string[]> {
    let left = BridgeWorld.holders(inodes);
    for (let i = 0; i < 30 && left.length > 0; i++) {
      await sleep(100);
      left = BridgeWorld.holders(inodes);
    }
    return left.map((p) => {
      try {
        return `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ')}`;
      } catch {
        return p;
      }
    });
  }

  /** PIDs of processes in any of these network namespaces (by inode). */
  static holders(inodes: readonly number[]): string[] {
    return readdirSync('/proc').filter((d) => {
      try {
        return /^\d+$/.test(d) && inodes.includes(statSync(`/proc/${d}/ns/net`).ino);
      } catch {
        return false;
      }
    });
  }

  async destroy(): Promise<void> {
    // a failed test must not leak helpers: tear down what may be left, then kill our own children
    this.skiff(['rootless', 'netns', 'destroy', '--force']);
    await killChildren(this.spawned);
    this.host.destroy();
    this.outside.destroy();
    for (const d of [this.state, this.podmanState, this.resolv]) spawnSync('rm', ['-rf', d]);
  }
}
