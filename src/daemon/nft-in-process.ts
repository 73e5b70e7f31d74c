// skiffd answers the CLI's `nft -j -f FILE` and `nft -j list ...` calls with
// libnftables loaded in-process (koffi) instead of spawning nft: the same
// library nft itself calls, so the same transaction, output and error text,
// for ~0.3 ms instead of a 10–14 ms spawn. Only when the call would have run
// the system's nft (PATH resolves `nft` to it) in the daemon's own network
// namespace; anything else is spawned as before.
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { IN_PROCESS_EXEC, type ExecOptions, type ExecResult, type InProcessExec } from '../lib/exec.js';

const NFT_CTX_OUTPUT_JSON = 1 << 4;
const SYSTEM_NFT = ['/usr/sbin/nft', '/sbin/nft'];

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

  const handler: InProcessExec = (cmd, args, opts: ExecOptions): ExecResult | undefined => {
    if (cmd !== 'nft' || args[0] !== '-j' || opts.input) return undefined;
    const file = args[1] === '-f' && args.length === 3 ? args[2] : undefined;
    const list = args[1] === 'list' ? args.slice(1) : undefined;
    if (file === undefined && list === undefined) return undefined;
    if (list?.some((a) => !/^[\w.-]+$/.test(a))) return undefined; // only plain words into the command line
    if (!isSystemNft((opts.env ?? process.env).PATH)) return undefined;
    if (statSync('/proc/thread-self/ns/net').ino !== ownNet) return undefined;
    const l = library();
    if (!l) return undefined;
    const ctx = l.ctxNew(0);
    try {
      l.setOutputFlags(ctx, NFT_CTX_OUTPUT_JSON);
      l.bufferOutput(ctx);
      l.bufferError(ctx);
      if (file !== undefined) readFileSync(file); // nft's "No such file" would differ in wording; fail as spawn would
      const rc = file !== undefined ? l.runFile(ctx, file) : l.runBuffer(ctx, (list as string[]).join(' '));
      return { code: rc === 0 ? 0 : 1, signal: null, stdout: l.outputBuffer(ctx), stderr: l.errorBuffer(ctx) };
    } catch {
      return undefined;
    } finally {
      l.ctxFree(ctx);
    }
  };
  (globalThis as { [IN_PROCESS_EXEC]?: InProcessExec })[IN_PROCESS_EXEC] = handler;
  return { preload: () => library() !== undefined };
}
