// /proc/sys reads and writes. Network sysctls belong to the namespace of the
// thread that opens the file, so inside runInNetns these calls act on the
// container (they are synchronous on purpose: see netns.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { errnoNumber, errnoText } from './wire.js';

/** A sysctl read or write failed; `errno` ('ENOENT', 'EROFS', ...) lets callers ignore the expected ones. */
export class SysctlError extends SkiffError {
  readonly key: string;
  readonly errno: string | undefined;
  constructor(message: string, opts: { key: string; errno?: string; cause?: unknown }) {
    super(message, { code: ErrorCode.SKIFF_ERR_SYSCTL, cause: opts.cause });
    this.name = 'SysctlError';
    this.key = opts.key;
    this.errno = opts.errno;
  }
}

/** Reads `key` (e.g. `net/ipv4/ip_forward`), trimmed. */
export function readSysctl(key: string): string {
  const path = sysctlPath(key);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw sysctlError('read', key, e);
  }
}

/** Writes `value` unless the current value already matches. */
export function writeSysctl(key: string, value: string): 'changed' | 'unchanged' {
  const path = sysctlPath(key);
  try {
    if (readFileSync(path, 'utf8').trim() === value.trim()) return 'unchanged';
    writeFileSync(path, value);
  } catch (e) {
    throw sysctlError('write', key, e, value);
  }
  return 'changed';
}

function sysctlPath(key: string): string {
  // slash form only: interface names may contain dots (eth0.100)
  if (!key || key.startsWith('/') || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new SysctlError(`invalid sysctl key "${key}"`, { key, errno: 'EINVAL' });
  }
  return `/proc/sys/${key}`;
}

function sysctlError(op: 'read' | 'write', key: string, e: unknown, value?: string): SysctlError {
  const code = (e as NodeJS.ErrnoException).code;
  const n = code === undefined ? undefined : errnoNumber(code);
  const reason = n === undefined ? (e as Error).message : errnoText(n);
  const what = op === 'write' ? `set sysctl ${key} to ${value}` : `read sysctl ${key}`;
  return new SysctlError(`failed to ${what}: ${reason}`, { key, errno: code, cause: e });
}
