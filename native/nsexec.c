/*
 * netlinkjs-nsexec: enter a network namespace, then exec a command (what `ip netns exec`
 * does, without a shell, `ip` or `nsenter`). nl.netns.spawn() runs this with
 * child_process.spawn so the caller gets a real ChildProcess whose pid is the command's own
 * (exec keeps the pid). It is a separate executable because the namespace switch, and
 * unshare(CLONE_NEWNS) in particular, must happen in a single-threaded process; Node's
 * threads are never touched.
 *
 * usage: netlinkjs-nsexec (--fd N | --path P | --pid N) [--name NAME] [--remount-sys]
 *          [--bind-etc] [--gid N] [--uid N] [--argv0 S] [--report-fd N] -- COMMAND [ARG...]
 *
 *   --fd N         a namespace fd inherited from the parent (closed before exec)
 *   --path P       a namespace file, e.g. /run/netns/NAME
 *   --pid N        the namespace of process N (/proc/N/ns/net)
 *   --name NAME    the namespace's name under /run/netns (sysfs source, /etc/netns/NAME)
 *   --remount-sys  in a private mount namespace, mount a sysfs that shows this network
 *                  namespace's devices on /sys
 *   --bind-etc     in a private mount namespace, bind /etc/netns/NAME/<file> over /etc/<file>
 *   --gid/--uid    drop to these ids after entering (setns needs the privileges first)
 *   --argv0 S      argv[0] for the command (default: COMMAND)
 *   --report-fd N  a socket to report a failure on: one line "ERRNO SYSCALL SUBJECT", then
 *                  the helper waits for the reader to close it and exits 127. It is
 *                  close-on-exec, so a successful exec shows up as EOF with no data.
 *
 * Without --report-fd failures are printed to stderr. The exit status is 127 either way.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define EXIT_FAILED 127

static int report_fd = -1;

/* Reports a failure of `syscall` on `subject` with `err` and exits. */
static void fail(int err, const char *syscall, const char *subject) {
  if (report_fd >= 0) {
    char line[PATH_MAX + 64];
    int n = snprintf(line, sizeof line, "%d %s %s\n", err, syscall, subject);
    if (n > (int)sizeof line - 1) n = sizeof line - 1;
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = write(report_fd, line + done, (size_t)(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += w;
    }
    /* Wait until the parent has read the report and closed its end, so its 'error' event
     * comes before the exit status. A dead parent closes the socket too. */
    char buf[64];
    for (;;) {
      ssize_t r = read(report_fd, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR)) break;
    }
  } else {
    fprintf(stderr, "netlinkjs-nsexec: %s %s: %s (%s)\n", syscall, subject, strerror(err),
            strerrorname_np(err) ? strerrorname_np(err) : "?");
  }
  _exit(EXIT_FAILED);
}

static void usage(const char *why) {
  /* Bad arguments are a bug in the caller, never a user input problem: EINVAL. */
  fail(EINVAL, "usage", why);
}

static long parse_num(const char *s, const char *opt) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > INT_MAX) usage(opt);
  return v;
}

/* A fresh sysfs on /sys, as `ip netns exec` mounts: sysfs shows the devices of the network
 * namespace of the mounting process. If the old /sys cannot be detached a new one is
 * stacked over it, read-only when the old one was (a read-only sysfs cannot be shadowed by
 * a writable one). */
static void remount_sys(const char *source) {
  unsigned long flags = 0;
  if (umount2("/sys", MNT_DETACH) < 0) {
    struct statvfs st;
    if (statvfs("/sys", &st) == 0 && (st.f_flag & ST_RDONLY)) flags = MS_RDONLY;
  }
  if (mount(source, "/sys", "sysfs", flags, NULL) < 0) fail(errno, "mount", "/sys");
}

/* Binds every entry of /etc/netns/NAME over the file of the same name in /etc, the way
 * `ip netns exec` gives each namespace its own resolv.conf and friends. Like ip, a file that
 * cannot be bound is reported on stderr and skipped; a missing directory is normal. */
static void bind_etc(const char *name) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "/etc/netns/%s", name) >= (int)sizeof dir) fail(ENAMETOOLONG, "open", name);
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) return;
    fail(errno, "opendir", dir);
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char from[PATH_MAX], to[PATH_MAX];
    if (snprintf(from, sizeof from, "%s/%s", dir, e->d_name) >= (int)sizeof from) continue;
    if (snprintf(to, sizeof to, "/etc/%s", e->d_name) >= (int)sizeof to) continue;
    if (mount(from, to, "none", MS_BIND, NULL) < 0) {
      fprintf(stderr, "netlinkjs-nsexec: bind %s -> %s failed: %s\n", from, to, strerror(errno));
    }
  }
  closedir(d);
}

int main(int argc, char **argv) {
  int ns_fd = -1;
  const char *ns_path = NULL;
  long ns_pid = 0;
  const char *name = NULL;
  const char *argv0 = NULL;
  int want_sys = 0, want_etc = 0;
  long uid = -1, gid = -1;
  int i = 1;

  /* --report-fd first, wherever it is, so that argument errors can be reported on it. */
  for (int j = 1; j + 1 < argc && strcmp(argv[j], "--") != 0; j++) {
    if (strcmp(argv[j], "--report-fd") == 0) {
      char *end = NULL;
      long v = strtol(argv[j + 1], &end, 10);
      if (end != argv[j + 1] && *end == 0 && v >= 0 && v <= INT_MAX) report_fd = (int)v;
    }
  }
  if (report_fd >= 0 && fcntl(report_fd, F_SETFD, FD_CLOEXEC) < 0) {
    report_fd = -1;
    fail(errno, "fcntl", "--report-fd");
  }

  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--remount-sys") == 0) {
      want_sys = 1;
      continue;
    }
    if (strcmp(a, "--bind-etc") == 0) {
      want_etc = 1;
      continue;
    }
    if (i + 1 >= argc) usage(a);
    const char *v = argv[++i];
    if (strcmp(a, "--fd") == 0) ns_fd = (int)parse_num(v, a);
    else if (strcmp(a, "--path") == 0) ns_path = v;
    else if (strcmp(a, "--pid") == 0) ns_pid = parse_num(v, a);
    else if (strcmp(a, "--name") == 0) name = v;
    else if (strcmp(a, "--uid") == 0) uid = parse_num(v, a);
    else if (strcmp(a, "--gid") == 0) gid = parse_num(v, a);
    else if (strcmp(a, "--argv0") == 0) argv0 = v;
    else if (strcmp(a, "--report-fd") == 0) continue;
    else usage(a);
  }
  if (i >= argc) usage("missing command");
  if ((ns_fd >= 0) + (ns_path != NULL) + (ns_pid > 0) != 1) usage("need exactly one of --fd, --path, --pid");
  if (want_etc && !name) usage("--bind-etc needs --name");
  if (name && (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)) usage("--name");

  char proc_path[64];
  const char *subject;
  if (ns_fd < 0) {
    if (ns_path) {
      subject = ns_path;
    } else {
      snprintf(proc_path, sizeof proc_path, "/proc/%ld/ns/net", ns_pid);
      subject = proc_path;
    }
    ns_fd = open(subject, O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) fail(errno, "open", subject);
  } else {
    snprintf(proc_path, sizeof proc_path, "fd:%d", ns_fd);
    subject = proc_path;
  }
  if (setns(ns_fd, CLONE_NEWNET) < 0) fail(errno, "setns", subject);
  close(ns_fd);

  if (want_sys || want_etc) {
    /* A private mount namespace whose changes stay here, while mounts made outside still
     * arrive (slave): the same arrangement as `ip netns exec`. */
    if (unshare(CLONE_NEWNS) < 0) fail(errno, "unshare", "CLONE_NEWNS");
    if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0) fail(errno, "mount", "/");
    if (want_sys) remount_sys(name ? name : "sysfs");
    if (want_etc) bind_etc(name);
  }

  /* The order child_process (libuv) uses: root's supplementary groups must not survive a
   * change of identity, and setuid comes last because it gives up the right to the others. */
  if ((uid >= 0 || gid >= 0) && setgroups(0, NULL) < 0 && errno != EPERM) fail(errno, "setgroups", "--uid");
  if (gid >= 0 && setgid((gid_t)gid) < 0) fail(errno, "setgid", "--gid");
  if (uid >= 0 && setuid((uid_t)uid) < 0) fail(errno, "setuid", "--uid");

  const char *command = argv[i];
  if (argv0) argv[i] = (char *)argv0;
  execvp(command, &argv[i]);
  fail(errno, "execvp", command);
  return EXIT_FAILED;
}
