// skiffd's handler for src/netlink/quick-delete.ts: the RTM_DELLINK of a
// device runs on a libuv worker thread (koffi's async calls), and the request
// goes on once the device is unlisted, which the kernel does within ~1 ms;
// the remaining ~15–25 ms of unregistration (RCU grace periods, per-CPU
// flushes) finish behind it. Measured with bench/skiffd.mjs: teardown time is
// mostly that wait. Whether the device is still listed is asked with
// SIOCGIFNAME on the deleting socket itself: an RCU lookup by index in that
// socket's namespace, which does not wait for the RTNL lock the deletion holds.
import { createRequire } from 'node:module';
import { openSync, statSync } from 'node:fs';
import { CLONE_NEWNET, setns } from '../lib/libc.js';
import { Errno } from '../lib/errno.js';
import { QUICK_DELETE, type DeleteWhere, type QuickDelete } from '../lib/quick-delete.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const NETLINK_ROUTE = 0;
const RTM_DELLINK = 17;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLMSG_ERROR = 2;
const MSG_DONTWAIT = 0x40;
const SIOCGIFNAME = 0x8910;
const LOST = -1; // see QuickDelete: the caller deletes synchronously

type Fn = ((...a: unknown[]) => unknown) & { async: (...a: unknown[]) => void };

interface Lib {
  errno(): number;
  socket: Fn;
  send: Fn;
  recv: Fn;
  ioctl: Fn;
  close: Fn;
}

function load(): Lib {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const c = koffi.load('libc.so.6');
  const f = (decl: string): Fn => c.func(decl) as unknown as Fn;
  return {
    errno: () => koffi.errno(),
    socket: f('int socket(int domain, int type, int protocol)'),
    send: f('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
    recv: f('intptr_t recv(int fd, void *buf, size_t len, int flags)'),
    ioctl: f('int ioctl(int fd, unsigned long request, void *arg)'),
    close: f('int close(int fd)'),
  };
}

function delLinkMessage(index: number): Buffer {
  const b = Buffer.alloc(32); // nlmsghdr + ifinfomsg
  b.writeUInt32LE(32, 0);
  b.writeUInt16LE(RTM_DELLINK, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  b.writeUInt32LE(1, 8);
  b.writeInt32LE(index, 20);
  return b;
}

/** The errno of the kernel's answer (0 = done), LOST when there is no readable answer. */
function ackErrno(buf: Buffer, n: number): number {
  if (n < 20 || buf.readUInt16LE(4) !== NLMSG_ERROR) return LOST;
  return -buf.readInt32LE(16);
}

export interface QuickDeletes {
  /** deletions whose kernel work is still running */
  pending(): number;
  /** deletions handled so far */
  served(): number;
}

/** Installs the handler for this process; `ownNet` is the daemon's network namespace inode. */
export function installQuickDelete(ownNet: number, log: (msg: string) => void): QuickDeletes {
  let lib: Lib | undefined;
  let failed = false;
  let pending = 0;
  let served = 0;
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const threadNet = (): number => statSync('/proc/thread-self/ns/net').ino;

  /** A netlink socket in `where`; undefined when that cannot be done here. */
  const openSocket = (l: Lib, where: DeleteWhere): number | undefined => {
    if (threadNet() !== ownNet) return undefined; // only from where the daemon stands
    if ('ino' in where) {
      if (where.ino !== ownNet) return undefined;
      return l.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) as number;
    }
    setns(where.nsFd, CLONE_NEWNET);
    try {
      return l.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) as number;
    } finally {
      setns(home, CLONE_NEWNET); // throws (and the CLI reports it) if we cannot get back
    }
  };

  const handler: QuickDelete = (where, index) => {
    if (!lib && !failed) {
      try {
        lib = load();
      } catch (e) {
        failed = true;
        log(`quick link deletion unavailable, deleting synchronously: ${(e as Error).message}`);
      }
    }
    const l = lib;
    if (!l) return undefined;
    const fd = openSocket(l, where);
    if (fd === undefined || fd < 0) return undefined;
    const ifreq = Buffer.alloc(40);
    ifreq.writeInt32LE(index, 16);
    /** true / false, or undefined when the socket cannot tell (then the kernel's answer decides) */
    const listed = (): boolean | undefined => {
      if ((l.ioctl(fd, SIOCGIFNAME, ifreq) as number) === 0) return true;
      return l.errno() === Errno.ENODEV ? false : undefined;
    };
    return new Promise<number>((resolve) => {
      let settled = false;
      const settle = (errno: number): void => {
        if (!settled) resolve(errno);
        settled = true;
      };
      const msg = delLinkMessage(index);
      pending++;
      served++;
      l.send.async(fd, msg, msg.length, 0, (err: unknown, sent: unknown) => {
        pending--;
        let errno = LOST;
        if (!err && Number(sent) === msg.length) {
          const ack = Buffer.alloc(1024);
          errno = ackErrno(ack, Number(l.recv(fd, ack, ack.length, MSG_DONTWAIT)));
        }
        l.close(fd);
        if (settled && errno > 0) log(`deleting link ${index} failed after it was unlisted: errno ${errno}`);
        settle(errno);
      });
      // poll: tightly for the first 2 ms (unlisting takes ~0.5 ms), then every ms
      const t0 = performance.now();
      const poll = (): void => {
        if (settled) return;
        const now = listed();
        if (now === undefined) return; // wait for the kernel's answer
        if (!now) return settle(0);
        if (performance.now() - t0 < 2) setImmediate(poll);
        else setTimeout(poll, 1);
      };
      setImmediate(poll);
    });
  };
  (globalThis as { [QUICK_DELETE]?: QuickDelete })[QUICK_DELETE] = handler;
  return { pending: () => pending, served: () => served };
}
