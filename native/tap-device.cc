// TUN/TAP and macvtap character devices: opening them (inside another network namespace on a
// RunInNetns thread when asked) and the fd ioctls that configure them. Frames are moved by
// the FramePump (frame-pump.cc); every policy decision (which flags, which offloads, names)
// is made in lib/tap.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "addon.h"
#include "errno-error.h"
#include "netns-thread.h"

namespace netlinkjs {

void InitFramePump(Napi::Env env, Napi::Object exports);  // frame-pump.cc

namespace {

// The ifindex of `name` in the calling thread's network namespace, or -errno.
int IfIndexHere(const char* name) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  int rc = ioctl(s, SIOCGIFINDEX, &ifr);
  int err = errno;
  close(s);
  return rc < 0 ? -err : ifr.ifr_ifindex;
}

NsResult Fail(int err, const std::string& syscall) {
  NsResult r;
  r.err = err;
  r.syscall = syscall;
  return r;
}

// open(/dev/net/tun) + TUNSETIFF. With mustExist the device has to be there already
// (attaching to a persistent device); otherwise the kernel creates it, choosing the name when
// `name` is empty or a pattern like "tap%d".
NsResult OpenTunOp(const std::string& name, int flags, bool mustExist) {
  if (mustExist) {
    int idx = IfIndexHere(name.c_str());
    if (idx < 0) return Fail(-idx, "ioctl(SIOCGIFINDEX)");
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Fail(errno, "open(/dev/net/tun)");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = static_cast<short>(flags);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return Fail(err, "ioctl(TUNSETIFF)");
  }
  NsResult r;
  r.fd = fd;
  r.text = ifr.ifr_name;
  int idx = IfIndexHere(ifr.ifr_name);
  r.number = idx > 0 ? idx : 0;
  return r;
}

bool ReadSmallFile(const std::string& path, std::string* out, int* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  *err = errno;
  close(fd);
  if (n < 0) return false;
  out->assign(buf, static_cast<size_t>(n));
  return true;
}

// Opens a char device by number through a node nobody else sees: made in a fresh private
// directory, opened, unlinked. Used when /dev/tapN is missing (a container's own /dev) or
// names another device (ifindexes repeat across namespaces).
int OpenPrivateNode(dev_t dev, int* err, std::string* syscall) {
  const char* bases[] = {"/dev/.netlinkjs-XXXXXX", "/tmp/netlinkjs-XXXXXX"};
  *err = 0;
  for (const char* base : bases) {
    char dir[64];
    std::snprintf(dir, sizeof dir, "%s", base);
    if (mkdtemp(dir) == nullptr) {
      *err = errno;
      *syscall = "mkdtemp";
      continue;
    }
    std::string node = std::string(dir) + "/tap";
    int fd = -1;
    if (mknod(node.c_str(), S_IFCHR | 0600, dev) < 0) {
      *err = errno;
      *syscall = "mknod";
    } else {
      fd = open(node.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        *err = errno;
        *syscall = "open(macvtap node)";
      }
      unlink(node.c_str());
    }
    rmdir(dir);
    if (fd >= 0) return fd;
  }
  return -1;
}

// Finds the macvtap char device of `link` (N = ifindex, major:minor from sysfs) and opens it.
// In another namespace the thread first gets a private mount namespace with a sysfs of its
// own: /sys/class/net shows the namespace of whoever mounted sysfs, not of the caller.
NsResult OpenMacvtapOp(const std::string& link, bool otherNs) {
  int idx = IfIndexHere(link.c_str());
  if (idx < 0) return Fail(-idx, "ioctl(SIOCGIFINDEX)");
  if (otherNs) {
    if (unshare(CLONE_NEWNS) < 0) return Fail(errno, "unshare(CLONE_NEWNS)");
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0) return Fail(errno, "mount(/, MS_SLAVE)");
    umount2("/sys", MNT_DETACH);
    if (mount("sysfs", "/sys", "sysfs", 0, nullptr) < 0) return Fail(errno, "mount(sysfs)");
  }
  std::string tapName = "tap" + std::to_string(idx);
  std::string sysPath = "/sys/class/net/" + link + "/macvtap/" + tapName + "/dev";
  std::string text;
  int err = 0;
  if (!ReadSmallFile(sysPath, &text, &err)) return Fail(err, "open(" + sysPath + ")");
  unsigned maj = 0, min = 0;
  if (std::sscanf(text.c_str(), "%u:%u", &maj, &min) != 2) return Fail(EINVAL, "parse(" + sysPath + ")");
  dev_t want = makedev(maj, min);

  NsResult r;
  r.number = idx;
  std::string devPath = "/dev/" + tapName;
  int fd = open(devPath.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == want) {
      r.fd = fd;
      r.text = devPath;
      return r;
    }
    close(fd);  // /dev/tapN belongs to a namesake in another namespace
  } else if (errno != ENOENT) {
    return Fail(errno, "open(" + devPath + ")");
  }
  std::string syscall;
  fd = OpenPrivateNode(want, &err, &syscall);
  if (fd < 0) return Fail(err, syscall);
  r.fd = fd;
  r.text = "";  // opened through a private node that no longer exists
  return r;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

int IntArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

// tapOpenTun(name, flags, mustExist, netns?) → Promise<{ fd, text: name, number: ifindex }>
Napi::Value TapOpenTun(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  int flags = IntArg(info, 1, "flags");
  bool mustExist = info.Length() > 2 && info[2].ToBoolean().Value();
  NsTarget target = info.Length() > 3 ? NsTargetFromJs(info[3]) : NsTarget{};
  if (name.size() >= IFNAMSIZ) throw Napi::RangeError::New(info.Env(), "name is longer than 15 bytes");
  return RunInNetns(info.Env(), target, [name, flags, mustExist]() { return OpenTunOp(name, flags, mustExist); });
}

// tapOpenMacvtap(link, netns?) → Promise<{ fd, text: node path or '', number: ifindex }>
Napi::Value TapOpenMacvtap(const Napi::CallbackInfo& info) {
  std::string link = StringArg(info, 0, "link");
  NsTarget target = info.Length() > 1 ? NsTargetFromJs(info[1]) : NsTarget{};
  if (link.empty() || link.size() >= IFNAMSIZ || link.find('/') != std::string::npos) {
    throw Napi::RangeError::New(info.Env(), "invalid link name");
  }
  bool otherNs = target.any();
  return RunInNetns(info.Env(), target, [link, otherNs]() { return OpenMacvtapOp(link, otherNs); });
}

// The ioctls that take or give one int. `byPointer`: the kernel reads the int through a
// pointer (TUNSETVNETHDRSZ, TUNSETSNDBUF, TUNSETCARRIER) rather than from the argument itself.
struct IntIoctl {
  const char* name;
  unsigned long request;
  bool byPointer;
  bool get;
};

const IntIoctl kIntIoctls[] = {
    {"TUNSETOFFLOAD", TUNSETOFFLOAD, false, false},  {"TUNSETPERSIST", TUNSETPERSIST, false, false},
    {"TUNSETOWNER", TUNSETOWNER, false, false},      {"TUNSETGROUP", TUNSETGROUP, false, false},
    {"TUNSETVNETHDRSZ", TUNSETVNETHDRSZ, true, false}, {"TUNSETSNDBUF", TUNSETSNDBUF, true, false},
    {"TUNSETCARRIER", TUNSETCARRIER, true, false},   {"TUNGETFEATURES", TUNGETFEATURES, true, true},
    {"TUNGETVNETHDRSZ", TUNGETVNETHDRSZ, true, true}, {"TUNGETSNDBUF", TUNGETSNDBUF, true, true},
};

// tapIoctl(fd, op, value?) → number | { name, flags } | undefined. One entry point for the
// small configuration ioctls; `op` names them as the kernel does.
Napi::Value TapIoctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0, "fd");
  std::string op = StringArg(info, 1, "op");
  int value = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  std::string syscall = "ioctl(" + op + ")";
  for (const IntIoctl& c : kIntIoctls) {
    if (op != c.name) continue;
    int rc = c.byPointer ? ioctl(fd, c.request, &value) : ioctl(fd, c.request, static_cast<unsigned long>(value));
    if (rc < 0) ThrowErrno(env, errno, syscall);
    return c.get ? Napi::Value(Napi::Number::New(env, static_cast<unsigned int>(value))) : env.Undefined();
  }
  // The ifreq ones. TUNSETIFF here is for macvtap (IFF_VNET_HDR on an open queue), TUNSETQUEUE
  // attaches/detaches a multi-queue TUN/TAP queue.
  ifreq ifr{};
  if (op == "TUNGETIFF") {
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) ThrowErrno(env, errno, syscall);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", Napi::String::New(env, ifr.ifr_name));
    o.Set("flags", Napi::Number::New(env, static_cast<unsigned short>(ifr.ifr_flags)));
    return o;
  }
  if (op == "TUNSETIFF" || op == "TUNSETQUEUE") {
    ifr.ifr_flags = static_cast<short>(value);
    if (ioctl(fd, op == "TUNSETIFF" ? TUNSETIFF : TUNSETQUEUE, &ifr) < 0) ThrowErrno(env, errno, syscall);
    return env.Undefined();
  }
  throw Napi::RangeError::New(env, "unknown tap ioctl " + op);
}

// tapCloseFd(fd): for fds that never got a FramePump (a failed open half-way through).
Napi::Value TapCloseFd(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0, "fd");
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

}  // namespace

void InitTap(Napi::Env env, Napi::Object exports) {
  exports.Set("tapOpenTun", Napi::Function::New(env, TapOpenTun, "tapOpenTun"));
  exports.Set("tapOpenMacvtap", Napi::Function::New(env, TapOpenMacvtap, "tapOpenMacvtap"));
  exports.Set("tapIoctl", Napi::Function::New(env, TapIoctl, "tapIoctl"));
  exports.Set("tapCloseFd", Napi::Function::New(env, TapCloseFd, "tapCloseFd"));
  InitFramePump(env, exports);
}

}  // namespace netlinkjs
