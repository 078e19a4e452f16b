// The plain C baseline of `npm run bench:tap`: forwards frames between two TAP devices, one
// read(2) and one write(2) per frame, woken by epoll. No batching, no vnet_hdr, no learning:
// what a minimal userspace forwarder costs per frame. Built by scripts/bench/tap.mjs with cc.
//
// usage: tap-forwarder NETNS_PATH_A TAP_A NETNS_PATH_B TAP_B
// Attaches to (or creates) each TAP inside its namespace, prints "ready", forwards until
// SIGTERM/SIGINT, then prints "frames A->B B->A drops" on stderr.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

// setns into the namespace file, then open the TAP there (the fd keeps that namespace).
static int open_tap(const char *ns_path, const char *name) {
  int ns = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die(ns_path);
  if (setns(ns, CLONE_NEWNET) < 0) die("setns");
  close(ns);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
  // No vnet header, so no offloads: the kernel must hand us plain MTU-sized frames.
  if (ioctl(fd, TUNSETOFFLOAD, 0) < 0) die("TUNSETOFFLOAD");
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s NETNS_A TAP_A NETNS_B TAP_B\n", argv[0]);
    return 2;
  }
  int fd[2] = {open_tap(argv[1], argv[2]), open_tap(argv[3], argv[4])};
  unsigned long long frames[2] = {0, 0}, drops = 0;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < 2; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev) < 0) die("epoll_ctl");
  }
  printf("ready\n");
  fflush(stdout);

  static unsigned char buf[65536 + 64];
  struct epoll_event events[2];
  while (!stop) {
    int n = epoll_wait(ep, events, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < n; e++) {
      int in = (int)events[e].data.u32;
      int out = 1 - in;
      // Drain what is there: one read and one write per frame.
      for (;;) {
        ssize_t len = read(fd[in], buf, sizeof buf);
        if (len < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN) break;
          die("read");
        }
        if (write(fd[out], buf, (size_t)len) < 0) drops++;
        else frames[in]++;
      }
    }
  }
  fprintf(stderr, "%llu %llu %llu\n", frames[0], frames[1], drops);
  return 0;
}
