// An exclusive lock on a file, held through flock(2): the kernel releases it
// when the process dies, so a crashed `skiff setup` never leaves a stale lock.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { flock, LOCK_EX, LOCK_UN } from './libc.js';

export interface HeldLock {
  release(): void;
}

export function lockFile(path: string): HeldLock {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  try {
    flock(fd, LOCK_EX);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        flock(fd, LOCK_UN);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Runs fn with the lock held; releases it whatever fn does. */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = lockFile(path);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
