// An exclusive lock on a file, held through flock(2): the kernel releases it
// when the process dies, so a crashed `skiff setup` never leaves a stale lock.
//
// A holder may remove the file (HeldLock.remove, withLock's removeIf) so that
// per-container lock files do not pile up. That is safe only because every
// taker checks, once it holds the lock, that the path still names the inode it
// locked: a waiter that got the lock on a file removed meanwhile (or replaced
// by a newcomer's fresh one) drops it and starts over. Without that check a
// waiter and a newcomer would each "hold" the lock on a different inode.
import { closeSync, fstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { flock, LOCK_EX, LOCK_UN } from './libc.js';

export interface HeldLock {
  release(): void;
  /** Removes the lock file (best effort), then releases the lock. Waiters start over on a new file. */
  remove(): void;
}

/** Whether `path` still names the file open at `fd` (check it once the lock is held). */
export function stillNamed(fd: number, path: string): boolean {
  const held = fstatSync(fd);
  try {
    const now = statSync(path);
    return now.ino === held.ino && now.dev === held.dev;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export function lockFile(path: string): HeldLock {
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    const fd = openSync(path, 'a');
    try {
      flock(fd, LOCK_EX);
      if (stillNamed(fd, path)) return held(fd, path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    closeSync(fd); // locked a removed file: its holder is done with it; take the current one
  }
}

function held(fd: number, path: string): HeldLock {
  let isHeld = true;
  const release = (): void => {
    if (!isHeld) return;
    isHeld = false;
    try {
      flock(fd, LOCK_UN);
    } finally {
      closeSync(fd);
    }
  };
  return {
    release,
    remove() {
      if (!isHeld) return;
      try {
        unlinkSync(path);
      } catch {
        /* it stays (read-only dir, already gone): still a correct lock file, only not tidied */
      }
      release();
    },
  };
}

export interface LockOptions {
  /** Asked with the lock still held, after fn (also when it threw): true removes the lock file. */
  removeIf?: () => boolean;
}

/** Runs fn with the lock held; releases it whatever fn does. */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = lockFile(path);
  try {
    return await fn();
  } finally {
    let remove = false;
    try {
      remove = opts.removeIf?.() ?? false;
    } catch {
      /* keep the file: harmless */
    }
    if (remove) lock.remove();
    else lock.release();
  }
}
