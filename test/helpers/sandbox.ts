// Throwaway network namespaces for integration tests. Every namespace a test
// creates has a unique name and is deleted by name; nothing here touches the
// machine's own namespace. Run tests through scripts/in-sandbox.sh (test.sh
// does) so that /run and /etc/resolv.conf are private too.
import { execFileSync, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DIST = join(REPO, process.env.SKIFF_DIST_DIR ?? 'dist');
export const SKIFF = join(DIST, 'skiff.cjs');
export const SKIFF_DNS = join(DIST, 'skiff-dns.cjs');
export const SKIFF_CLIENT = join(DIST, 'skiff-client');
/**
 * SKIFF_TEST_DAEMON=1 runs every skiff() call through bin/skiff-client and
 * skiffd. nsenter --net (not `ip netns exec`, which makes a new mount
 * namespace per call) keeps the calls of one host in one daemon.
 */
export const DAEMON_MODE = process.env.SKIFF_TEST_DAEMON === '1';

export const isRoot = process.getuid?.() === 0;
/** Pass as `{ skip: needRoot }` to a test or describe. */
export const needRoot: string | false = isRoot ? false : 'needs root (creates network namespaces)';

export function uniq(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    input: opts.input ?? '',
    encoding: 'utf8',
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 60_000,
  });
  // A child that exits without reading its input (socat to a port nobody answers) fails the write with
  // EPIPE: that is the child's answer, not the test's error.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs a command and throws with its stderr when it fails. */
export function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Netns {
  readonly path: string;
  constructor(readonly name: string) {
    this.path = `/run/netns/${name}`;
  }

  /** Runs a command inside this namespace. */
  run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  sh(cmd: string, args: readonly string[]): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** `ip -j ...` inside the namespace, parsed. */
  ipJson<T = unknown>(args: readonly string[]): T {
    const out = this.sh('ip', ['-j', ...args]).trim();
    return (out ? JSON.parse(out) : []) as T;
  }

  sysctl(key: string): string {
    return this.sh('cat', [`/proc/sys/${key.replaceAll('.', '/')}`]).trim();
  }

  destroy(): void {
    spawnSync('ip', ['netns', 'delete', this.name]);
  }
}

/** Creates a namespace with `lo` up. */
export function createNetns(prefix = 'sk'): Netns {
  const ns = new Netns(uniq(prefix));
  sh('ip', ['netns', 'add', ns.name]);
  ns.sh('ip', ['link', 'set', 'lo', 'up']);
  return ns;
}

/**
 * Runs the bundled skiff CLI inside `host` (the sandbox standing in for the
 * machine), the way an engine would: args, JSON on stdin, JSON on stdout.
 */
export function skiff(host: Netns, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  if (DAEMON_MODE) {
    const env = { ...process.env, SKIFF_DAEMON: '1', SKIFF_DAEMON_IDLE_MS: process.env.SKIFF_DAEMON_IDLE_MS ?? '5000', ...opts.env };
    return run('nsenter', [`--net=${host.path}`, '--', SKIFF_CLIENT, ...args], { input: opts.input, env });
  }
  return host.run(process.execPath, [SKIFF, ...args], { input: opts.input, env: { ...process.env, ...opts.env } });
}

/** SIGKILLs the children a test spawned (newest first) and waits for each to exit. Only our own PIDs. */
export async function killChildren(children: ChildProcess[]): Promise<void> {
  for (const c of [...children].reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
}

/** Polls `fn` until it returns a truthy value or `ms` pass; returns the last value. */
export async function waitFor<T>(fn: () => T, ms = 10_000, stepMs = 100): Promise<T> {
  const end = Date.now() + ms;
  let v = fn();
  while (!v && Date.now() < end) {
    await new Promise((r) => setTimeout(r, stepMs));
    v = fn();
  }
  return v;
}
