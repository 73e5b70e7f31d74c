// Real Podman inside a sandbox, for the end-to-end tests.
//
// Layout of one PodmanHost (all names unique, all state under one temp dir):
//   - "host" netns: stands in for the machine. Podman, conmon, netavark/skiff
//     and the DNS daemon all run in it, so bridges, nft rules and published
//     ports live there and nowhere else.
//   - a holder process (`unshare --mount` inside the host netns): its private
//     mount namespace is where every podman command runs (`nsenter -t holder
//     --mount --net`). Podman bind-mounts container netns files under
//     /run/netns and those mounts must outlive each podman command; and rootful
//     Podman hard-codes /run/containers/networks as netavark's --config, so a
//     per-host directory is bind-mounted there. That lets several test files
//     (several hosts) run side by side in one scripts/in-sandbox.sh.
//     `ip netns exec` is not used for podman because it remounts /sys, which
//     hides the cgroup mounts runc needs.
//   - "outside" netns: another machine on a veth link to the host, to reach
//     published ports from and to receive masqueraded outbound traffic.
//   - its own containers.conf / storage.conf / registries.conf (env vars), its
//     own network_config_dir, graphroot and runroot; /etc/containers is never
//     read for those. Its /etc/resolv.conf (holder mount ns) names the outside
//     machine as upstream resolver.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, DAEMON_MODE, isRoot, REPO, run, sh, type Netns, type RunResult } from './sandbox.js';
export { waitFor } from './sandbox.js'; // e2e files import it from here

export type Backend = 'reference' | 'skiff';

/** Which network backend Podman drives: `SKIFF_E2E_BACKEND=reference|skiff` (default skiff). */
export function e2eBackend(): Backend {
  const v = process.env.SKIFF_E2E_BACKEND ?? 'skiff';
  if (v !== 'reference' && v !== 'skiff') {
    throw new Error(`SKIFF_E2E_BACKEND must be "reference" or "skiff", got "${v}"`);
  }
  return v;
}

const DIST = join(REPO, process.env.SKIFF_DIST_DIR ?? 'dist');
const REFERENCE_HELPERS = '/usr/lib/podman';
export const IMAGE = 'localhost/skiff-e2e-busybox:latest';

/** Addresses of the host <-> outside link (TEST-NET-3 / documentation prefix). */
export const LINK = {
  host4: '203.0.113.1',
  outside4: '203.0.113.2',
  host6: '2001:db8:e2e::1',
  outside6: '2001:db8:e2e::2',
} as const;

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Why the e2e tests cannot run here, or false. Pass as `{ skip: podmanSkip() }`.
 * Never runs podman outside scripts/in-sandbox.sh: without the private /run,
 * Podman would write /run/containers and /run/netns of the machine.
 */
export function podmanSkip(): string | false {
  if (!isRoot) return 'needs root (creates network namespaces and runs rootful podman)';
  if (process.env.SKIFF_IN_SANDBOX !== '1') return 'must run inside scripts/in-sandbox.sh (private /run)';
  for (const bin of ['podman', 'runc', 'conmon', 'nsenter', 'unshare', 'busybox']) {
    if (!which(bin)) return `${bin} is not installed`;
  }
  const backend = e2eBackend();
  if (backend === 'reference' && !existsSync(join(REFERENCE_HELPERS, 'netavark'))) return `no netavark in ${REFERENCE_HELPERS}`;
  if (backend === 'skiff' && !existsSync(join(DIST, 'skiff.cjs'))) return `${DIST}/skiff.cjs is not built (npm run build)`;
  return false;
}

/** Skip reason when one of these programs is missing on the machine, or false. */
export function needTools(...bins: string[]): string | false {
  const missing = bins.filter((b) => !which(b));
  return missing.length ? `needs ${missing.join(', ')} (scripts/install.sh installs them)` : false;
}

/** True when the reference backend would have no firewall (netavark 1.4 drives iptables only). */
export function referenceWithoutFirewall(): boolean {
  return e2eBackend() === 'reference' && !which('iptables');
}

/** Skip reason for scenarios that need NAT/port forwarding from the backend, or false. */
export function firewallSkip(): string | false {
  return referenceWithoutFirewall() ? 'reference netavark 1.4 needs iptables for ports/NAT/isolation, and iptables is not installed' : false;
}

export interface PodmanResult extends RunResult {
  /** The command, for assertion messages. */
  cmd: string;
}

export interface ProcInfo {
  pid: number;
  comm: string;
  cmdline: string;
}

export class PodmanHost {
  readonly backend: Backend;
  readonly env: NodeJS.ProcessEnv;
  /** The directory Podman finds netavark and aardvark-dns in (helper_binaries_dir). */
  readonly helpers: string;
  private constructor(
    readonly dir: string,
    readonly host: Netns,
    readonly outside: Netns,
    readonly holderPid: number,
    private readonly holderDone: Promise<void>,
    backend: Backend,
    env: NodeJS.ProcessEnv,
    helpers: string,
  ) {
    this.backend = backend;
    this.env = env;
    this.helpers = helpers;
  }

  /** Builds the sandbox, writes the configs and imports the busybox image. */
  static async start(prefix = 'e2e'): Promise<PodmanHost> {
    const backend = e2eBackend();
    const dir = mkdtempSync(join(tmpdir(), `skiff-${prefix}-`));
    const created: Netns[] = [];
    try {
      const host = createNetns(`${prefix}h`);
      created.push(host);
      const outside = createNetns(`${prefix}o`);
      created.push(outside);
      linkOutside(host, outside);
      const helpers = helperDir(dir, backend);
      const env = writeConfigs(dir, helpers);
      mkdirSync('/run/containers/networks', { recursive: true });
      const { pid, done } = await startHolder(host);
      const ph = new PodmanHost(dir, host, outside, pid, done, backend, env, helpers);
      sh('nsenter', ['-t', String(pid), '--mount', 'mount', '--bind', join(dir, 'netrun'), '/run/containers/networks']);
      // The host's upstream resolver is the outside machine (a stub DNS server a
      // test may start there); containers and the DNS daemon read this file.
      writeFileSync(join(dir, 'resolv.conf'), `nameserver ${LINK.outside4}\n`);
      sh('nsenter', ['-t', String(pid), '--mount', 'mount', '--bind', join(dir, 'resolv.conf'), '/etc/resolv.conf']);
      ph.ok(['import', '--change', 'CMD=/bin/sh', buildImageTar(dir), IMAGE]);
      return ph;
    } catch (e) {
      for (const ns of created) ns.destroy();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Runs a command in the host netns and the holder's mount namespace (sees podman's netns mounts). */
  inHost(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
    return run('nsenter', ['-t', String(this.holderPid), '--mount', '--net', cmd, ...args], { ...opts, env: this.env });
  }

  podman(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): PodmanResult {
    const r = this.inHost('podman', args, { timeoutMs: 90_000, ...opts });
    return { ...r, cmd: `podman ${args.join(' ')}` };
  }

  /** Like podman(), but several can run at once (the load scenario). */
  podmanAsync(args: readonly string[], timeoutMs = 120_000): Promise<PodmanResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('nsenter', ['-t', String(this.holderPid), '--mount', '--net', 'podman', ...args], {
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, cmd: `podman ${args.join(' ')}` }));
    });
  }

  /** Runs podman and throws with its stderr when it fails; returns trimmed stdout. */
  ok(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
    const r = this.podman(args, opts);
    if (r.code !== 0) throw new Error(`${r.cmd} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  }

  /** `podman exec <ctr> sh -c <script>`. */
  exec(ctr: string, script: string, timeoutMs = 30_000): PodmanResult {
    return this.podman(['exec', ctr, 'sh', '-c', script], { timeoutMs });
  }

  /** Starts a detached container running `cmd` (default: sleep) and returns its full id. */
  runDetached(opts: { name: string; args?: readonly string[]; cmd?: readonly string[] }): string {
    return this.ok(['run', '-d', '--name', opts.name, ...(opts.args ?? []), IMAGE, ...(opts.cmd ?? ['sleep', '3600'])]);
  }

  inspect<T = Record<string, unknown>>(what: string): T {
    const arr = JSON.parse(this.ok(['inspect', what])) as T[];
    const first = arr[0];
    if (first === undefined) throw new Error(`podman inspect ${what}: empty answer`);
    return first;
  }

  /** `ip -j <args>` in the host netns, parsed. */
  ipJson<T = unknown>(args: readonly string[]): T {
    const r = this.inHost('ip', ['-j', ...args]);
    if (r.code !== 0) throw new Error(`ip -j ${args.join(' ')}: ${r.stderr}`);
    const out = r.stdout.trim();
    return (out ? JSON.parse(out) : []) as T;
  }

  /** Interface names in the host netns other than lo and the outside link. */
  hostLinks(): string[] {
    return this.ipJson<{ ifname: string }[]>(['link', 'show'])
      .map((l) => l.ifname)
      .filter((n) => n !== 'lo' && n !== 'eo0');
  }

  /** Whole nft ruleset of the host netns as text ('' when empty). */
  nftRuleset(): string {
    const r = this.inHost('nft', ['list', 'ruleset']);
    return r.code === 0 ? r.stdout : '';
  }

  /** Processes whose network namespace is the host's, except the holder. */
  hostProcesses(): ProcInfo[] {
    const mine = readlinkSync(`/proc/${this.holderPid}/ns/net`);
    const out: ProcInfo[] = [];
    for (const ent of readdirSync('/proc')) {
      if (!/^\d+$/.test(ent)) continue;
      const pid = Number(ent);
      if (pid === this.holderPid) continue;
      try {
        if (readlinkSync(`/proc/${pid}/ns/net`) !== mine) continue;
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        out.push({ pid, comm, cmdline });
      } catch {
        // the process exited while we looked
      }
    }
    return out;
  }

  /** DNS daemons (aardvark-dns or skiff-dns) running in the host netns. */
  dnsDaemons(): ProcInfo[] {
    return this.hostProcesses().filter((p) => /aardvark|skiff-dns/.test(p.cmdline));
  }

  /** Files under netavark's --config dir (aardvark-dns/, firewall/ ...), relative paths. */
  stateFiles(): string[] {
    const root = join(this.dir, 'netrun');
    const out: string[] = [];
    const walk = (d: string, rel: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(join(d, e.name), r);
        else out.push(r);
      }
    };
    walk(root, '');
    return out.sort();
  }

  /**
   * A rootless Podman (uid 65534, single-uid mapping: no /etc/subuid entry is
   * needed) in the same host netns, with its own storage and config under the
   * temp dir. Podman 4.3.1 runs the backend with --rootless=true inside its
   * rootless-netns (slirp4netns) for bridge networks.
   */
  rootless(): RootlessPodman {
    if (!this.rootlessPodman) this.rootlessPodman = new RootlessPodman(this);
    return this.rootlessPodman;
  }
  private rootlessPodman: RootlessPodman | undefined;

  /** Processes anywhere whose command line mentions this host's temp dir (rootless helpers live outside the host netns). */
  processesUsingDir(): ProcInfo[] {
    const out: ProcInfo[] = [];
    for (const ent of readdirSync('/proc')) {
      if (!/^\d+$/.test(ent) || Number(ent) === this.holderPid) continue;
      try {
        const cmdline = readFileSync(`/proc/${ent}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (!cmdline.includes(this.dir)) continue;
        out.push({ pid: Number(ent), comm: readFileSync(`/proc/${ent}/comm`, 'utf8').trim(), cmdline });
      } catch {
        // the process exited while we looked
      }
    }
    return out;
  }

  /** Removes every container and network, stops the holder, deletes the namespaces and the temp dir. */
  async destroy(): Promise<void> {
    if (this.rootlessPodman) {
      this.rootlessPodman.podman(['rm', '-af', '-t0'], { timeoutMs: 120_000 });
      this.rootlessPodman.podman(['network', 'prune', '-f']);
    }
    this.podman(['rm', '-af', '-t0'], { timeoutMs: 120_000 });
    this.podman(['network', 'prune', '-f']);
    // Anything podman left behind in our host netns or under our temp dir was started on our behalf.
    for (const p of [...this.hostProcesses(), ...this.processesUsingDir()]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      process.kill(this.holderPid, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.holderDone;
    this.outside.destroy();
    this.host.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** veth eo0 (host) <-> eo1 (outside), v4 and v6, no DAD so addresses are usable at once. */
function linkOutside(host: Netns, outside: Netns): void {
  host.sh('ip', ['link', 'add', 'eo0', 'type', 'veth', 'peer', 'name', 'eo1', 'netns', outside.name]);
  host.sh('ip', ['addr', 'add', `${LINK.host4}/24`, 'dev', 'eo0']);
  host.sh('ip', ['addr', 'add', `${LINK.host6}/64`, 'dev', 'eo0', 'nodad']);
  host.sh('ip', ['link', 'set', 'eo0', 'up']);
  outside.sh('ip', ['addr', 'add', `${LINK.outside4}/24`, 'dev', 'eo1']);
  outside.sh('ip', ['addr', 'add', `${LINK.outside6}/64`, 'dev', 'eo1', 'nodad']);
  outside.sh('ip', ['link', 'set', 'eo1', 'up']);
}

/**
 * The holder: `unshare --mount` inside the host netns, blocked on a pipe from
 * us, so it also ends when the test process dies.
 */
async function startHolder(host: Netns): Promise<{ pid: number; done: Promise<void> }> {
  const child = spawn('nsenter', [`--net=${host.path}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'read x'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the mount-namespace holder (nsenter/unshare)');
  const myMnt = readlinkSync('/proc/self/ns/mnt');
  // nsenter and unshare exec in place, so the pid is stable; wait for unshare() to happen.
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== myMnt && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sh') {
        return { pid, done };
      }
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  throw new Error('the mount-namespace holder did not come up');
}

/**
 * The helper binaries Podman runs as netavark / aardvark-dns. For Skiff the
 * repo's bin/ shims are used when the bundles are in dist/; a different
 * SKIFF_DIST_DIR gets equivalent shims written into the temp dir.
 */
function helperDir(dir: string, backend: Backend): string {
  if (backend === 'reference') return REFERENCE_HELPERS;
  if (DAEMON_MODE) {
    // SKIFF_TEST_DAEMON=1: Podman's netavark is bin/skiff-client, served by skiffd
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'netavark'), `#!/bin/sh\nSKIFF_DAEMON=1 SKIFF_AS_NETAVARK=1 exec ${join(DIST, 'skiff-client')} "$@"\n`);
    writeFileSync(join(bin, 'aardvark-dns'), `#!/bin/sh\nexec ${process.execPath} ${join(DIST, 'skiff-dns.cjs')} "$@"\n`);
    chmodSync(join(bin, 'netavark'), 0o755);
    chmodSync(join(bin, 'aardvark-dns'), 0o755);
    return bin;
  }
  if (DIST === join(REPO, 'dist')) return join(REPO, 'bin');
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, bundle] of [['netavark', 'skiff.cjs'], ['aardvark-dns', 'skiff-dns.cjs']] as const) {
    // SKIFF_AS_NETAVARK: the name is lost behind this shim (bin/netavark keeps it)
    const env = name === 'netavark' ? 'SKIFF_AS_NETAVARK=1 ' : '';
    writeFileSync(join(bin, name), `#!/bin/sh\n${env}exec ${process.execPath} ${join(DIST, bundle)} "$@"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

function writeConfigs(dir: string, helpers: string): NodeJS.ProcessEnv {
  for (const d of ['storage', 'runroot', 'tmp', 'netconf', 'netrun', 'volumes']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'runroot')}"\n`,
  );
  writeFileSync(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  writeFileSync(
    join(dir, 'containers.conf'),
    [
      '[containers]',
      // runc and these ulimits are what works on this kernel (crun trips over the cgroup layout).
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      'log_driver = "k8s-file"',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `tmp_dir = "${join(dir, 'tmp')}"`,
      `volume_path = "${join(dir, 'volumes')}"`,
      // Our netavark/aardvark-dns first; the distribution dir after it only
      // supplies catatonit (pod infra) and the like.
      `helper_binaries_dir = [${[...new Set([helpers, REFERENCE_HELPERS, '/usr/libexec/podman'])].map((d) => `"${d}"`).join(', ')}]`,
      '[network]',
      'network_backend = "netavark"',
      `network_config_dir = "${join(dir, 'netconf')}"`,
      // Podman 4.3.1 has no firewall_driver key; NETAVARK_FW in the environment reaches the backend.
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    // no firewalld detection through the machine's system bus
    DBUS_SYSTEM_BUS_ADDRESS: '',
  };
  if (process.env.SKIFF_E2E_FW) env.NETAVARK_FW = process.env.SKIFF_E2E_FW;
  return env;
}

/**
 * A busybox root (static binary + applet symlinks) with an httpd document
 * root whose CGI prints the client's address, tarred for `podman import`.
 */
function buildImageTar(dir: string): string {
  const root = join(dir, 'image-root');
  for (const d of ['bin', 'etc', 'tmp', 'www/cgi-bin', 'root']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(which('busybox') ?? '/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  const applets = sh('busybox', ['--list']).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'www/index.html'), 'hello from skiff e2e\n');
  writeFileSync(join(root, 'www/cgi-bin/ip'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "$REMOTE_ADDR"\n');
  chmodSync(join(root, 'www/cgi-bin/ip'), 0o755);
  chmodSync(join(root, 'tmp'), 0o1777);
  const tar = join(dir, 'busybox.tar'); // kept: a rootless Podman imports it too
  sh('tar', ['-C', root, '-cf', tar, '.']);
  rmSync(root, { recursive: true, force: true });
  return tar;
}

export class RootlessPodman {
  static readonly UID = 65534;
  readonly dir: string;
  private readonly env: string[];
  constructor(private readonly ph: PodmanHost) {
    this.dir = join(ph.dir, 'rootless');
    const uid = RootlessPodman.UID;
    chmodSync(ph.dir, 0o755); // mkdtemp made it 0700
    for (const d of ['home', 'xdg', 'storage', 'runroot', 'tmp', 'netconf']) {
      mkdirSync(join(this.dir, d), { recursive: true });
      chownSync(join(this.dir, d), uid, uid);
    }
    chmodSync(join(this.dir, 'xdg'), 0o700);
    writeFileSync(join(this.dir, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${join(this.dir, 'storage')}"\nrunroot = "${join(this.dir, 'runroot')}"\n`);
    const conf = readFileSync(String(ph.env.CONTAINERS_CONF), 'utf8')
      .replace(/^tmp_dir = .*$/m, `tmp_dir = "${join(this.dir, 'tmp')}"`)
      .replace(/^network_config_dir = .*$/m, `network_config_dir = "${join(this.dir, 'netconf')}"`);
    writeFileSync(join(this.dir, 'containers.conf'), conf);
    this.env = [
      `HOME=${join(this.dir, 'home')}`,
      `XDG_RUNTIME_DIR=${join(this.dir, 'xdg')}`,
      `CONTAINERS_CONF=${join(this.dir, 'containers.conf')}`,
      `CONTAINERS_STORAGE_CONF=${join(this.dir, 'storage.conf')}`,
      `CONTAINERS_REGISTRIES_CONF=${String(ph.env.CONTAINERS_REGISTRIES_CONF)}`,
      `PATH=${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      'DBUS_SYSTEM_BUS_ADDRESS=',
    ];
    this.ok(['import', join(ph.dir, 'busybox.tar'), IMAGE]);
  }

  podman(args: readonly string[], opts: { timeoutMs?: number } = {}): PodmanResult {
    const r = this.ph.inHost('setpriv', [`--reuid=${RootlessPodman.UID}`, `--regid=${RootlessPodman.UID}`, '--clear-groups', 'env', '-i', ...this.env, 'podman', ...args], {
      timeoutMs: opts.timeoutMs ?? 90_000,
    });
    return { ...r, cmd: `podman (rootless) ${args.join(' ')}` };
  }

  ok(args: readonly string[]): string {
    const r = this.podman(args);
    if (r.code !== 0) throw new Error(`${r.cmd} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  }

  exec(ctr: string, script: string): PodmanResult {
    return this.podman(['exec', ctr, 'sh', '-c', script], { timeoutMs: 30_000 });
  }
}
