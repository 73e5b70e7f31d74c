// skiffd's connection handling: accept, read one request (and the caller's
// stdio fds), check who is asking, then run requests one at a time.
//
// Who may be served: the same uid as the daemon (SO_PEERCRED), in the same
// user, mount and network namespaces (the peer's /proc/<pid>/ns inodes and
// the ones it sends must both match ours). Anything else is refused before
// it runs, and the client falls back to running the command in-process, so
// a request never acts in another namespace than its caller's.
import { errorMessage } from '../lib/errors.js';
import type { CliBundle } from './cli-bundle.js';
import { accept, closeFd, peerCred, pollReadable, receive, sendAll, type PollHandle } from './libc.js';
import { nsKeyOf, sameNs, type NsKey } from './paths.js';
import { frameLength, parseRequest, ProtocolError, type Request, type RunRequest } from './protocol.js';
import { NotStarted, runRequest, type Stdio } from './run-request.js';

export interface ServerOptions {
  listenFd: number;
  build: string;
  cli: CliBundle;
  stdio: Stdio;
  ns: NsKey;
  log(msg: string): void;
  /** the namespace check after each request (see main.ts); throws when it cannot be restored */
  afterRequest(): void;
  /** called when the daemon should go away (stop request, build mismatch) */
  onStop(reason: string): void;
  /** called on every request (resets the idle timer) */
  onActivity(busy: boolean): void;
  status(): Record<string, unknown>;
  /** log every request's duration (SKIFF_DAEMON_TRACE=1) */
  trace: boolean;
}

const READ_TIMEOUT_MS = 5000;

export interface Server {
  close(): void;
  readonly busy: boolean;
}

export function serve(o: ServerOptions): Server {
  const queue: Array<() => Promise<void>> = [];
  let running = false;
  const uid = process.getuid?.() ?? -1;

  const listener = pollReadable(o.listenFd, () => {
    for (let fd = accept(o.listenFd); fd !== undefined; fd = accept(o.listenFd)) readRequest(fd);
  });

  function readRequest(fd: number): void {
    let buf = Buffer.alloc(0);
    const fds: number[] = [];
    let poll: PollHandle | undefined;
    const done = (): void => {
      clearTimeout(timer);
      poll?.close();
      poll = undefined;
    };
    const drop = (why: string): void => {
      done();
      o.log(`dropped a connection: ${why}`);
      fds.forEach(closeFd);
      closeFd(fd);
    };
    const timer = setTimeout(() => drop('no complete request in time'), READ_TIMEOUT_MS);
    const onReadable = (): void => {
      try {
        for (;;) {
          const r = receive(fd);
          if (r === undefined) return;
          fds.push(...r.fds);
          if (r.data.length === 0) return drop('closed before a whole request');
          buf = Buffer.concat([buf, r.data]);
          const len = frameLength(buf);
          if (len !== undefined && buf.length >= len) {
            done();
            return accepted(fd, parseRequest(buf.subarray(0, len)), fds);
          }
        }
      } catch (e) {
        drop(e instanceof ProtocolError ? `bad request: ${e.message}` : errorMessage(e));
      }
    };
    poll = pollReadable(fd, onReadable);
    // the client sends its request right after connecting: it is usually here already
    onReadable();
  }

  function accepted(fd: number, req: Request, fds: number[]): void {
    const reply = (line: string): boolean => sendAll(fd, line + '\n');
    const finish = (): void => {
      fds.forEach(closeFd);
      closeFd(fd);
    };
    const refusal = checkPeer(fd, req);
    if (refusal !== undefined) {
      o.log(`refused: ${refusal}`);
      reply(`refuse ${refusal}`);
      return finish();
    }
    if (req.kind === 'status') {
      reply(`status ${JSON.stringify({ ...o.status(), queued: queue.length, busy: running })}`);
      return finish();
    }
    if (req.kind === 'stop') {
      reply('stopping');
      finish();
      return o.onStop('stop requested');
    }
    if (req.build !== o.build) {
      reply(`mismatch ${o.build}`);
      finish();
      return o.onStop(`client of build ${req.build} (this is ${o.build})`);
    }
    if (fds.length !== 3) {
      reply(`refuse expected 3 fds, got ${fds.length}`);
      return finish();
    }
    const received = performance.now();
    enqueue(() => execute(fd, req, fds.splice(0), received));
  }

  /** Undefined when the peer may be served, else why not. */
  function checkPeer(fd: number, req: Request): string | undefined {
    let cred;
    try {
      cred = peerCred(fd);
    } catch (e) {
      return `no peer credentials: ${errorMessage(e)}`;
    }
    if (cred.uid !== uid) return `uid ${cred.uid} is not the daemon's uid ${uid}`;
    if (req.kind !== 'run') return undefined;
    let peerNs: NsKey;
    try {
      peerNs = nsKeyOf(cred.pid);
    } catch (e) {
      return `cannot read the namespaces of pid ${cred.pid}: ${errorMessage(e)}`;
    }
    if (!sameNs(peerNs, o.ns) || !sameNs(req.ns, o.ns)) return 'caller is in other namespaces than the daemon';
    return undefined;
  }

  async function execute(fd: number, req: RunRequest, fds: number[], received: number): Promise<void> {
    let code: number;
    const t0 = performance.now();
    try {
      code = await runRequest(o.cli, o.stdio, req, fds, () => sendAll(fd, 'run\n'));
    } catch (e) {
      if (e instanceof NotStarted) {
        sendAll(fd, `refuse ${e.message}\n`);
        closeFd(fd);
        return;
      }
      throw e;
    }
    try {
      o.afterRequest();
    } finally {
      sendAll(fd, `exit ${code}\n`);
      closeFd(fd);
    }
    if (o.trace) o.log(`${req.args.filter((a) => !a.startsWith('/')).slice(-1)[0] ?? ''} exit ${code} in ${(performance.now() - t0).toFixed(1)} ms (queued ${(t0 - received).toFixed(1)} ms)`);
  }

  function enqueue(job: () => Promise<void>): void {
    queue.push(job);
    if (!running) void drain();
  }

  async function drain(): Promise<void> {
    running = true;
    o.onActivity(true);
    try {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    } finally {
      running = false;
      o.onActivity(false);
    }
  }

  return {
    close() {
      listener.close();
      closeFd(o.listenFd); // queued connections see a reset and retry elsewhere
    },
    get busy() {
      return running || queue.length > 0;
    },
  };
}
