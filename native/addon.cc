#include "addon.h"

namespace netlinkjs {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitNetlinkSocket(env, exports);
  InitTap(env, exports);
  InitNetns(env, exports);
  InitEthtool(env, exports);
  InitBpf(env, exports);
  return exports;
}

}  // namespace netlinkjs

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return netlinkjs::Init(env, exports); }

NODE_API_MODULE(netlinkjs, InitAddon)
