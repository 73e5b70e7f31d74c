// Where a skiffd listens. One daemon per (user, mount, network) namespace:
// the socket name carries the inode numbers of all three, so a caller only
// ever finds the daemon that lives where it does. The C client
// (src/client/client.c) computes the same name; keep the two in step.
import { statSync } from 'node:fs';
import { join } from 'node:path';

export interface NsKey {
  user: number;
  mnt: number;
  net: number;
}

export function nsKeyOf(pid: number | 'self'): NsKey {
  const ino = (ns: string): number => statSync(`/proc/${pid}/ns/${ns}`).ino;
  return { user: ino('user'), mnt: ino('mnt'), net: ino('net') };
}

export function sameNs(a: NsKey, b: NsKey): boolean {
  return a.user === b.user && a.mnt === b.mnt && a.net === b.net;
}

/**
 * The directory of sockets, locks and logs: SKIFF_DAEMON_DIR, else /run/skiff
 * for root, else $XDG_RUNTIME_DIR/skiff; undefined when there is none (then
 * there is no daemon and every call runs in-process).
 */
export function daemonDir(env: NodeJS.ProcessEnv, uid: number): string | undefined {
  if (env.SKIFF_DAEMON_DIR) return env.SKIFF_DAEMON_DIR;
  if (uid === 0) return '/run/skiff';
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'skiff') : undefined;
}

export function socketName(key: NsKey): string {
  return `skiffd-${key.user}-${key.mnt}-${key.net}.sock`;
}

/** The fixed path of the socket-activated daemon (skiffd.socket). */
export const SYSTEMD_SOCKET = '/run/skiff/skiffd.sock';
