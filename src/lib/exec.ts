// The one module that starts subprocesses. Everything else works on data and
// calls through here, so tests can see exactly which programs Skiff runs.
import { spawn, type SpawnOptions } from 'node:child_process';
import { SkiffError } from './errors.js';
import { ErrorCode } from './error-codes.js';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * A resident process (skiffd) may answer some calls itself with the exact
 * result the program would give (`nft` through libnftables, see
 * src/daemon/nft-in-process.ts; the `run` step of skiff-dns, see
 * src/daemon/dns-start.ts); undefined means "spawn it". Kept on
 * globalThis because skiffd loads the CLI from its own bundle.
 */
export type InProcessExec = (cmd: string, args: readonly string[], opts: ExecOptions) => ExecResult | Promise<ExecResult> | undefined;
export const IN_PROCESS_EXEC = Symbol.for('skiff.exec.inProcess');

/**
 * The result of a call a resident process answers itself, or undefined (no
 * such process, or it does not answer this call): for a form of the call
 * that only works in-process (`nft -j -f -` with the batch as input, which
 * a spawned nft cannot read from Node's socketpair stdin).
 */
export function runInProcess(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> | undefined {
  const inProcess = (globalThis as { [IN_PROCESS_EXEC]?: InProcessExec })[IN_PROCESS_EXEC];
  const served = inProcess?.(cmd, args, opts);
  return served ? Promise.resolve(served) : undefined;
}

/** Runs a program to completion. Rejects only when it cannot be started (e.g. ENOENT). */
export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const served = runInProcess(cmd, args, opts);
  if (served) return served;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        new SkiffError(`failed to run ${cmd}: ${e.code === 'ENOENT' ? 'not found in PATH' : e.message}`, {
          code: ErrorCode.SKIFF_ERR_EXEC,
          cause: e,
        }),
      );
    });
    child.on('close', (code, signal) => {
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {
      /* the child may exit before reading all input; its exit status tells */
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts a program that outlives us (a daemon). Resolves with its pid once spawned. */
export function spawnDetached(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; stdio?: SpawnOptions['stdio'] } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { detached: true, stdio: opts.stdio ?? 'ignore', env: opts.env ?? process.env });
    child.on('error', reject);
    child.on('spawn', () => {
      child.unref();
      resolve(child.pid ?? -1);
    });
  });
}

/**
 * Starts a daemon that says it is ready by writing to fd 3 (e.g. slirp4netns
 * `-r 3`). Resolves with its pid after the first byte; rejects when it exits
 * first or stays silent for `timeoutMs` (then it is killed). Its stdout and
 * stderr go to `logFd` (or nowhere), never to a pipe: a pipe would break, and
 * the daemon die of SIGPIPE, once we exit.
 */
export function spawnReady(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs: number; logFd?: number; env?: NodeJS.ProcessEnv },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = opts.logFd ?? 'ignore';
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out, 'pipe'], env: opts.env ?? process.env });
    const ready = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ready.destroy();
      child.unref();
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => reject(new SkiffError(`${cmd} was not ready within ${opts.timeoutMs} ms`, { code: ErrorCode.SKIFF_ERR_EXEC_TIMEOUT })));
    }, opts.timeoutMs);
    ready.on('data', () => settle(() => resolve(child.pid ?? -1)));
    ready.on('error', () => {
      /* reported through 'exit' */
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      settle(() =>
        reject(new SkiffError(`failed to run ${cmd}: ${e.code === 'ENOENT' ? 'not found in PATH' : e.message}`, { code: ErrorCode.SKIFF_ERR_EXEC, cause: e })),
      ),
    );
    child.on('exit', (code, signal) =>
      settle(() =>
        reject(
          new SkiffError(`${cmd} exited ${signal ? `on ${signal}` : `with code ${code}`} before it was ready`, {
            code: ErrorCode.SKIFF_ERR_EXEC_EXIT,
          }),
        ),
      ),
    );
  });
}
