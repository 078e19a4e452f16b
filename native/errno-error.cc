#include "errno-error.h"

#include <cerrno>
#include <cstring>

namespace netlinkjs {

const char* ErrnoCode(int err) {
  // strerrorname_np is glibc >= 2.32; Debian 12 has 2.36.
  const char* name = strerrorname_np(err);
  return name ? name : nullptr;
}

Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall) {
  const char* name = ErrnoCode(err);
  std::string code = name ? name : ("E" + std::to_string(err));
  Napi::Error e = Napi::Error::New(env, syscall + " " + code + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ThrowErrno(Napi::Env env, int err, const std::string& syscall) {
  throw ErrnoError(env, err, syscall);
}

}  // namespace netlinkjs
