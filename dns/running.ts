// Whether a DNS server serves a config dir now: the dir's pid file names a
// live process whose command line names the dir (a pid reused since, or a
// server that has exited and not yet been reaped, does not count). skiffd asks
// before keeping a warm skiff-dns: while one serves, the next DNS-enabled
// network of that dir is a reload, not a start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PID_FILE } from '../schemas/aardvark-config.js';

export function serverRunning(dir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dir, PID_FILE), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    // a spawned server's arguments are NUL-separated; a warm one's title is one space-joined string
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().split(/ +/);
    const at = args.indexOf('--config');
    return at >= 0 && args[at + 1] === dir;
  } catch {
    return false;
  }
}
