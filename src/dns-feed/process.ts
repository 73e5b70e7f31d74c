// The running DNS server, seen from `skiff setup`: find it by its pid file,
// signal it, start it, and wait until it serves what is on disk.
import { accessSync, constants, existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { loadedFilePath, parseLoaded, PID_FILE } from '../../schemas/aardvark-config.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { run } from '../lib/exec.js';
import type { Log } from '../lib/log.js';

export function readPid(dir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(dir, PID_FILE), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Signals `pid`; false when it no longer exists (ESRCH). */
export function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/**
 * True when `pid` has exited: gone, or a zombie its parent has not reaped yet.
 * The server is an orphan, so its parent is init (or a subreaper), which may
 * reap late; kill(pid, 0) still succeeds on a zombie, so it cannot tell.
 */
export function exited(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

/** Resolves true once `pid` has exited, false after `ms`. */
export async function waitExited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let delay = 2;
  while (!exited(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 20);
  }
  return true;
}

/**
 * Stops a server: SIGTERM, then SIGKILL if it has not exited within
 * `graceMs`. Resolves once it has exited (or after a last short wait).
 */
export async function stopServer(pid: number, graceMs: number): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  if (await waitExited(pid, graceMs)) return;
  if (signal(pid, 'SIGKILL')) await waitExited(pid, 500);
}

/**
 * True when `pid` is a DNS server for `dir` (its command line names the dir,
 * as both skiff-dns and aardvark-dns are started with `--config <dir>`; skiffd
 * gives a server a one-string title only when no argument holds a space). A pid
 * file left by a crashed server may name an unrelated process by now: that
 * one must never get our SIGHUP (its default action kills).
 */
export function servesDir(pid: number, dir: string): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return false;
  }
  // a server skiffd started from a warm process shows its command line as one
  // space-joined title (src/daemon/dns-zygote.ts), as `ps` prints any command line
  if (argv.length === 1) argv = argv[0]!.split(' ');
  const want = resolve(dir);
  return argv.some((a, i) => (a === '--config' || a === '-c') && argv[i + 1] !== undefined && resolve(argv[i + 1]!) === want)
    || argv.some((a) => a.startsWith('--config=') && resolve(a.slice('--config='.length)) === want);
}

/** True when `pid` lives in another network namespace than we do (it cannot serve our gateways). */
export function inOtherNetns(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** The command line netavark uses: under a systemd scope when systemd runs the machine. */
export function startCommand(binary: string, dir: string, port: number, rootless: boolean, systemd: boolean): [string, string[]] {
  const args = ['--config', dir, '-p', String(port), 'run'];
  if (!systemd) return [binary, args];
  return ['systemd-run', ['-q', '--scope', ...(rootless ? ['--user'] : []), binary, ...args]];
}

/** Starts the server and returns once it is serving (its `run` parent exits then). */
export async function startServer(binary: string, dir: string, port: number, rootless: boolean, log: Log): Promise<void> {
  const notExecutable = executableProblem(binary);
  if (notExecutable) {
    // netavark's wording (systemd-run's, which netavark passes on)
    throw new SkiffError(`aardvark-dns failed to start: Failed to find executable ${binary}: ${notExecutable}`, { code: ErrorCode.SKIFF_ERR_DNS_START });
  }
  const systemd = existsSync('/run/systemd/system') && onPath('systemd-run');
  const [cmd, args] = startCommand(binary, dir, port, rootless, systemd);
  log.debug('starting dns server', { cmd, args });
  const r = await run(cmd, args, { timeoutMs: 60_000 });
  if (r.code !== 0) {
    const stderr = r.stderr.trim();
    throw new SkiffError(stderr ? `aardvark-dns failed to start: ${stderr}` : 'aardvark-dns exited unexpectedly without error message', {
      code: ErrorCode.SKIFF_ERR_DNS_START,
      detail: `${cmd} exited with ${r.code ?? r.signal}`,
    });
  }
}

/** Why `path` cannot be executed (strerror wording), or undefined when it can. */
export function executableProblem(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return 'Is a directory';
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return (code !== undefined ? ERRNO_TEXT[code] : undefined) ?? (e as Error).message;
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
};

/**
 * Waits until the server reports (in `<dir>.loaded`) that it loaded exactly
 * `digest`. A server that never wrote that file for its pid (stock
 * aardvark-dns) cannot confirm: then we return 'ok' at once, as netavark would.
 */
export async function waitLoaded(dir: string, pid: number, digest: string, timeoutMs: number): Promise<'ok' | 'dead' | 'timeout'> {
  const path = loadedFilePath(dir);
  const started = Date.now();
  let delay = 2;
  for (;;) {
    let cur: { pid: number; digest: string } | undefined;
    try {
      cur = parseLoaded(readFileSync(path, 'utf8'));
    } catch {
      cur = undefined;
    }
    if (exited(pid)) return 'dead';
    if (!cur || cur.pid !== pid) return 'ok'; // not a confirming server
    if (cur.digest === digest) return 'ok';
    if (Date.now() - started > timeoutMs) return 'timeout';
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}
