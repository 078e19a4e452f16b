// One init function per concern; each lives in the .cc file named for it.
#pragma once
#include <napi.h>

namespace netlinkjs {
void InitNetlinkSocket(Napi::Env env, Napi::Object exports);  // netlink-socket.cc
void InitTap(Napi::Env env, Napi::Object exports);            // tap-device.cc, frame-pump.cc
void InitNetns(Napi::Env env, Napi::Object exports);          // netns-ops.cc
void InitEthtool(Napi::Env env, Napi::Object exports);        // ethtool-ioctl.cc
void InitBpf(Napi::Env env, Napi::Object exports);            // bpf-obj.cc
}  // namespace netlinkjs
