// aardvark-dns closes every descriptor it inherited (close_range) so that a
// long-lived daemon never pins a caller's pipes, locks or sockets. Node opens
// all of its own descriptors close-on-exec; anything without O_CLOEXEC above
// stdio (and the ones we pass on purpose) was inherited, and is closed here.
import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

export function closeInheritedFds(keep: readonly number[] = []): number[] {
  const closed: number[] = [];
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return closed;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2 || keep.includes(fd)) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // the descriptor readdir itself used, already gone
    }
    const m = /^flags:\s*([0-7]+)/m.exec(info);
    if (!m || m[1] === undefined || parseInt(m[1], 8) & O_CLOEXEC) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      /* raced with something else closing it */
    }
  }
  return closed;
}
