// Identity and stopping of the helper we started. A pid alone can be reused,
// so a helper is "ours" only while /proc/PID/stat shows the start time we
// recorded; exec (pasta re-execs itself as passt.avx2) keeps that time.
import { readFileSync } from 'node:fs';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';

export interface ProcStat {
  state: string;
  starttime: string;
}

/** Parses /proc/PID/stat; comm may contain spaces and ')', so split after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' '); // fields[0] is field 3 (state)
  const state = fields[0];
  const starttime = fields[19]; // field 22
  if (state === undefined || starttime === undefined) return undefined;
  return { state, starttime };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Alive and still the process we recorded (zombies count as gone: they did exit). */
export function isOurs(pid: number, starttime: string): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.starttime === starttime && st.state !== 'Z' && st.state !== 'X';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, starttime: string, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (!isOurs(pid, starttime)) return true;
    await sleep(20);
  }
  return !isOurs(pid, starttime);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return; // exited meanwhile
    throw new SkiffError(`cannot stop helper pid ${pid}: ${code ?? (e as Error).message}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_STOP });
  }
}

/**
 * Stops the helper: SIGTERM, then SIGKILL after `graceMs`. Returns false when
 * it was already gone (or the pid now belongs to someone else), which teardown
 * treats as success.
 */
export async function stopHelper(pid: number, starttime: string, graceMs = 2000): Promise<boolean> {
  if (!isOurs(pid, starttime)) return false;
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, starttime, graceMs)) return true;
  signal(pid, 'SIGKILL');
  if (await waitGone(pid, starttime, 1000)) return true;
  throw new SkiffError(`helper pid ${pid} did not exit after SIGKILL`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_STOP });
}
