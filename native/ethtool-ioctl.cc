// The one ethtool query netlink has no message for (ETHTOOL_GDRVINFO, `ethtool -i`): an
// SIOCETHTOOL ioctl on a socket the caller already has open in the device's namespace (an
// ioctl on a netlink socket reaches the device ioctls of that socket's namespace). The struct
// goes back to TypeScript as bytes; decoding it is the TS side's job.
#include "addon.h"
#include "errno-error.h"

#include <cerrno>
#include <cstring>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>

namespace netlinkjs {
namespace {

// ethtoolIoctl(fd, dev: string | ifindex, cmd, buf: Uint8Array): the kernel fills `buf` (whose
// first u32 the caller set to `cmd`) in place. Throws an errno Error ('ENODEV', 'EOPNOTSUPP' …).
Napi::Value EthtoolIoctlJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !(info[1].IsString() || info[1].IsNumber()) || !info[2].IsNumber() ||
      !info[3].IsTypedArray()) {
    throw Napi::TypeError::New(env, "ethtoolIoctl(fd, dev, cmd, buffer)");
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array buf = info[3].As<Napi::Uint8Array>();
  if (buf.ByteLength() < 4) throw Napi::RangeError::New(env, "ethtoolIoctl: buffer too short");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  if (info[1].IsNumber()) {
    ifr.ifr_ifindex = info[1].As<Napi::Number>().Int32Value();
    if (ioctl(fd, SIOCGIFNAME, &ifr) < 0) ThrowErrno(env, errno, "ioctl(SIOCGIFNAME)");
  } else {
    std::string name = info[1].As<Napi::String>().Utf8Value();
    if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "ethtoolIoctl: bad interface name");
    std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  }
  uint32_t cmd = info[2].As<Napi::Number>().Uint32Value();
  std::memcpy(buf.Data(), &cmd, sizeof cmd);
  ifr.ifr_data = reinterpret_cast<char*>(buf.Data());
  if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) ThrowErrno(env, errno, "ioctl(SIOCETHTOOL)");
  return Napi::String::New(env, ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
}

}  // namespace

void InitEthtool(Napi::Env env, Napi::Object exports) {
  exports.Set("ethtoolIoctl", Napi::Function::New(env, EthtoolIoctlJs, "ethtoolIoctl"));
}

}  // namespace netlinkjs
