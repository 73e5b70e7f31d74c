// The rootless test world: a root-made "host" namespace linked by a veth to
// an "outside" client namespace, and inside the host a container namespace
// that the unprivileged user skifftest creates with its own user namespace.
// Everything is created here and destroyed by name or by the PIDs we spawned.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, chownSync, existsSync, readlinkSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SKIFF, createNetns, killChildren, run, uniq, type Netns, type RunResult } from '../../helpers/sandbox.js';

export const USER = 'skifftest';
export const HOST_IP = '10.77.0.1';
export const GW_IP = '10.77.0.2';
export const CLIENT_IP = '10.77.0.3';
export const HOST_IP6 = '2001:db8:77::1';
export const GW_IP6 = '2001:db8:77::2';
export const CLIENT_IP6 = '2001:db8:77::3';
// The real bundle when scripts/test.sh built it; else the test-only entry (same command group).
const ENTRY = existsSync(SKIFF) ? SKIFF : join(import.meta.dirname, 'cli-entry.js');

/**
 * Creates the test user when missing. The tun device must be usable by that user: scripts/in-sandbox.sh gives
 * the sandbox its own 0666 node over /dev/net, so the machine's node (0600 on a fresh machine) is never changed.
 */
export function ensureUser(): { uid: number; gid: number } {
  if (spawnSync('id', ['-u', USER]).status !== 0) {
    const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
    if (r.status !== 0 && spawnSync('id', ['-u', USER]).status !== 0) throw new Error(`useradd ${USER}: ${r.stderr}`);
  }
  if ((statSync('/dev/net/tun').mode & 0o006) !== 0o006) {
    throw new Error('/dev/net/tun is not usable by unprivileged users here: run the tests through scripts/in-sandbox.sh (it mounts its own 0666 node)');
  }
  const id = (flag: string): number => Number(spawnSync('id', [flag, USER], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class World {
  readonly host: Netns;
  readonly outside: Netns;
  readonly stateDir: string;
  readonly spawned: ChildProcess[] = [];
  container!: ChildProcess;
  cpid = 0;

  constructor(readonly ids: { uid: number; gid: number }) {
    this.host = createNetns('skrh');
    this.outside = createNetns('skro');
    const vh = uniq('vh');
    const vo = uniq('vo');
    run('ip', ['link', 'add', vh, 'netns', this.host.name, 'type', 'veth', 'peer', 'name', vo, 'netns', this.outside.name]);
    this.host.sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', vh]);
    this.host.sh('ip', ['link', 'set', vh, 'up']);
    this.host.sh('ip', ['route', 'add', 'default', 'via', GW_IP]); // pasta copies the interface with the default route
    this.outside.sh('ip', ['addr', 'add', `${GW_IP}/24`, 'dev', vo]);
    this.outside.sh('ip', ['addr', 'add', `${CLIENT_IP}/24`, 'dev', vo]);
    // documentation prefix, only inside these namespaces; nodad so addresses are usable at once
    this.host.sh('ip', ['addr', 'add', `${HOST_IP6}/64`, 'dev', vh, 'nodad']);
    this.outside.sh('ip', ['addr', 'add', `${GW_IP6}/64`, 'dev', vo, 'nodad']);
    this.outside.sh('ip', ['addr', 'add', `${CLIENT_IP6}/64`, 'dev', vo, 'nodad']);
    this.outside.sh('ip', ['link', 'set', vo, 'up']);
    this.host.sh('ip', ['-6', 'route', 'add', 'default', 'via', GW_IP6]);
    this.stateDir = `/run/${uniq('skiff-rootless-')}`;
    mkdirSync(this.stateDir, { recursive: true });
    chownSync(this.stateDir, ids.uid, ids.gid);
  }

  /** argv prefix: run as skifftest (setpriv execs, so a spawned pid is the program itself). */
  private asUser(): string[] {
    return ['setpriv', `--reuid=${this.ids.uid}`, `--regid=${this.ids.gid}`, '--clear-groups'];
  }

  /** The container: `unshare --user --map-root-user --net sleep`, started by skifftest inside the host netns. */
  async startContainer(): Promise<string> {
    this.container = spawn('ip', ['netns', 'exec', this.host.name, ...this.asUser(), 'unshare', '--user', '--map-root-user', '--net', 'sleep', '600'], { stdio: 'ignore' });
    this.spawned.push(this.container);
    this.cpid = this.container.pid!;
    const self = readlinkSync('/proc/self/ns/user');
    for (let i = 0; i < 200; i++) {
      try {
        if (readlinkSync(`/proc/${this.cpid}/ns/user`) !== self && readlinkSync(`/proc/${this.cpid}/exe`).endsWith('/sleep')) break;
      } catch {
        /* not yet */
      }
      await sleep(10);
    }
    return `/proc/${this.cpid}/ns/net`;
  }

  get netnsInode(): number {
    return statSync(`/proc/${this.cpid}/ns/net`).ino;
  }

  /** `skiff rootless ...` as skifftest inside the host namespace. */
  skiff(args: readonly string[], input = '', env: NodeJS.ProcessEnv = {}): RunResult {
    // env(1) sets the variables after ip/setpriv have been found through our own PATH
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`);
    return this.host.run(this.asUser()[0]!, [...this.asUser().slice(1), 'env', ...vars, process.execPath, ENTRY, '--config', this.stateDir, 'rootless', ...args], { input });
  }

  /** The same as skiff(), without blocking: for calls that must overlap. */
  skiffAsync(args: readonly string[], input = ''): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const c = spawn('ip', ['netns', 'exec', this.host.name, ...this.asUser(), process.execPath, ENTRY, '--config', this.stateDir, 'rootless', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.on('error', reject);
      c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      c.stdin.end(input);
    });
  }

  /** A server inside the container, as skifftest (joins the container's user + net namespaces). */
  serve(socatArgs: readonly string[]): void {
    const c = spawn(
      'nsenter',
      ['--preserve-credentials', `--user=/proc/${this.cpid}/ns/user`, `--net=/proc/${this.cpid}/ns/net`, 'socat', ...socatArgs],
      { stdio: 'ignore', uid: this.ids.uid, gid: this.ids.gid },
    );
    this.spawned.push(c);
  }

  /** Runs a program inside the container as skifftest (its user + net namespaces). */
  inContainer(argv: readonly string[], input = ''): RunResult {
    const r = spawnSync('nsenter', ['--preserve-credentials', `--user=/proc/${this.cpid}/ns/user`, `--net=/proc/${this.cpid}/ns/net`, ...argv], {
      input,
      encoding: 'utf8',
      uid: this.ids.uid,
      gid: this.ids.gid,
      timeout: 10_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** A client in the outside namespace, from CLIENT_IP; retried while the server starts. */
  async client(proto: 'tcp' | 'udp', port: number, message: string, tries = 30, family: 4 | 6 = 4): Promise<string> {
    let last: RunResult | undefined;
    const target = family === 4 ? `${proto.toUpperCase()}:${HOST_IP}:${port},bind=${CLIENT_IP}` : `${proto.toUpperCase()}6:[${HOST_IP6}]:${port},bind=[${CLIENT_IP6}]`;
    for (let i = 0; i < tries; i++) {
      last = this.outside.run('socat', ['-t2', '-T3', '-', target], { input: message + '\n', timeoutMs: 10_000 });
      if (last.code === 0 && last.stdout !== '') return last.stdout;
      await sleep(100);
    }
    throw new Error(`no answer on ${proto}/${port}: ${last?.stderr ?? ''}`);
  }

  /** One try: true when something answered. */
  answers(proto: 'tcp' | 'udp', port: number): boolean {
    const r = this.outside.run('socat', ['-t1', '-T2', '-', `${proto.toUpperCase()}:${HOST_IP}:${port},bind=${CLIENT_IP}`], { input: 'x\n', timeoutMs: 10_000 });
    return r.code === 0 && r.stdout !== '';
  }

  /** PIDs of processes that still hold a network namespace with this inode. */
  holdersOf(inode: number): number[] {
    const out: number[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (statSync(`/proc/${d}/ns/net`).ino === inode) out.push(Number(d));
      } catch {
        /* gone or not ours to see */
      }
    }
    return out;
  }

  async destroy(): Promise<void> {
    // a test that failed between setup and teardown would leave its helper running:
    // slirp4netns holds the namespace open and does not exit by itself
    if (this.cpid) this.skiff(['teardown', `/proc/${this.cpid}/ns/net`]);
    await killChildren(this.spawned);
    this.host.destroy();
    this.outside.destroy();
    spawnSync('rm', ['-rf', this.stateDir]);
  }
}
