// skiffd answers the CLI's `nft -j -f FILE`, `nft -j -f -` (the batch as
// input, no file) and `nft -j list ...` calls with
// libnftables loaded in-process (koffi) instead of spawning nft: the same
// library nft itself calls, so the same transaction, output and error text,
// for ~0.3 ms instead of a 10–14 ms spawn. Only when the call would have run
// the system's nft (PATH resolves `nft` to it) in the daemon's own network
// namespace; anything else is spawned as before.
//
// One context serves every call, as in `nft -i` and firewalld: the kernel
// answers the close of any nftables netlink socket by finishing, under the
// nftables commit lock, its deferred destruction of what earlier transactions
// deleted or replaced, which waits for an RCU grace period (~10 ms here;
// that close was most of a 10-port setup's time in skiffd). The context
// checks the ruleset generation before each command, so its cache never
// answers for a ruleset someone else has changed since. It is freed once
// the daemon has made no nft call for IDLE_FREE_MS, when the destruction
// has long been done and the close costs nothing.
//
// A batch of only idempotent `add`s that was applied at the ruleset's current
// generation is not applied again (nft-generation.ts): a steady setup's
// re-assertion of its network's elements then costs one generation query.
//
// libnftables waits for the kernel's acknowledgements with select(2), which
// any signal ends with EINTR even under SA_RESTART; nft then reports a
// transaction the kernel has applied as failed ("Could not process rule:
// Interrupted system call"). A spawned nft has no signals of the daemon's to
// receive; here the daemon's signals are blocked for the length of a call and
// delivered right after it.
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { IN_PROCESS_EXEC, type ExecOptions, type ExecResult, type InProcessExec } from '../lib/exec.js';
import { withSignalsBlocked } from './libc.js';
import { AppliedBatches } from './nft-generation.js';

const NFT_CTX_OUTPUT_JSON = 1 << 4;
const SYSTEM_NFT = ['/usr/sbin/nft', '/sbin/nft'];
const IDLE_FREE_MS = 2000;
// the kernel's answer when a transaction was built against an older ruleset generation (ERESTART)
const RESTART = 'Interrupted system call should be restarted';

interface Libnftables {
  ctxNew(flags: number): unknown;
  ctxFree(ctx: unknown): void;
  setOutputFlags(ctx: unknown, flags: number): void;
  bufferOutput(ctx: unknown): number;
  bufferError(ctx: unknown): number;
  outputBuffer(ctx: unknown): string;
  errorBuffer(ctx: unknown): string;
  runBuffer(ctx: unknown, cmd: string): number;
  runFile(ctx: unknown, path: string): number;
}

function load(): Libnftables {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libnftables.so.1');
  const f = (decl: string) => lib.func(decl) as (...a: unknown[]) => unknown;
  const ctxNew = f('void *nft_ctx_new(uint32_t flags)');
  const ctxFree = f('void nft_ctx_free(void *ctx)');
  const setFlags = f('void nft_ctx_output_set_flags(void *ctx, unsigned int flags)');
  const bufOut = f('int nft_ctx_buffer_output(void *ctx)');
  const bufErr = f('int nft_ctx_buffer_error(void *ctx)');
  const getOut = f('const char *nft_ctx_get_output_buffer(void *ctx)');
  const getErr = f('const char *nft_ctx_get_error_buffer(void *ctx)');
  const runBuffer = f('int nft_run_cmd_from_buffer(void *ctx, const char *buf)');
  const runFile = f('int nft_run_cmd_from_filename(void *ctx, const char *filename)');
  return {
    ctxNew: (flags) => ctxNew(flags),
    ctxFree: (ctx) => void ctxFree(ctx),
    setOutputFlags: (ctx, flags) => void setFlags(ctx, flags),
    bufferOutput: (ctx) => bufOut(ctx) as number,
    bufferError: (ctx) => bufErr(ctx) as number,
    outputBuffer: (ctx) => (getOut(ctx) as string | null) ?? '',
    errorBuffer: (ctx) => (getErr(ctx) as string | null) ?? '',
    runBuffer: (ctx, cmd) => runBuffer(ctx, cmd) as number,
    runFile: (ctx, path) => runFile(ctx, path) as number,
  };
}

/** The nft that `PATH` would run, resolved; undefined when there is none. */
function whichNft(path: string | undefined): string | undefined {
  for (const dir of (path ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    try {
      const p = join(dir, 'nft');
      accessSync(p, constants.X_OK);
      return realpathSync(p);
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface NftInProcess {
  /** Loads libnftables now (instead of on the first call). False when it cannot be loaded. */
  preload(): boolean;
  /** Batches not applied again: applied at the current ruleset generation already (nft-generation.ts). */
  skipped(): number;
}

/** Installs the handler for this process; `ownNet` is the daemon's network namespace inode. */
export function installInProcessNft(ownNet: number, log: (msg: string) => void): NftInProcess {
  let lib: Libnftables | undefined;
  let failed = false;
  const resolved = new Map<string, boolean>();
  const library = (): Libnftables | undefined => {
    if (lib || failed) return lib;
    try {
      lib = load();
    } catch (e) {
      failed = true;
      log(`libnftables not loaded, nft is spawned instead: ${(e as Error).message}`);
    }
    return lib;
  };
  const isSystemNft = (path: string | undefined): boolean => {
    const key = path ?? '';
    let ok = resolved.get(key);
    if (ok === undefined) {
      const nft = whichNft(path);
      ok = nft !== undefined && SYSTEM_NFT.some((s) => {
        try {
          return realpathSync(s) === nft;
        } catch {
          return false;
        }
      });
      resolved.set(key, ok);
    }
    return ok;
  };

  // SKIFF_DAEMON_NFT_SKIP=0: every batch is applied, known or not
  const skipping = process.env.SKIFF_DAEMON_NFT_SKIP !== '0';
  const applied = new AppliedBatches();
  let ctx: unknown;
  let idle: NodeJS.Timeout | undefined;
  const freeContext = (): void => {
    if (ctx !== undefined && lib) lib.ctxFree(ctx);
    ctx = undefined;
  };
  const context = (l: Libnftables): unknown => {
    if (ctx === undefined) {
      ctx = l.ctxNew(0);
      l.setOutputFlags(ctx, NFT_CTX_OUTPUT_JSON);
      l.bufferOutput(ctx);
      l.bufferError(ctx);
    }
    if (idle) idle.refresh();
    else idle = setTimeout(() => {
      idle = undefined;
      freeContext();
    }, IDLE_FREE_MS).unref();
    return ctx;
  };

  const handler: InProcessExec = (cmd, args, opts: ExecOptions): ExecResult | undefined => {
    if (cmd !== 'nft' || args[0] !== '-j') return undefined;
    // `-f -` comes with the batch as input (a form only this handler answers, see firewall/nftables/nft.ts)
    const stdin = args[1] === '-f' && args[2] === '-' && args.length === 3 ? opts.input : undefined;
    if (opts.input !== undefined && stdin === undefined) return undefined;
    const file = args[1] === '-f' && args.length === 3 && stdin === undefined ? args[2] : undefined;
    const list = args[1] === 'list' ? args.slice(1) : undefined;
    if (file === undefined && list === undefined && stdin === undefined) return undefined;
    if (list?.some((a) => !/^[\w.-]+$/.test(a))) return undefined; // only plain words into the command line
    if (!isSystemNft((opts.env ?? process.env).PATH)) return undefined;
    if (statSync('/proc/thread-self/ns/net').ino !== ownNet) return undefined;
    const l = library();
    if (!l) return undefined;
    if (file !== undefined) {
      try {
        readFileSync(file); // nft's "No such file" would differ in wording; fail as spawn would
      } catch {
        return undefined;
      }
    }
    const text = stdin ?? (list !== undefined ? list.join(' ') : undefined);
    if (stdin === undefined || !skipping) return serve(l, file, text);
    const before = applied.generation();
    if (applied.applied(stdin, before)) {
      applied.skipped++;
      return { code: 0, signal: null, stdout: '', stderr: '' };
    }
    const r = serve(l, undefined, stdin);
    if (r?.code === 0) applied.committed(stdin, before, applied.generation());
    return r;
  };
  const serve = (l: Libnftables, file: string | undefined, text: string | undefined): ExecResult | undefined => {
    const once = (): ExecResult => {
      const c = context(l);
      const rc = withSignalsBlocked(() => (file !== undefined ? l.runFile(c, file) : l.runBuffer(c, text ?? '')));
      // reading both buffers also empties them for the next call
      return { code: rc === 0 ? 0 : 1, signal: null, stdout: l.outputBuffer(c), stderr: l.errorBuffer(c) };
    };
    try {
      const r = once();
      if (r.code === 0 || !r.stderr.includes(RESTART)) return r;
      // rejected whole, before any change: a libnftables that sends its cache's generation with the
      // transaction met a ruleset changed since; a fresh context reads it anew
      freeContext();
      return once();
    } catch {
      freeContext();
      return undefined;
    }
  };
  (globalThis as { [IN_PROCESS_EXEC]?: InProcessExec })[IN_PROCESS_EXEC] = handler;
  return { preload: () => library() !== undefined, skipped: () => applied.skipped };
}
