// The one module that starts subprocesses. Everything else works on data and
// calls through here, so tests can see exactly which programs Skiff runs.
import { spawn, type SpawnOptions } from 'node:child_process';
import { SkiffError } from './errors.js';

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

/** Runs a program to completion. Rejects only when it cannot be started (e.g. ENOENT). */
export function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
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
          code: 'SKIFF_ERR_EXEC',
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
