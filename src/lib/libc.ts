// The few libc calls Node has no API for: setns(2) to open netlink sockets inside
// a container's namespace, flock(2) for locks the kernel drops when we die, and
// madvise(2) / malloc_trim(3) for what an idle daemon gives back (idle-trim.ts).
// Loaded on first use: koffi costs start-up time that `version` should not pay.
import { createRequire } from 'node:module';
import { SkiffError } from './errors.js';
import { ErrorCode } from './error-codes.js';
import { Errno, errnoName } from './errno.js';

export const CLONE_NEWNET = 0x40000000;
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

interface Libc {
  setns(fd: number, nstype: number): number;
  flock(fd: number, op: number): number;
  madvise(addr: number, len: number, advice: number): number;
  mallocTrim(pad: number): number;
  errno(): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  const setns = lib.func('int setns(int fd, int nstype)');
  const flock = lib.func('int flock(int fd, int op)');
  const errnoLoc = lib.func('int *__errno_location(void)');
  const madvise = lib.func('int madvise(uintptr_t addr, size_t len, int advice)');
  const mallocTrim = lib.func('int malloc_trim(size_t pad)');
  libc = {
    setns: (fd, nstype) => setns(fd, nstype) as number,
    flock: (fd, op) => flock(fd, op) as number,
    madvise: (addr, len, advice) => madvise(addr, len, advice) as number,
    mallocTrim: (pad) => mallocTrim(pad) as number,
    errno: () => koffi.decode(errnoLoc(), 'int') as number,
  };
  return libc;
}

function fail(what: string, errno: number): never {
  throw new SkiffError(`${what} failed: ${errnoName(errno)}`, { code: ErrorCode.SKIFF_ERR_SYSCALL });
}

/** Moves the calling thread into the namespace behind `fd` (CLONE_NEWNET). */
export function setns(fd: number, nstype = CLONE_NEWNET): void {
  const l = load();
  if (l.setns(fd, nstype) !== 0) fail('setns', l.errno());
}

/** Blocking flock; retried on EINTR. Returns false only for LOCK_NB when the lock is held. */
export function flock(fd: number, op: number): boolean {
  const l = load();
  for (;;) {
    if (l.flock(fd, op) === 0) return true;
    const errno = l.errno();
    if (errno === Errno.EINTR) continue;
    if (errno === Errno.EAGAIN && op & LOCK_NB) return false;
    fail('flock', errno);
  }
}

const MADV_DONTNEED = 4;

/** Drops this process's pages of [addr, addr + len) (MADV_DONTNEED); false when the kernel refuses. */
export function dropPages(addr: number, len: number): boolean {
  return load().madvise(addr, len, MADV_DONTNEED) === 0;
}

/** Hands glibc's free heap back to the kernel. */
export function mallocTrim(): void {
  load().mallocTrim(0);
}
