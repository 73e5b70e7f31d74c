// State and config files: written to a temp file and renamed over the target,
// so a reader (or a crash) never sees half a file; removed and read without
// caring whether they exist.
import { mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Replaces `path` atomically. The temp file lives in `tmpDir` (default: beside the target); pass another
 * directory on the same file system when readers scan the target's directory and must never see a temp file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, tmpDir = dirname(path)): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(tmpDir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data, { mode });
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

/** Removes a file; a file that is already gone is success. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** The file's text, or undefined when it does not exist; any other error is thrown. */
export function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
