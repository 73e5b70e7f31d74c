/*
 * skiff-client: the executable a container engine runs as `netavark` or
 * `skiff`. It hands the call to skiffd, the resident engine, and relays the
 * result: stdin, stdout and stderr are passed to the daemon as fds (so the
 * bytes go straight to wherever ours go), argv, environment, cwd and umask are
 * sent along, and the exit code comes back. When no daemon can serve the call
 * it runs the Node CLI in this process instead (exec), with the same result.
 *
 * The daemon is per (user, mount, network) namespace: the socket name carries
 * their inode numbers (src/daemon/paths.ts computes the same), and the daemon
 * checks the peer again, so a call is never served in another namespace.
 *
 * SKIFF_DAEMON=0  always in-process
 * SKIFF_DAEMON=1  start a daemon if none runs, and wait for it
 * (unset)         auto: use a running daemon; start one on the second call
 *                 in the same namespaces (see want_daemon_now)
 * SKIFF_DAEMON_DIR  where sockets live (default /run/skiff, or
 *                 $XDG_RUNTIME_DIR/skiff for other users)
 * SKIFF_DAEMON_TIMEOUT_MS  how long to wait for a started request (default 600000)
 *
 * Called as `netavark`, it sets SKIFF_AS_NETAVARK=1 (unless set) for the CLI,
 * which otherwise tells its name from its script path.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SKIFF_BUILD_ID
#define SKIFF_BUILD_ID "dev"
#endif

extern char **environ;

enum outcome { NOT_RUNNING = -1, REFUSED = -2, MISMATCH = -3 };

static char dist[PATH_MAX]; /* the directory of this executable: dist/ */
static char **args;

/* {"error":"..."} on stdout, as the CLI prints its errors, then exit 1 */
static void fail(const char *fmt, const char *arg) {
  char msg[1024];
  snprintf(msg, sizeof msg, fmt, arg);
  fputs("{\"error\":\"", stdout);
  for (const char *p = msg; *p; p++) {
    if (*p == '"' || *p == '\\') putchar('\\');
    if ((unsigned char)*p >= 0x20) putchar(*p);
  }
  fputs("\"}\n", stdout);
  exit(1);
}

static void run_in_process(void) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/skiff.cjs", dist);
  args[0] = path;
  execv(path, args);
  fail("cannot run %s", path);
}

/* ---- the request ---- */

struct buf {
  char *p;
  size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 4096;
    b->p = realloc(b->p, b->cap);
    if (!b->p) fail("%s", "out of memory");
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void field(struct buf *b, const char *s) { put(b, s, strlen(s) + 1); }

static void fieldu(struct buf *b, unsigned long long v) {
  char s[32];
  snprintf(s, sizeof s, "%llu", v);
  field(b, s);
}

static unsigned long long ns_ino(const char *ns) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
  return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static struct buf request(void) {
  struct buf b = {0};
  put(&b, "SKD1\0\0\0\0", 8);
  field(&b, "run");
  field(&b, SKIFF_BUILD_ID);
  fieldu(&b, ns_ino("user"));
  fieldu(&b, ns_ino("mnt"));
  fieldu(&b, ns_ino("net"));
  mode_t um = umask(022);
  umask(um);
  fieldu(&b, um);
  char cwd[PATH_MAX];
  field(&b, getcwd(cwd, sizeof cwd) ? cwd : "/");
  int argc = 0;
  while (args[argc]) argc++;
  fieldu(&b, argc - 1);
  for (int i = 1; i < argc; i++) field(&b, args[i]);
  int envc = 0;
  while (environ[envc]) envc++;
  fieldu(&b, envc);
  for (int i = 0; i < envc; i++) field(&b, environ[i]);
  uint32_t n = b.len - 8;
  for (int i = 0; i < 4; i++) b.p[4 + i] = (char)(n >> (8 * i)); /* little endian */
  return b;
}

static int send_request(int fd, const struct buf *req) {
  int fds[3] = {0, 1, 2};
  char control[CMSG_SPACE(sizeof fds)];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = req->p, .iov_len = req->len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (size_t off = (size_t)n; off < req->len; off += (size_t)n) {
    do n = send(fd, req->p + off, req->len - off, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
  }
  return 0;
}

static int connect_to(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) return -1;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
  close(fd);
  return -1;
}

/* Sends the call to the daemon at `path`; returns its exit code or an outcome. */
static int call(const char *path, const struct buf *req, const char *log) {
  int fd = connect_to(path);
  if (fd < 0) return NOT_RUNNING;
  if (send_request(fd, req) < 0) {
    close(fd);
    return NOT_RUNNING; /* it went away before reading: nothing ran */
  }
  const char *t = getenv("SKIFF_DAEMON_TIMEOUT_MS");
  int timeout = t && *t ? atoi(t) : 600000;
  char line[4096];
  size_t len = 0;
  int started = 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) fail("skiffd did not answer within SKIFF_DAEMON_TIMEOUT_MS (log: %s)", log);
    ssize_t n = read(fd, line + len, sizeof line - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (started) fail("skiffd exited during the request (log: %s)", log);
      close(fd);
      return NOT_RUNNING;
    }
    len += (size_t)n;
    char *nl;
    while ((nl = memchr(line, '\n', len))) {
      *nl = 0;
      if (strcmp(line, "run") == 0) {
        started = 1;
      } else if (strncmp(line, "exit ", 5) == 0) {
        close(fd);
        return atoi(line + 5) & 0xff;
      } else if (!started && strncmp(line, "refuse", 6) == 0) {
        close(fd);
        return REFUSED;
      } else if (!started && strncmp(line, "mismatch", 8) == 0) {
        close(fd);
        return MISMATCH;
      }
      len -= (size_t)(nl + 1 - line);
      memmove(line, nl + 1, len);
    }
    if (len == sizeof line - 1) len = 0; /* an overlong line: not ours */
  }
}

/*
 * The subcommand: the first argument that is neither a global flag nor a
 * global flag's value; NULL when there is none.
 */
static const char *subcommand(char **argv) {
  static const char *const with_value[] = {"-c", "--config", "-r", "--rootless", "-f", "--file",
                                           "--firewall-driver", "-a", "--aardvark-binary", "--plugin-directory", NULL};
  for (int i = 1; argv[i]; i++) {
    const char *a = argv[i];
    if (a[0] == '-') {
      if (strchr(a, '=')) continue; /* --config=DIR */
      for (int k = 0; with_value[k]; k++) {
        if (strcmp(a, with_value[k]) == 0) {
          i++;
          break;
        }
      }
      if (!argv[i]) return NULL;
      continue;
    }
    return a;
  }
  return NULL;
}

/*
 * Commands that never go to the daemon: `daemon status|stop` talks to it
 * itself, and the long-running ones (dhcp-proxy, firewalld-reload) would
 * occupy it for good and end with it.
 */
static int stays_in_process(char **argv) {
  const char *cmd = subcommand(argv);
  return cmd && (strcmp(cmd, "daemon") == 0 || strcmp(cmd, "dhcp-proxy") == 0 || strcmp(cmd, "firewalld-reload") == 0);
}

/*
 * Questions that touch nothing (version, help, usage): served by a running
 * daemon, but in auto mode never a reason to start one or to mark the
 * namespace. A script asking `netavark --version` from the host (netavark's
 * suite runner does) leaves no daemon and no file behind.
 */
static int is_query(char **argv) {
  for (int i = 1; argv[i]; i++)
    if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return 1;
  const char *cmd = subcommand(argv);
  return !cmd || strcmp(cmd, "version") == 0 || strcmp(cmd, "help") == 0;
}

/* ---- starting a daemon ---- */

static void start_daemon(const char *sock, const char *log) {
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid > 0) {
    waitpid(pid, NULL, 0);
    return;
  }
  /* double fork: the daemon is nobody's child and leaves no zombie */
  if (fork() != 0) _exit(0);
  setsid();
  int in = open("/dev/null", O_RDONLY);
  int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (in < 0 || out < 0) _exit(127);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  for (int fd = 3; fd < 1024; fd++) close(fd);
  signal(SIGPIPE, SIG_DFL);
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/skiffd.cjs", dist);
  execl(path, path, "--socket", sock, "--log", log, (char *)NULL);
  _exit(127);
}

/*
 * Whether this call should start the daemon: only one caller at a time does,
 * the others wait for its socket. An engine that starts 100 containers at once
 * would otherwise start 100 Node processes, 99 of which exit on the daemon's own
 * lock, after their start-up has starved the one that wins (CI saw calls give
 * up waiting and run in-process). The lock lives until this process exits or
 * execs the CLI (CLOEXEC), i.e. while it waits for the daemon it started.
 */
static int may_start_daemon(const char *sock) {
  char path[PATH_MAX + 8];
  snprintf(path, sizeof path, "%s.spawn", sock);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return 1; /* cannot tell: start one; the daemon's own lock settles it */
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 1;
  close(fd);
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/*
 * Marks of namespaces that saw one call pile up (one per `ip netns exec`, one
 * per rootless Podman call): whoever makes a mark removes those older than ten
 * minutes. A swept namespace that is still in use only pays one more
 * in-process call. This runs only on a call that goes in-process anyway.
 */
static void sweep_marks(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  time_t old = time(NULL) - 600;
  for (struct dirent *e; (e = readdir(d));) {
    size_t len = strlen(e->d_name);
    struct stat st;
    if (len < 5 || strcmp(e->d_name + len - 5, ".seen") != 0) continue;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime < old)
      unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

/*
 * Auto mode starts a daemon on the second call in the same namespaces: a
 * namespace that sees a single call (e.g. each `ip netns exec`, which makes a
 * new mount namespace) would pay for a daemon it never uses.
 */
static int want_daemon_now(const char *dir, const char *sock) {
  char mark[PATH_MAX + 8];
  snprintf(mark, sizeof mark, "%s.seen", sock);
  if (access(mark, F_OK) == 0) return 1;
  int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  sweep_marks(dir);
  return 0;
}

/* ---- main ---- */

static void ensure_stdio(void) {
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) exit(1);
}

int main(int argc, char **argv) {
  (void)argc;
  args = argv;
  ensure_stdio();
  ssize_t n = readlink("/proc/self/exe", dist, sizeof dist - 1);
  if (n <= 0) fail("%s", "cannot find the skiff installation (/proc/self/exe)");
  dist[n] = 0;
  *strrchr(dist, '/') = 0;

  /* the CLI speaks as netavark when called by that name (src/cli/main.ts calledAsNetavark) */
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (strcmp(base, "netavark") == 0 && !getenv("SKIFF_AS_NETAVARK")) setenv("SKIFF_AS_NETAVARK", "1", 1);

  /* a CNI runtime runs us (as /opt/cni/bin/skiff) with CNI_COMMAND set and no arguments: `skiff cni` */
  static char *cni_args[3];
  if (getenv("CNI_COMMAND") && !argv[1]) {
    cni_args[0] = argv[0];
    cni_args[1] = "cni";
    args = argv = cni_args;
  }

  const char *mode = getenv("SKIFF_DAEMON");
  if (mode && strcmp(mode, "0") == 0) run_in_process();
  if (stays_in_process(argv)) run_in_process();
  int forced = mode && strcmp(mode, "1") == 0;

  char dir[PATH_MAX / 2];
  const char *d = getenv("SKIFF_DAEMON_DIR");
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  if (d && *d) snprintf(dir, sizeof dir, "%s", d);
  else if (getuid() == 0) snprintf(dir, sizeof dir, "/run/skiff");
  else if (xdg && *xdg) snprintf(dir, sizeof dir, "%s/skiff", xdg);
  else run_in_process();

  char sock[PATH_MAX], log[PATH_MAX];
  snprintf(sock, sizeof sock, "%s/skiffd-%llu-%llu-%llu.sock", dir, ns_ino("user"), ns_ino("mnt"), ns_ino("net"));
  snprintf(log, sizeof log, "%s/skiffd-%llu-%llu-%llu.log", dir, ns_ino("user"), ns_ino("mnt"), ns_ino("net"));
  struct buf req = request();

  int rc = call(sock, &req, log);
  if (rc >= 0) return rc;
  if (rc == NOT_RUNNING && !(d && *d) && getuid() == 0) {
    /* a socket-activated daemon (contrib/systemd/skiffd.socket) serves the host's namespaces */
    int s = call("/run/skiff/skiffd.sock", &req, "the journal");
    if (s >= 0) return s;
  }
  if (rc == REFUSED) run_in_process();
  if (rc == NOT_RUNNING && !forced && is_query(argv)) run_in_process();
  mkdir(dir, 0700);
  if (rc == NOT_RUNNING && !forced && !want_daemon_now(dir, sock)) run_in_process();

  if (may_start_daemon(sock)) start_daemon(sock, log);
  /*
   * Wait for it rather than run this call in-process beside its start-up:
   * measured (docs/skiffd.md), a cold daemon's first answer takes about what an
   * in-process call takes, and both at once on 2 cores take ~1.5x that.
   */
  for (long waited = 0, step = 2; waited < 5000; waited += step, step = step < 20 ? step + 2 : 20) {
    sleep_ms(step);
    rc = call(sock, &req, log);
    if (rc >= 0) return rc;
    if (rc == REFUSED || rc == MISMATCH) break; /* a daemon of another build still holds the socket */
  }
  run_in_process();
  return 1;
}
