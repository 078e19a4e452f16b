// BPF_OBJ_GET: the fd of a program pinned on a bpf filesystem, so a tc filter can name it by
// path (`tc filter … bpf object-pinned PATH`). The TS side sends the fd in TCA_BPF_FD and closes
// it once the kernel has answered (the filter holds its own reference to the program by then).
#include "addon.h"
#include "errno-error.h"

#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace netlinkjs {
namespace {

// bpfObjGet(path: string) → fd (close-on-exec: the kernel sets it on every bpf fd).
Napi::Value BpfObjGetJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "bpfObjGet(path)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "bpfObjGet: bad path");
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.pathname = static_cast<__u64>(reinterpret_cast<uintptr_t>(path.c_str()));
  long fd = syscall(__NR_bpf, BPF_OBJ_GET, &attr, sizeof attr);
  if (fd < 0) ThrowErrno(env, errno, "bpf(BPF_OBJ_GET)");
  return Napi::Number::New(env, static_cast<double>(fd));
}

}  // namespace

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("bpfObjGet", Napi::Function::New(env, BpfObjGetJs, "bpfObjGet"));
}

}  // namespace netlinkjs
