// Syscall failures as JS Errors carrying errno, code ('EPERM' …) and syscall, like Node's own.
#pragma once
#include <napi.h>
#include <string>

namespace netlinkjs {

// Returns the symbolic name of an errno value ("ENOENT"), or "E<number>" when unknown.
const char* ErrnoCode(int err);

// Builds `Error: <syscall> <CODE>: <strerror>` with .errno, .code and .syscall set.
Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall);

// Throws ErrnoError (as a C++ exception; the addon is built with NAPI_CPP_EXCEPTIONS).
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const std::string& syscall);

}  // namespace netlinkjs
