// skiffd answers the CLI's `<skiff-dns> --config DIR -p PORT run` itself. That
// command is a Node process whose only job is to start the server (a second,
// detached Node process: Node cannot fork) and wait until it is serving; skiffd
// does that job in-process, so the first DNS-enabled container pays one Node
// start-up instead of two. The server is started exactly as the `run` parent
// would start it (dns/main.ts): same interpreter flags, script path, argv and
// environment (the request's), detached in its own session, its output to
// SKIFF_DNS_LOG_FILE or nowhere, ready when it says so over dns/readiness.ts.
// So its command line, pid file, reloads and exit when its last network goes
// are those of any skiff-dns. Only Skiff's own launchers of this build
// (dist/skiff-dns.cjs, bin/aardvark-dns) are answered; stock aardvark-dns,
// systemd-run and anything else are spawned as before.
import { openSync, closeSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { spawnDetached, IN_PROCESS_EXEC, type ExecOptions, type ExecResult, type InProcessExec } from '../lib/exec.js';
import { listenForReady, READY_ENV } from '../../dns/readiness.js';

const CHILD_ENV = 'SKIFF_DNS_CHILD'; // dns/main.ts
const START_TIMEOUT_MS = 30_000; // dns/main.ts

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Chains a handler for the skiff-dns `run` step in front of the installed IN_PROCESS_EXEC one. */
export function installDnsStart(dist: string, log: (msg: string) => void): { started(): number } {
  const ours = new Set([real(join(dist, 'skiff-dns.cjs')), real(join(dist, '..', 'bin', 'aardvark-dns'))].filter((p): p is string => p !== undefined));
  let started = 0;
  const next = (globalThis as { [IN_PROCESS_EXEC]?: InProcessExec })[IN_PROCESS_EXEC];

  const start = async (script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ExecResult> => {
    const result = (code: number, stderr = ''): ExecResult => ({ code, signal: null, stdout: '', stderr });
    const ready = await listenForReady();
    const logFile = env.SKIFF_DNS_LOG_FILE;
    const logFd = logFile ? openSync(logFile, 'a') : undefined;
    let pid: number;
    try {
      pid = await spawnDetached(process.execPath, ['--max-semi-space-size=1', script, ...args], {
        env: { ...env, [CHILD_ENV]: '1', [READY_ENV]: ready.name },
        stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore'],
      });
    } catch (e) {
      await ready.wait(() => false, 0);
      return result(1, `Error starting the daemon: ${(e as Error).message}\n`);
    } finally {
      if (logFd !== undefined) closeSync(logFd);
    }
    started++;
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const outcome = await ready.wait(alive, START_TIMEOUT_MS);
    if (outcome.ok) return result(0);
    log(`skiff-dns ${pid} did not start: ${outcome.error}`);
    return result(1, `Error from child process\n${outcome.error}\n`);
  };

  const handler: InProcessExec = (cmd, args, opts: ExecOptions) => {
    const isRun = args.length === 5 && args[0] === '--config' && args[2] === '-p' && /^\d+$/.test(args[3] ?? '') && args[4] === 'run';
    if (isRun && !opts.input && cmd.startsWith('/')) {
      const r = real(cmd);
      if (r !== undefined && ours.has(r)) return start(cmd, args, opts.env ?? process.env);
    }
    return next?.(cmd, args, opts);
  };
  (globalThis as { [IN_PROCESS_EXEC]?: InProcessExec })[IN_PROCESS_EXEC] = handler;
  return { started: () => started };
}
