// Per-container state of the rootless adapter: which helper we started for a
// netns, so that teardown stops exactly that one. One JSON file per netns,
// keyed by a hash of the netns path (the namespace may be gone by teardown).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { portMappingSchema } from '../../schemas/port-mapping.js';
import { withLock } from '../lib/lock.js';
import { readOptional, removeFile, writeFileAtomic } from '../lib/state-files.js';
import { ConfigError, SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';

/** `--config DIR`, else $XDG_RUNTIME_DIR/skiff (the per-user tmpfs, gone after logout/reboot). */
export function stateDir(config: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (config !== undefined && config !== '') return config;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'skiff');
  throw new ConfigError('no state directory: pass --config DIR or set XDG_RUNTIME_DIR');
}

export interface StatePaths {
  record: string;
  pidFile: string;
  apiSocket: string;
  log: string;
  lock: string;
}

// sun_path is 108 bytes including the NUL.
const MAX_SOCKET_PATH = 107;

export function statePaths(dir: string, netns: string): StatePaths {
  const key = createHash('sha256').update(netns).digest('hex').slice(0, 16);
  const base = join(dir, 'rootless', key);
  const p = { record: `${base}.json`, pidFile: `${base}.pid`, apiSocket: `${base}.sock`, log: `${base}.log`, lock: `${base}.lock` };
  if (Buffer.byteLength(p.apiSocket) > MAX_SOCKET_PATH) {
    throw new ConfigError(`state directory ${dir} is too long for a unix socket path (${p.apiSocket}); use a shorter --config`);
  }
  return p;
}

const recordSchema = z.object({
  version: z.literal(1),
  backend: z.enum(['pasta', 'slirp4netns']),
  netns: z.string(),
  userns: z.optional(z.string()),
  pid: z.int().check(z.positive()),
  starttime: z.string(),
  api_socket: z.optional(z.string()),
  port_mappings: z.array(portMappingSchema),
  result: z.record(z.string(), z.unknown()),
});
export type StateRecord = z.infer<typeof recordSchema>;

export function readRecord(path: string): StateRecord | undefined {
  let text: string | undefined;
  try {
    text = readOptional(path);
  } catch (e) {
    throw new SkiffError(`cannot read rootless state ${path}: ${(e as Error).message}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_STATE });
  }
  if (text === undefined) return undefined;
  try {
    return recordSchema.parse(JSON.parse(text));
  } catch {
    throw new SkiffError(`rootless state ${path} is corrupt`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_STATE, hint: 'Stop the helper by hand and remove the file' });
  }
}

export function writeRecord(path: string, r: StateRecord): void {
  writeFileAtomic(path, JSON.stringify(r) + '\n', 0o600);
}

/** Removes every file of this netns except the lock (still held by the caller). */
export function removeState(p: StatePaths): void {
  for (const f of [p.record, p.pidFile, p.apiSocket, p.log]) removeFile(f);
}

/**
 * Runs fn under this netns' lock. The lock file goes with the netns' last
 * state file (lib/lock makes removing it while held safe), so one does not
 * stay behind per container ever set up.
 */
export function withNetnsLock<T>(p: StatePaths, fn: () => Promise<T>): Promise<T> {
  return withLock(p.lock, fn, { removeIf: () => ![p.record, p.pidFile, p.apiSocket, p.log].some((f) => existsSync(f)) });
}
