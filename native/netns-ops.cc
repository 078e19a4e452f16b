// Named network namespaces, the way iproute2 keeps them: a file under /run/netns (the
// directory made a shared mount point) with the namespace bind-mounted onto it. Every step
// runs on a RunInNetns thread, so the Node main thread never blocks on mount() and never
// leaves its namespace; the thread that unshares exits right after the bind mount.
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>

#include "addon.h"
#include "errno-error.h"
#include "netns-thread.h"

namespace netlinkjs {
namespace {

// Serializes the one-time /run/netns setup so two concurrent adds in this process cannot
// both bind-mount the directory onto itself (which would stack two mounts).
std::mutex run_dir_mutex;

// Same rule as validateNetnsName in lib/netns-ref.ts; repeated here because a path is built
// from it and this layer must never be talked into writing outside the run directory.
bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

NsResult Fail(const char* syscall) {
  NsResult r;
  r.err = errno;
  r.syscall = syscall;
  return r;
}

// Makes `dir` exist and be a shared mount point, as `ip netns add` does, so that namespace
// mounts made later propagate into mount namespaces that were cloned from this one (and the
// other way round). If the directory is not yet a mount point, making it shared fails with
// EINVAL; then it is bind-mounted onto itself once and the make-shared is retried.
NsResult PrepareRunDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(run_dir_mutex);
  if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) return Fail("mkdir");
  bool made_mount = false;
  while (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) < 0) {
    if (errno != EINVAL || made_mount) return Fail("mount");
    if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) < 0) return Fail("mount");
    made_mount = true;
  }
  return NsResult{};
}

// Runs on a fresh thread (RunInNetns with an empty target): the unshare only moves this
// thread, which exits as soon as the namespace is pinned by the bind mount.
NsResult AddNamespace(const std::string& dir, const std::string& name) {
  NsResult prep = PrepareRunDir(dir);
  if (prep.err) return prep;
  std::string path = dir + "/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return Fail("open");
  close(fd);
  const char* step = nullptr;
  if (unshare(CLONE_NEWNET) < 0) {
    step = "unshare";
  } else {
    std::string self = "/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/ns/net";
    if (mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) < 0) step = "mount";
  }
  if (step) {
    NsResult r = Fail(step);
    unlink(path.c_str());  // leave nothing behind that `ip netns list` would show
    return r;
  }
  return NsResult{};
}

// `ip netns del`: detach the bind mount (the namespace lives on while anything still holds
// it, e.g. an open handle or a process inside), then remove the file. A failing umount is
// not an error by itself: the file may be a leftover that was never mounted.
NsResult DelNamespace(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  umount2(path.c_str(), MNT_DETACH);
  if (unlink(path.c_str()) < 0) return Fail("unlink");
  return NsResult{};
}

std::string NameArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

void CheckArgs(const Napi::CallbackInfo& info, const std::string& dir, const std::string& name) {
  if (dir.empty() || dir[0] != '/') throw Napi::TypeError::New(info.Env(), "dir must be an absolute path");
  if (!ValidName(name)) throw Napi::TypeError::New(info.Env(), "invalid namespace name");
}

// netnsAdd(dir, name): Promise<{fd,text,number}>; rejects with EEXIST when the name exists.
Napi::Value NetnsAdd(const Napi::CallbackInfo& info) {
  std::string dir = NameArg(info, 0, "dir");
  std::string name = NameArg(info, 1, "name");
  CheckArgs(info, dir, name);
  return RunInNetns(info.Env(), NsTarget{}, [dir, name]() { return AddNamespace(dir, name); });
}

// netnsDel(dir, name): Promise<{fd,text,number}>; rejects with ENOENT when missing.
Napi::Value NetnsDel(const Napi::CallbackInfo& info) {
  std::string dir = NameArg(info, 0, "dir");
  std::string name = NameArg(info, 1, "name");
  CheckArgs(info, dir, name);
  return RunInNetns(info.Env(), NsTarget{}, [dir, name]() { return DelNamespace(dir, name); });
}

// netnsType(fd): the CLONE_NEW* type of the namespace an fd refers to. Throws ENOTTY for a
// file that is not a namespace (e.g. a /run/netns entry whose mount was removed elsewhere).
// A single ioctl: cheap enough for the main thread and it does not change any namespace.
Napi::Value NetnsType(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "fd must be a number");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type < 0) ThrowErrno(info.Env(), errno, "ioctl");
  return Napi::Number::New(info.Env(), type);
}

}  // namespace

void InitNetns(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsAdd", Napi::Function::New(env, NetnsAdd, "netnsAdd"));
  exports.Set("netnsDel", Napi::Function::New(env, NetnsDel, "netnsDel"));
  exports.Set("netnsType", Napi::Function::New(env, NetnsType, "netnsType"));
  exports.Set("CLONE_NEWNET", Napi::Number::New(env, CLONE_NEWNET));
}

}  // namespace netlinkjs
