// The one errno table: names for code, glibc's strerror texts for messages,
// so they read like netavark's ("File exists (os error 17)"). Only the errnos
// rtnetlink, setns, flock, sockets and /proc/sys answer with.

/** Errno numbers by name, for comparisons (`e.errno === Errno.ENODEV`). */
export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EAGAIN: 11, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOLCK: 37,
  EOPNOTSUPP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101, ECONNABORTED: 103,
} as const;

const ERRNO: Record<number, [string, string]> = {
  1: ['EPERM', 'Operation not permitted'],
  2: ['ENOENT', 'No such file or directory'],
  3: ['ESRCH', 'No such process'],
  4: ['EINTR', 'Interrupted system call'],
  7: ['E2BIG', 'Argument list too long'],
  9: ['EBADF', 'Bad file descriptor'],
  11: ['EAGAIN', 'Resource temporarily unavailable'],
  12: ['ENOMEM', 'Cannot allocate memory'],
  13: ['EACCES', 'Permission denied'],
  16: ['EBUSY', 'Device or resource busy'],
  17: ['EEXIST', 'File exists'],
  19: ['ENODEV', 'No such device'],
  20: ['ENOTDIR', 'Not a directory'],
  21: ['EISDIR', 'Is a directory'],
  22: ['EINVAL', 'Invalid argument'],
  23: ['ENFILE', 'Too many open files in system'],
  28: ['ENOSPC', 'No space left on device'],
  30: ['EROFS', 'Read-only file system'],
  34: ['ERANGE', 'Numerical result out of range'],
  36: ['ENAMETOOLONG', 'File name too long'],
  37: ['ENOLCK', 'No locks available'],
  40: ['ELOOP', 'Too many levels of symbolic links'],
  61: ['ENODATA', 'No data available'],
  71: ['EPROTO', 'Protocol error'],
  90: ['EMSGSIZE', 'Message too long'],
  93: ['EPROTONOSUPPORT', 'Protocol not supported'],
  95: ['EOPNOTSUPP', 'Operation not supported'],
  97: ['EAFNOSUPPORT', 'Address family not supported by protocol'],
  98: ['EADDRINUSE', 'Address already in use'],
  99: ['EADDRNOTAVAIL', 'Cannot assign requested address'],
  100: ['ENETDOWN', 'Network is down'],
  101: ['ENETUNREACH', 'Network is unreachable'],
  103: ['ECONNABORTED', 'Software caused connection abort'],
  105: ['ENOBUFS', 'No buffer space available'],
  110: ['ETIMEDOUT', 'Connection timed out'],
  113: ['EHOSTUNREACH', 'No route to host'],
};

export function errnoName(n: number): string {
  return ERRNO[n]?.[0] ?? `E${n}`;
}

/** "File exists (os error 17)" */
export function errnoText(n: number): string {
  return `${ERRNO[n]?.[1] ?? 'Unknown error'} (os error ${n})`;
}

export function errnoNumber(name: string): number | undefined {
  for (const [n, [nm]] of Object.entries(ERRNO)) if (nm === name) return Number(n);
  return undefined;
}
