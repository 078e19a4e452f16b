// Work that must happen inside another network namespace runs here: on a short-lived
// std::thread that does setns() → the operation → exits. The Node main thread and libuv's
// pool never change namespace; an fd opened this way keeps the namespace for life.
#pragma once
#include <napi.h>
#include <functional>
#include <string>

namespace netlinkjs {

// Which namespace to enter. Exactly one of path / fd / pid is set, or none (stay: the
// thread still runs, e.g. for unshare()).
struct NsTarget {
  std::string path;  // e.g. /run/netns/NAME
  int fd = -1;       // a namespace fd owned by JS (RunInNetns hands its thread a duplicate)
  int pid = 0;       // /proc/PID/ns/net
  bool any() const { return !path.empty() || fd >= 0 || pid > 0; }
};

// Parses a JS value { path?: string, fd?: number, pid?: number } | undefined | null.
NsTarget NsTargetFromJs(const Napi::Value& v);

// What an operation produced: an fd (or -1), and on failure errno + the failing syscall.
struct NsResult {
  int fd = -1;
  int err = 0;
  std::string syscall;
  std::string text;  // free-form extra result (e.g. the kernel-chosen TAP name)
  int number = 0;    // free-form extra result (e.g. an ifindex)
};

// Runs `op` on a fresh thread inside `target` and returns a Promise that resolves to
// { fd, text, number } or rejects with an ErrnoError. If `target` is empty the thread does
// not call setns. `op` must only use thread-safe, non-JS code.
Napi::Promise RunInNetns(Napi::Env env, const NsTarget& target, std::function<NsResult()> op);

// Joins `target` on the calling thread; returns 0 or -errno with *syscall set. Only for
// threads created by RunInNetns or for a child between fork and exec.
int EnterNetns(const NsTarget& target, std::string* syscall);

}  // namespace netlinkjs
