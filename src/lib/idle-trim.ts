// What an idle Node daemon (skiffd, the warm skiff-dns) gives back besides
// its garbage (the caller runs a full GC first). Two thirds of its RSS are
// pages of the node binary and its libraries, mapped read-only from the page
// cache: most were touched once, while Node started and loaded the bundle.
// Dropping this process's mappings of them (madvise MADV_DONTNEED) leaves the
// pages in the page cache, where any process still finds them; the next
// request faults back what it uses (~10 MB of minor faults in skiffd, within
// the noise of its request time here). malloc_trim hands glibc's free heap
// back as well.
//
// Only a mapping nobody can have written is dropped: read-only, private,
// backed by a file and holding no anonymous (copy-on-write) page, e.g. not a
// RELRO segment, whose relocated pages would fall back to the file's.
import { readFileSync } from 'node:fs';
import { dropPages, mallocTrim } from './libc.js';

export interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKb: number;
  anonymousKb: number;
}

/** The mappings of /proc/PID/smaps (only the fields this module reads). */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const [, start = '', end = '', perms = '', path = ''] = head;
      cur = { start: parseInt(start, 16), end: parseInt(end, 16), perms, path, rssKb: 0, anonymousKb: 0 };
      out.push(cur);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && cur) {
      if (field[1] === 'Rss') cur.rssKb = Number(field[2]);
      else cur.anonymousKb = Number(field[2]);
    }
  }
  return out;
}

/** The mappings whose resident pages are all the file's own, unchanged: safe to drop. */
export function droppable(maps: readonly Mapping[]): Mapping[] {
  return maps.filter(
    (m) => m.path.startsWith('/') && !m.path.endsWith(' (deleted)') && (m.perms === 'r-xp' || m.perms === 'r--p') && m.anonymousKb === 0 && m.rssKb > 0,
  );
}

/** Gives back what an idle daemon need not hold; returns the kB of mappings dropped. Never throws. */
export function trimIdleMemory(): number {
  try {
    mallocTrim();
    let kb = 0;
    for (const m of droppable(parseSmaps(readFileSync('/proc/self/smaps', 'utf8')))) {
      if (dropPages(m.start, m.end - m.start)) kb += m.rssKb;
    }
    return kb;
  } catch {
    return 0;
  }
}
