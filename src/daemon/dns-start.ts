// skiffd answers the CLI's `<skiff-dns> --config DIR -p PORT run` itself. That
// command is a Node process whose only job is to start the server (a second,
// detached Node process: Node cannot fork) and wait until it is serving; skiffd
// does that job in-process, so the first DNS-enabled container pays one Node
// start-up instead of two. The server is started exactly as the `run` parent
// would start it (dns/spawn-server.ts, shared with dns/main.ts): same interpreter flags, script path, argv and
// environment (the request's), detached in its own session, its output to
// SKIFF_DNS_LOG_FILE or nowhere, ready when it says so over dns/readiness.ts;
// or, faster, by handing the same start to a warm skiff-dns (./dns-zygote.ts).
// So its command line, pid file, reloads and exit when its last network goes
// are those of any skiff-dns. Only Skiff's own launchers of this build
// (dist/skiff-dns.cjs, bin/aardvark-dns) are answered; stock aardvark-dns,
// systemd-run and anything else are spawned as before.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { IN_PROCESS_EXEC, type ExecOptions, type ExecResult, type InProcessExec } from '../lib/exec.js';
import { onDnsStartHint } from '../lib/resident-hints.js';
import { startServer } from '../../dns/spawn-server.js';
import type { DnsZygote } from './dns-zygote.js';

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Chains a handler for the skiff-dns `run` step in front of the installed IN_PROCESS_EXEC one. */
export function installDnsStart(dist: string, log: (msg: string) => void, zygote?: DnsZygote): { started(): number; dirs(): ReadonlySet<string> } {
  const ours = new Set([real(join(dist, 'skiff-dns.cjs')), real(join(dist, '..', 'bin', 'aardvark-dns'))].filter((p): p is string => p !== undefined));
  let started = 0;
  const dirs = new Set<string>(); // the config dirs of the servers started
  const next = (globalThis as { [IN_PROCESS_EXEC]?: InProcessExec })[IN_PROCESS_EXEC];

  const start = async (script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ExecResult> => {
    // not skiffd's own node flags: the server gets what the `run` parent would give it
    const s = { execArgv: [], script, argv: args, env };
    // a warm process cannot move its stdio to SKIFF_DNS_LOG_FILE, and its one-string title
    // cannot keep an argument with a space apart (dns-feed/process.ts servesDir): those are spawned
    const warm = env.SKIFF_DNS_LOG_FILE || [script, ...args].some((a) => a.includes(' ')) ? undefined : zygote?.take(s);
    const t0 = performance.now();
    const fromWarm = warm && (await zygote?.start(warm, s));
    const r = fromWarm || (await startServer(s));
    log(`skiff-dns ${r.pid ?? '-'} ${r.ok ? 'serving' : 'failed'} after ${Math.round(performance.now() - t0)} ms (${fromWarm ? 'warm' : 'spawned'})`);
    if (r.pid !== undefined) started++;
    if (r.ok && args[1] !== undefined) dirs.add(args[1]);
    if (r.ok) return { code: 0, signal: null, stdout: '', stderr: '' };
    if (r.pid !== undefined) log(`skiff-dns ${r.pid} did not start: ${r.message.trim()}`);
    return { code: 1, signal: null, stdout: '', stderr: r.message };
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
  if (zygote) onDnsStartHint(() => zygote.wake());
  return { started: () => started, dirs: () => dirs };
}
