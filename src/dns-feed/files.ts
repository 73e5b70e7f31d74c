// File I/O for the aardvark config dir. Temp files are written in the parent
// directory and renamed in: a reader scanning the config dir (aardvark-dns
// parses every file it finds there) never sees a half-written or temp file.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configDigest, isConfigFileName } from '../../schemas/aardvark-config.js';
import { readOptional, removeFile, writeFileAtomic } from '../lib/state-files.js';

/** Replaces `<dir>/<name>` atomically; the temp file lives beside `dir`, not in it. */
export function writeIntoDir(dir: string, name: string, content: string): void {
  writeFileAtomic(join(dir, name), content, 0o644, dirname(dir));
}

/** Writes `content`, or removes the file when `content` is undefined. */
export function putFile(dir: string, name: string, content: string | undefined): void {
  if (content === undefined) removeFile(join(dir, name));
  else writeIntoDir(dir, name, content);
}

/** The digest skiff-dns publishes after loading this dir (same files, same bytes). */
export function dirDigest(dir: string): string {
  const files: { name: string; content: string }[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  for (const name of names.filter(isConfigFileName)) {
    const content = readOptional(join(dir, name));
    if (content !== undefined) files.push({ name, content });
  }
  return configDigest(files);
}
