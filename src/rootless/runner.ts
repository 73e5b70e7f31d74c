// The thin layer that starts a helper, waits until the namespace is
// configured, and turns exit codes and helper messages into errors that say
// what to do. Argument building lives in pasta.ts / slirp4netns.ts.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { run, spawnReady } from '../lib/exec.js';
import { SkiffError, errorMessage } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { readProcStat } from './proc.js';
import { cleanHelperOutput } from './probe.js';

export interface Started {
  pid: number;
  starttime: string;
}

/** Known helper messages → what the user should do (the messages are the helpers' own). */
export function hintFor(output: string, netns: string): string | undefined {
  if (/setns|Operation not permitted|Permission denied/i.test(output) && /netns|namespace/i.test(output)) {
    return `Pass --userns with the user namespace that owns ${netns} (e.g. /proc/PID/ns/user of a process in the container), or run skiff inside that user namespace`;
  }
  if (/tun/i.test(output)) return 'Check that /dev/net/tun exists and is mode 0666';
  if (/bind|address already in use/i.test(output)) return 'A published host port is already in use or not allowed (ports below 1024 need net.ipv4.ip_unprivileged_port_start)';
  return undefined;
}

function stderrTail(text: string): string {
  const t = cleanHelperOutput(text).trim();
  return t.length > 800 ? '…' + t.slice(-800) : t;
}

async function pidFromFile(pidFile: string): Promise<number> {
  // pasta writes the file before its parent exits; retry briefly in case the filesystem is slow.
  for (let i = 0; i < 50; i++) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch {
      /* not there yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new SkiffError(`pasta reported success but wrote no pid to ${pidFile}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_START });
}

function identify(pid: number, what: string): Started {
  const st = readProcStat(pid);
  if (!st || st.state === 'Z') throw new SkiffError(`${what} (pid ${pid}) exited right after start`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_START });
  return { pid, starttime: st.starttime };
}

/**
 * pasta forks into the background once the namespace is configured, so the
 * foreground process exiting 0 is the readiness signal; the pid file names
 * the background process.
 */
export async function startPasta(binary: string, args: readonly string[], pidFile: string, netns: string): Promise<Started> {
  const r = await run(binary, args, { timeoutMs: 30_000 });
  if (r.code !== 0) {
    const why = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    const out = stderrTail(r.stderr + '\n' + r.stdout);
    const hint = hintFor(out, netns);
    throw new SkiffError(`pasta ${why} while configuring ${netns}${out ? `: ${out}` : ''}`, {
      code: ErrorCode.SKIFF_ERR_ROOTLESS_START,
      ...(hint ? { hint } : {}),
    });
  }
  return identify(await pidFromFile(pidFile), 'pasta');
}

/** slirp4netns writes to its ready fd (-r 3) once the tap is configured; it logs to `logFile`. */
export async function startSlirp(binary: string, args: readonly string[], logFile: string, netns: string): Promise<Started> {
  const fd = openSync(logFile, 'w', 0o600);
  let pid: number;
  try {
    pid = await spawnReady(binary, args, { timeoutMs: 15_000, logFd: fd });
  } catch (e) {
    let out = '';
    try {
      out = stderrTail(readFileSync(logFile, 'utf8'));
    } catch {
      /* no log */
    }
    const hint = hintFor(out, netns);
    throw new SkiffError(`slirp4netns failed while configuring ${netns}: ${errorMessage(e)}${out ? `: ${out}` : ''}`, {
      code: ErrorCode.SKIFF_ERR_ROOTLESS_START,
      ...(hint ? { hint } : {}),
    });
  } finally {
    closeSync(fd);
  }
  return identify(pid, 'slirp4netns');
}
