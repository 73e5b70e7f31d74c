// What skiffd (src/daemon/dns-zygote.ts) and a warm skiff-dns (dns/zygote.ts)
// say to each other over the zygote's IPC channel: it says {"t":"warm"} once
// loaded, skiffd may send {"t":"wake"} (ZygoteWake) when a request may start a
// DNS server soon and sends one ZygoteGo when one is to start, and the server
// answers one ZygoteReady (bound, or why not) and disconnects.

/** Set in a zygote's environment by skiffd. */
export const ZYGOTE_ENV = 'SKIFF_DNS_ZYGOTE';

/**
 * A start may follow: nothing to answer. Receiving a message brings back what
 * a wait of minutes let go cold (the IPC path's code, heap pages), which made
 * the first message take 6–20 ms to reach the zygote's JavaScript and 1–3 ms
 * once woken; the zygote also runs its start-up path once more meanwhile.
 */
export interface ZygoteWake {
  t: 'wake';
}

export function isWake(m: unknown): m is ZygoteWake {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>).t === 'wake';
}

/** What skiffd sends: the `run` to become. */
export interface ZygoteGo {
  t: 'go';
  /** the process title: the command line the server would have had */
  title: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  umask: number;
}

export function isGo(m: unknown): m is ZygoteGo {
  if (typeof m !== 'object' || m === null) return false;
  const g = m as Record<string, unknown>;
  return (
    g.t === 'go' &&
    typeof g.title === 'string' &&
    Array.isArray(g.argv) &&
    g.argv.every((a) => typeof a === 'string') &&
    typeof g.env === 'object' &&
    g.env !== null &&
    Object.values(g.env).every((v) => typeof v === 'string') &&
    typeof g.cwd === 'string' &&
    typeof g.umask === 'number'
  );
}

/** What the server says once its sockets are bound, or why it could not start. */
export type ZygoteReady = { t: 'ready'; ok: true } | { t: 'ready'; ok: false; error: string };

export function isReady(m: unknown): m is ZygoteReady {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.t === 'ready' && (r.ok === true || (r.ok === false && typeof r.error === 'string'));
}
