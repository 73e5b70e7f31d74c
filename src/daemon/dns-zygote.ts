// skiffd keeps one skiff-dns process warm (dns/zygote.ts): Node started, the
// bundle loaded, waiting for the `run` it is to become. The first DNS-enabled
// container then costs a hand-over (send the argv and environment, wait until
// its sockets are bound) instead of a Node start-up, which measured 5.6x
// netavark's whole first-DNS-container setup (docs/skiffd.md).
//
// It is spawned only while skiffd's main thread is in skiffd's own namespaces
// and no request runs (a request may have the thread in a container's network
// namespace), and checked again when taken: a server in another namespace than
// the caller's would serve the wrong gateways. Unused, it exits with skiffd
// (its IPC channel closes). Costs one idle Node process (see `skiff daemon status`).
//
// skiffd keeps none while a server serves the config dir (main.ts, dns/running.ts):
// the next DNS-enabled network is then a reload of that server, not a start.
// When a server a warm process became exits (its last network went),
// `onServerExit` lets skiffd warm the next one at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { CHILD_ENV, daemonV8Flags, type ServerStart, type StartResult } from '../../dns/spawn-server.js';
import { isReady, ZYGOTE_ENV, type ZygoteGo, type ZygoteReady, type ZygoteWake } from '../../dns/zygote-protocol.js';
import { readOptional } from '../lib/state-files.js';
import { nsKeyOf, sameNs, type NsKey } from './paths.js';

const START_TIMEOUT_MS = 30_000;
/**
 * process.title can only reuse the memory of the process's own argv: a blank
 * argument reserves room for the title of any `run` (the padding shows as
 * trailing blanks while it waits). A longer title is not handed over.
 */
const TITLE_ROOM = 4096;

export class DnsZygote {
  private child: ChildProcess | undefined;
  private warm = false;
  private used = 0;
  private woken = 0;

  constructor(
    private readonly script: string,
    private readonly ns: NsKey,
    private readonly log: (msg: string) => void,
    private readonly onServerExit: () => void = () => {},
  ) {}

  /** Starts one unless one is warm or warming. Only while this thread is in skiffd's own namespaces. */
  ensure(): void {
    if (this.child) return;
    const child = spawn(process.execPath, [...daemonV8Flags([]), this.script, ' '.repeat(TITLE_ROOM)], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [ZYGOTE_ENV]: '1' },
    });
    this.child = child;
    this.warm = false;
    const forget = (): void => {
      if (this.child !== child) return;
      this.child = undefined;
      this.warm = false;
    };
    child.on('message', (m: unknown) => {
      if (this.child === child && typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'warm') this.warm = true;
    });
    child.on('exit', forget);
    child.on('error', (e) => {
      this.log(`cannot start a warm skiff-dns: ${e.message}`);
      forget();
    });
    // neither the process nor its channel keeps skiffd's event loop alive
    child.unref();
    child.channel?.unref();
  }

  /** The warm process, taken (the next ensure() starts another), if it is ready and in our namespaces. */
  take(s: ServerStart): ChildProcess | undefined {
    const c = this.child;
    if (!c || !this.warm || c.pid === undefined || titleOf(s).length > TITLE_ROOM) return undefined;
    this.child = undefined;
    this.warm = false;
    if (!this.inOurNamespaces(c.pid)) {
      this.log(`warm skiff-dns ${c.pid} is not in skiffd's namespaces; discarded`);
      c.kill();
      return undefined;
    }
    return c;
  }

  /** A start may follow (a DNS-enabled setup began): the waiting process gets ready (ZygoteWake). */
  wake(): void {
    const c = this.child;
    if (!c || !this.warm || !c.connected) return;
    const wake: ZygoteWake = { t: 'wake' };
    c.send(wake, () => {});
    this.woken++;
  }

  /** Turns a taken process into the server `s` describes; undefined when it could not be told (nothing started). */
  async start(c: ChildProcess, s: ServerStart): Promise<StartResult | undefined> {
    const pid = c.pid as number;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.env)) if (v !== undefined && k !== CHILD_ENV) env[k] = v;
    const go: ZygoteGo = { t: 'go', title: titleOf(s), argv: [...s.argv], env, cwd: process.cwd(), umask: process.umask() };
    c.removeAllListeners('message');
    const outcome = new Promise<ZygoteReady | string>((resolve) => {
      const timer = setTimeout(() => done(`the daemon was not ready after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      const done = (r: ZygoteReady | string): void => {
        clearTimeout(timer);
        c.removeAllListeners('message');
        c.off('exit', onExit);
        resolve(r);
      };
      const onExit = (): void => done('the daemon exited before it was ready');
      c.on('message', (m: unknown) => {
        if (isReady(m)) done(m);
      });
      c.once('exit', onExit);
    });
    const sent = await new Promise<boolean>((resolve) => {
      if (!c.connected) return resolve(false);
      c.send(go, (e) => resolve(e === null));
    });
    if (!sent) {
      c.kill();
      return undefined;
    }
    this.used++;
    const r = await outcome;
    if (typeof r === 'string') {
      c.kill('SIGKILL'); // not ready in time (or gone): as dns/spawn-server.ts, nothing is left half started
      return { ok: false, pid, message: `Error from child process\n${r}\n` };
    }
    if (!r.ok) return { ok: false, pid, message: `Error from child process\n${r.error}\n` };
    if (c.exitCode === null && c.signalCode === null) c.once('exit', () => this.onServerExit());
    return { ok: true, pid };
  }

  /** The waiting process, if any: skiffd's own helper, not a user of its namespace. */
  pid(): number | undefined {
    return this.child?.pid;
  }

  /** For `skiff daemon status`: servers started from a warm process, wakes sent, and the waiting one's state and RSS. */
  status(): { dns_warm_used: number; dns_warm_woken: number; dns_warm_ready: boolean; dns_warm_rss_bytes: number | null } {
    let rss: number | null = null;
    if (this.child?.pid !== undefined) {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readOptional(`/proc/${this.child.pid}/status`) ?? '');
      if (m) rss = Number(m[1]) * 1024;
    }
    return { dns_warm_used: this.used, dns_warm_woken: this.woken, dns_warm_ready: this.warm, dns_warm_rss_bytes: rss };
  }

  private inOurNamespaces(pid: number): boolean {
    try {
      return sameNs(nsKeyOf(pid), this.ns);
    } catch {
      return false;
    }
  }
}

/** The command line a spawned server would have, as one string. */
function titleOf(s: ServerStart): string {
  return [process.execPath, ...s.execArgv, ...daemonV8Flags(s.execArgv), s.script, ...s.argv].join(' ');
}
