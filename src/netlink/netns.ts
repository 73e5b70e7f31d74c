// Network namespaces by path (/run/netns/<name>, /proc/<pid>/ns/net): open one,
// run synchronous code inside it, open a Netlink facade inside it.
//
// setns(2) moves only the calling thread, here Node's main thread. Everything
// done between the two setns calls must be synchronous: an await would let other
// callbacks run inside the container's namespace, and async fs calls run on
// libuv's thread pool, which never moves. Sockets and fds opened inside keep
// their namespace after we switch back.
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { CLONE_NEWNET, setns } from '../lib/libc.js';
import { ConfigError, SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import type { Netlink } from './netlink.js';
import { openNetlinkSync } from './rtnl.js';
import { errnoNumber, errnoText } from './wire.js';

export interface NetnsHandle {
  path: string;
  /** An O_RDONLY|O_CLOEXEC fd on the namespace; valid until close(). */
  fd: number;
  close(): void;
}

// every nsfs file (net, mnt, uts, ...) lives on the one nsfs device
let nsfsDev: number | undefined;

/**
 * Opens the network namespace at `path`.
 * Throws ConfigError `invalid namespace path <path>: <reason>` when the path is
 * missing or is not a namespace file; its `cause` is the fs error (code ENOENT
 * when the namespace is gone, which teardown treats as done).
 */
export function openNetns(path: string): NetnsHandle {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw invalidPath(path, fsReason(e), e);
  }
  try {
    nsfsDev ??= statSync('/proc/thread-self/ns/net').dev;
    const st = fstatSync(fd);
    if (st.dev !== nsfsDev) throw invalidPath(path, 'not a network namespace');
  } catch (e) {
    closeSync(fd);
    throw e instanceof SkiffError ? e : invalidPath(path, fsReason(e), e);
  }
  let open = true;
  return {
    path,
    fd,
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/**
 * Runs `fn` with the calling thread inside `ns`, and always switches back, also
 * when `fn` throws. `fn` must be synchronous (see the top of this file).
 * Entering fails with ConfigError when `ns` is a namespace of another type.
 */
export function runInNetns<T>(ns: NetnsHandle, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  try {
    try {
      setns(ns.fd, CLONE_NEWNET);
    } catch (e) {
      // EINVAL: an nsfs file of another namespace type (mnt, uts, ...)
      if (/: EINVAL$/.test((e as Error).message)) throw invalidPath(ns.path, 'not a network namespace', e);
      throw new SkiffError(`could not enter network namespace ${ns.path}: ${(e as Error).message}`, { code: ErrorCode.SKIFF_ERR_SYSCALL, cause: e });
    }
    try {
      const r = fn();
      if (r instanceof Promise) throw new SkiffError('runInNetns: the callback must be synchronous', { code: ErrorCode.SKIFF_ERR_INTERNAL });
      return r;
    } finally {
      try {
        setns(home, CLONE_NEWNET);
      } catch (e) {
        // we are stuck in the container's namespace: nothing after this is safe
        throw new SkiffError(`could not return to the original network namespace after entering ${ns.path}: ${(e as Error).message}`, {
          code: ErrorCode.SKIFF_ERR_NETNS_STUCK,
          cause: e,
        });
      }
    }
  } finally {
    closeSync(home);
  }
}

/** Opens a Netlink facade whose socket lives inside `ns`. */
export async function openNetlinkIn(ns: NetnsHandle): Promise<Netlink> {
  return runInNetns(ns, () => openNetlinkSync(ns.fd));
}

/** Whether two paths name the same namespace (device + inode). */
export function sameNetns(a: string, b: string): boolean {
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/** netavark's text (`invalid namespace path: IO error: …`); the path goes to the debug log. */
function invalidPath(path: string, reason: string, cause?: unknown): ConfigError {
  return new ConfigError(`invalid namespace path: ${reason}`, { cause, detail: `namespace path ${path}` });
}

function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const n = code === undefined ? undefined : errnoNumber(code);
  return n === undefined ? (e as Error).message : `IO error: ${errnoText(n)}`;
}
