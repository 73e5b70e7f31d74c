// Deleting a network device costs the kernel ~15–25 ms, nearly all of it after
// the device is already gone from its namespace: RCU grace periods and
// per-CPU work of the unregistration, which the deleting thread waits for
// inside sendmsg(2). A resident process (skiffd) can run that sendmsg on
// another thread and go on as soon as the device is unlisted: from then on
// nothing can see it (dumps, names and indexes no longer find it, the name is
// free), which is exactly the state a synchronous delete leaves; only the
// kernel's clean-up behind it is still running. Part of that clean-up holds
// the RTNL lock (up to 17–34 ms on a loaded 2-core host), so the next netlink
// call that needs the lock waits for it: the bridge teardown reads the host
// before it deletes (src/drivers/bridge-apply.ts). Used by src/netlink/rtnl.ts;
// the handler is src/daemon/quick-delete.ts.
//
// Kept on globalThis (like lib/exec.ts' IN_PROCESS_EXEC) because skiffd loads
// the CLI from its own bundle; a plain `skiff` process has no handler and
// deletes synchronously as always.

export const QUICK_DELETE = Symbol.for('skiff.netlink.quickDelete');

/** Where the device lives: the namespace of an open nsfs fd, or the calling thread's (checked against `ino`). */
export type DeleteWhere = { nsFd: number } | { ino: number };

/**
 * Starts deleting device `index` in `where` on another thread. Resolves with 0
 * once the device is unlisted, with the kernel's errno when it refused, or
 * with -1 when its answer was lost (then delete synchronously: ENODEV there
 * means it was done).
 * Undefined when this handler cannot do it (another namespace, no library):
 * then delete synchronously.
 */
export type QuickDelete = (where: DeleteWhere, index: number) => Promise<number> | undefined;

export function quickDeleteHandler(): QuickDelete | undefined {
  return (globalThis as { [QUICK_DELETE]?: QuickDelete })[QUICK_DELETE];
}
