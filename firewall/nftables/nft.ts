// The only place that talks to nft: one `nft -j -f -` per change (a single
// kernel transaction), and a few narrow `nft -j list ...` reads. Parsing of
// their output is separate (foreign.ts) so it can be unit-tested.
import { openSync, writeSync, closeSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run, runInProcess, type ExecResult } from '../../src/lib/exec.js';
import { SkiffError } from '../../src/lib/errors.js';
import { ErrorCode } from '../../src/lib/error-codes.js';
import { createLog } from '../../src/lib/log.js';
import type { NftBatch } from './nft-json.js';

const log = createLog('firewall');

export interface NftRunner {
  /** Applies a batch atomically. Throws NftError naming `what` with nft's own message. */
  apply(batch: NftBatch, what: string): Promise<void>;
  /** `nft -j list <args>` parsed as JSON; undefined when the object does not exist. */
  list(args: readonly string[]): Promise<unknown>;
}

export class NftError extends SkiffError {
  /** errno-like classification of nft's message: EEXIST, ENOENT, EBUSY or undefined */
  readonly errno: string | undefined;
  constructor(message: string, errno: string | undefined, hint?: string) {
    super(message, { code: ErrorCode.SKIFF_ERR_NFT, hint });
    this.name = 'NftError';
    this.errno = errno;
  }
}

export function classifyNftError(stderr: string): string | undefined {
  if (/File exists/i.test(stderr)) return 'EEXIST';
  if (/No such file or directory/i.test(stderr)) return 'ENOENT';
  if (/Device or resource busy/i.test(stderr)) return 'EBUSY';
  return undefined;
}

/** The lines of nft's stderr that say what went wrong, without the echoed JSON. */
export function nftErrorText(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('Error:') || /Error:/.test(l))
    .map((l) => l.replace(/^.*?Error:\s*/, ''));
  const uniq = [...new Set(lines)];
  return uniq.length > 0 ? uniq.join('; ') : stderr.trim().split('\n')[0] ?? 'unknown error';
}

/** Creates the batch file exclusively (never follows a planted name), readable by us only. */
function writeBatchFile(text: string): string {
  const path = join(tmpdir(), `skiff-nft-${process.pid}-${randomBytes(6).toString('hex')}.json`);
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return path;
}

// A spawned `nft -f -` opens /dev/stdin, which fails (ENXIO) on the socketpair
// Node gives a child as stdin; a private file holds the batch instead. (skiffd
// answers `-f -` in-process, with no file: writing and removing it was a fifth
// of a steady setup's firewall step there.)
async function runFromFile(bin: string, input: string): Promise<ExecResult> {
  const file = writeBatchFile(input);
  try {
    return await run(bin, ['-j', '-f', file]);
  } finally {
    unlinkSync(file);
  }
}

/**
 * netavark's wording (its nftables library's): Podman shows it to the user and
 * people search for it. What Skiff was doing goes to the debug log.
 */
export function nftFailure(bin: string, while_: 'applying ruleset' | 'getting the current ruleset', text: string): string {
  return `nftables error: ${JSON.stringify(basename(bin))} did not return successfully while ${while_}: ${text}`;
}

export function nftRunner(bin = process.env.SKIFF_NFT ?? 'nft'): NftRunner {
  return {
    async apply(batch, what) {
      const input = JSON.stringify(batch);
      if (log.enabled('debug')) log.debug(`nft batch: ${what}`, { commands: batch.nftables.length - 1 });
      if (log.enabled('trace')) log.trace('nft batch json', { batch: input });
      const r = (await runInProcess(bin, ['-j', '-f', '-'], { input })) ?? (await runFromFile(bin, input));
      if (r.code === 0) return;
      const errno = classifyNftError(r.stderr);
      log.debug(`nft rejected the ${what} change: ${r.stderr.trim()}`);
      throw new NftError(
        nftFailure(bin, 'applying ruleset', nftErrorText(r.stderr)),
        errno,
        errno === 'EEXIST' ? 'A published host port is probably already forwarded to another container; check `nft list table inet skiff`' : undefined,
      );
    },
    async list(args) {
      const r = await run(bin, ['-j', 'list', ...args]);
      if (r.code !== 0) {
        if (classifyNftError(r.stderr) === 'ENOENT') return undefined;
        log.debug(`nft list ${args.join(' ')} failed: ${r.stderr.trim()}`);
        throw new NftError(nftFailure(bin, 'getting the current ruleset', nftErrorText(r.stderr)), classifyNftError(r.stderr));
      }
      try {
        return JSON.parse(r.stdout) as unknown;
      } catch {
        throw new NftError(`nftables error: ${JSON.stringify(basename(bin))} printed invalid JSON while getting the current ruleset (nft list ${args.join(' ')})`, undefined);
      }
    },
  };
}
