// A skiffd serves one network namespace, and only callers inside it find its
// socket. Once no other process is in that namespace and no nsfs mount of it
// is visible (`ip netns del` of a test's or sandbox's namespace, its holder
// killed), nobody can call it again: only the daemon keeps the namespace, and
// its bridges and rules, alive. Such a daemon leaves at once rather than after
// its idle timeout (netavark's suite makes a namespace per test: dozens of
// daemons would otherwise wait out their minute side by side).
import { readdirSync, readFileSync, statSync } from 'node:fs';

/**
 * True when no process but this one (and `ignore`: its own helpers) is in the
 * network namespace `netIno` and no mount of it is visible here. A process a
 * rootless daemon may not look at counts as inside (it never leaves this way).
 */
export function netnsOrphaned(netIno: number, ignore: ReadonlySet<number>): boolean {
  try {
    if (readFileSync('/proc/self/mountinfo', 'utf8').includes(` net:[${netIno}] `)) return false;
  } catch {
    return false;
  }
  for (const ent of readdirSync('/proc')) {
    const c = ent.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(ent);
    if (pid === process.pid || ignore.has(pid)) continue;
    try {
      if (statSync(`/proc/${ent}/ns/net`).ino === netIno) return false;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // exited meanwhile
      // root is refused only processes of an outer user namespace (a container's pid 1, say), which do
      // not live in a namespace made for our callers; a rootless daemon cannot tell, so it stays
      if (code === 'EACCES' && process.getuid?.() === 0) continue;
      return false;
    }
  }
  return true;
}
