// Command lines of the rootless netns, built as data. Entering a user
// util-linux nsenter needs --preserve-credentials to join a user namespace whose
// setgroups is "deny" (unshare --map-root-user); uid 0 in it is still our uid.
// namespace needs a single-threaded process, which Node is not, so every
// step into the namespace is a util-linux nsenter/unshare exec.

/** The user namespace holder ("pause"): we are root inside it, mapped to our own uid. */
export function pauseArgv(): [string, string[]] {
  return ['unshare', ['--user', '--map-root-user', '--', 'sleep', 'infinity']];
}

/** The network namespace holder, created inside pause's user namespace (so that namespace owns it). */
export function holderArgv(pausePid: number): [string, string[]] {
  return ['nsenter', ['--preserve-credentials', `--user=/proc/${pausePid}/ns/user`, '--', 'unshare', '--net', '--', 'sleep', 'infinity']];
}

/** Runs argv inside pause's user namespace and the holder's netns. */
export function inNetnsArgv(pausePid: number, holderPid: number, argv: readonly string[]): [string, string[]] {
  return ['nsenter', ['--preserve-credentials', `--user=/proc/${pausePid}/ns/user`, `--net=/proc/${holderPid}/ns/net`, '--', ...argv]];
}

/**
 * `skiff` itself, re-executed inside the rootless netns with a private mount
 * namespace whose /etc/resolv.conf is the netns' own (pasta's DNS forwarder),
 * as Podman does for netavark: skiff-dns, started from there, forwards to it.
 */
export function enterArgv(pausePid: number, holderPid: number, resolv: string, skiff: readonly string[]): [string, string[]] {
  const script =
    'mount --bind "$0" /etc/resolv.conf 2>/dev/null || echo "skiff: cannot bind-mount $0 over /etc/resolv.conf; DNS forwarding uses the host file" >&2; exec "$@"';
  return inNetnsArgv(pausePid, holderPid, ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, resolv, ...skiff]);
}
