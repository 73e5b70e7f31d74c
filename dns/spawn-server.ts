// Starting the server detached and waiting until it serves: the job of
// `skiff-dns … run` (dns/main.ts) and of skiffd, which does that job itself so
// the first DNS-enabled container pays one Node start-up instead of two
// (src/daemon/dns-start.ts). One implementation, so a server started either
// way has the same interpreter flags, environment markers and readiness rules.
import { closeSync, openSync } from 'node:fs';
import { spawnDetached } from '../src/lib/exec.js';
import { listenForReady, READY_ENV } from './readiness.js';

/** Set in the detached server's environment: the process that sees it serves instead of starting another. */
export const CHILD_ENV = 'SKIFF_DNS_CHILD';
const START_TIMEOUT_MS = 30_000;

/**
 * The server's live young objects are a few kB (one query at a time), but a
 * flood (pipelined TCP, fuzzing) made V8 grow the young generation to its
 * default maximum (2 x 16 MiB) and keep it: RSS stayed ~25 MB higher for good.
 * 1 MiB semi-spaces bound it; scavenges get more frequent but stay as cheap
 * (their cost follows the survivors, not the space). A flag given to node
 * explicitly wins.
 */
export function daemonV8Flags(execArgv: readonly string[]): string[] {
  return execArgv.some((a) => a.startsWith('--max-semi-space-size')) ? [] : ['--max-semi-space-size=1'];
}

export interface ServerStart {
  /** node's own flags to pass on (the `run` parent's; none from skiffd) */
  execArgv: readonly string[];
  script: string;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** `ok`, or the message aardvark-dns' `run` would print on stderr (and the pid, when one was started). */
export type StartResult = { ok: true; pid: number } | { ok: false; message: string; pid?: number };

export async function startServer(s: ServerStart): Promise<StartResult> {
  const ready = await listenForReady();
  const logFile = s.env.SKIFF_DNS_LOG_FILE;
  const logFd = logFile ? openSync(logFile, 'a') : undefined;
  let pid: number;
  try {
    pid = await spawnDetached(process.execPath, [...s.execArgv, ...daemonV8Flags(s.execArgv), s.script, ...s.argv], {
      env: { ...s.env, [CHILD_ENV]: '1', [READY_ENV]: ready.name },
      stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore'],
    });
  } catch (e) {
    await ready.wait(() => false, 0); // closes the readiness socket
    return { ok: false, message: `Error starting the daemon: ${(e as Error).message}\n` };
  } finally {
    if (logFd !== undefined) closeSync(logFd);
  }
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const outcome = await ready.wait(alive, START_TIMEOUT_MS);
  if (outcome.ok) return { ok: true, pid };
  // a server that never said ready must not be left serving half a start: the caller reports it failed
  if (alive()) process.kill(pid, 'SIGKILL');
  return { ok: false, pid, message: `Error from child process\n${outcome.error}\n` };
}
