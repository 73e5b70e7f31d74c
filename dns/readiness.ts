// The `run` parent returns only once the daemon is serving. Node cannot fork,
// so the parent starts a fresh, detached copy of itself (via src/lib/exec.ts)
// and waits on an abstract unix socket whose name it passes in the
// environment: the child connects and sends "R" when its sockets are bound, or
// "E<message>" when it cannot start. Abstract names need no file and vanish
// with the parent.
import { createServer, connect, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';

export const READY_ENV = 'SKIFF_DNS_READY_SOCKET';

export type Outcome = { ok: true } | { ok: false; error: string };

export interface ReadyWaiter {
  /** the name to hand to the child in READY_ENV */
  name: string;
  /** settles on the child's message, when `alive()` turns false, or after `timeoutMs` */
  wait(alive: () => boolean, timeoutMs: number): Promise<Outcome>;
}

export function listenForReady(): Promise<ReadyWaiter> {
  // env values cannot carry the leading NUL of an abstract name: it is added on both sides
  const name = `skiff-dns-ready-${process.pid}-${randomBytes(6).toString('hex')}`;
  return new Promise((resolveListen, rejectListen) => {
    const srv: Server = createServer();
    let early: Outcome | undefined;
    let settle: ((o: Outcome) => void) | undefined = (o) => (early = o);
    srv.on('connection', (sock) => {
      let text = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => (text += d));
      sock.on('end', () => {
        if (text.startsWith('R')) settle?.({ ok: true });
        else if (text.startsWith('E')) settle?.({ ok: false, error: text.slice(1) });
      });
      sock.on('error', () => undefined);
    });
    srv.once('error', rejectListen);
    srv.listen('\0' + name, () => {
      resolveListen({
        name,
        wait(alive, timeoutMs) {
          return new Promise<Outcome>((resolve) => {
            const started = Date.now();
            const poll = setInterval(() => {
              if (!alive()) done({ ok: false, error: 'the daemon exited before it was ready' });
              else if (Date.now() - started > timeoutMs) done({ ok: false, error: `the daemon was not ready after ${timeoutMs} ms` });
            }, 20);
            const done = (o: Outcome): void => {
              clearInterval(poll);
              settle = undefined;
              srv.close();
              resolve(o);
            };
            if (early) done(early);
            else settle = done;
          });
        },
      });
    });
  });
}

let reporter: ((outcome: Outcome) => Promise<void>) | undefined;

/** A server started from a warm process (dns/zygote.ts) reports over its IPC channel instead. */
export function reportReadyVia(fn: (outcome: Outcome) => Promise<void>): void {
  reporter = fn;
}

/** In the child: report the outcome to the waiting parent (no-op when started by hand). */
export function reportReady(outcome: Outcome, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (reporter) return reporter(outcome);
  const name = env[READY_ENV];
  if (!name) return Promise.resolve();
  return new Promise((resolve) => {
    const sock = connect('\0' + name);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      sock.destroy();
      resolve();
    }, 2000);
    sock.on('connect', () => sock.end(outcome.ok ? 'R' : 'E' + outcome.error));
    sock.on('close', finish);
    sock.on('error', finish);
  });
}
