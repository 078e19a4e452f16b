#include "netns-thread.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <thread>

#include "errno-error.h"

namespace netlinkjs {

NsTarget NsTargetFromJs(const Napi::Value& v) {
  NsTarget t;
  if (!v.IsObject()) return t;
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("path") && o.Get("path").IsString()) t.path = o.Get("path").As<Napi::String>().Utf8Value();
  if (o.Has("fd") && o.Get("fd").IsNumber()) t.fd = o.Get("fd").As<Napi::Number>().Int32Value();
  if (o.Has("pid") && o.Get("pid").IsNumber()) t.pid = o.Get("pid").As<Napi::Number>().Int32Value();
  return t;
}

int EnterNetns(const NsTarget& target, std::string* syscall) {
  if (!target.any()) return 0;
  int nsfd = target.fd;
  bool owned = false;
  if (nsfd < 0) {
    std::string path = !target.path.empty() ? target.path : "/proc/" + std::to_string(target.pid) + "/ns/net";
    nsfd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
      *syscall = "open";
      return -errno;
    }
    owned = true;
  }
  int rc = setns(nsfd, CLONE_NEWNET);
  int err = errno;
  if (owned) close(nsfd);
  if (rc < 0) {
    *syscall = "setns";
    return -err;
  }
  return 0;
}

namespace {

// Whether the environment that started a job still exists. Node frees a thread-safe function
// when its environment is torn down (a worker exiting), even while a thread still holds it,
// so a thread that finishes late must not touch the function at all: it checks this gate,
// under the gate's lock, and the environment's cleanup hook closes the gate under the same
// lock. The hook is registered after the thread-safe function, so it runs before that
// function's own teardown (cleanup hooks run last-registered first).
struct Gate {
  std::mutex mu;
  bool open = true;
};
using GatePtr = std::shared_ptr<Gate>;

struct Job {
  Napi::Promise::Deferred deferred;
  NsResult result;
  napi_env env = nullptr;
  GatePtr* hook = nullptr;  // the cleanup hook's argument, while the hook is registered
};

void CloseGate(void* arg) {
  auto* gate = static_cast<GatePtr*>(arg);
  {
    std::lock_guard<std::mutex> lock((*gate)->mu);
    (*gate)->open = false;
  }
  delete gate;
}

// On the JS thread, before the job goes: the hook is no longer needed.
void DropHook(Job* job) {
  if (job->hook == nullptr) return;
  napi_remove_env_cleanup_hook(job->env, CloseGate, job->hook);
  delete job->hook;
  job->hook = nullptr;
}

// Frees a job whose promise can never be settled (the environment is gone), with the fd its
// operation opened: nobody will ever own that fd.
void Discard(Job* job) {
  if (job->result.fd >= 0) close(job->result.fd);
  delete job;
}

void Settle(Napi::Env env, Napi::Function, std::nullptr_t*, Job* job) {
  if (env == nullptr) {
    // The thread-safe function is being torn down with this job still queued; the cleanup
    // hook has already run (and freed its argument).
    Discard(job);
    return;
  }
  DropHook(job);
  // While the environment is shutting down (a worker calling process.exit) it may still run
  // this callback yet refuse to run JS: every napi call then fails and node-addon-api throws.
  // Nothing may escape into the thread-safe function's machinery (that terminates the
  // process); the promise is moot then, and the fd must not leak.
  try {
    if (job->result.err != 0) {
      job->deferred.Reject(ErrnoError(env, job->result.err, job->result.syscall).Value());
    } else {
      Napi::Object o = Napi::Object::New(env);
      o.Set("fd", Napi::Number::New(env, job->result.fd));
      o.Set("text", Napi::String::New(env, job->result.text));
      o.Set("number", Napi::Number::New(env, job->result.number));
      job->deferred.Resolve(o);  // from here on the fd is JS's
    }
  } catch (...) {
    Discard(job);
    return;
  }
  delete job;
}

using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Job, Settle>;

// Node unloads an addon when the last environment that loaded it goes away (a worker that
// alone required it exits), while a detached thread of ours may still be running its code.
// The first job pins the library for the life of the process (RTLD_NODELETE on the
// already-loaded file: no second copy is loaded).
void PinAddon() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&PinAddon), &info) != 0 && info.dli_fname != nullptr) {
      dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
  });
}

}  // namespace

Napi::Promise RunInNetns(Napi::Env env, const NsTarget& target, std::function<NsResult()> op) {
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  // A namespace fd belongs to the caller, who may close it (handle.close()) as soon as this
  // returns, and the number may then be reused by an unrelated file before the thread gets to
  // setns(). The thread gets its own duplicate, made now on the caller's thread.
  NsTarget own = target;
  if (target.fd >= 0) {
    own.fd = fcntl(target.fd, F_DUPFD_CLOEXEC, 0);
    if (own.fd < 0) {
      deferred.Reject(ErrnoError(env, errno, "dup").Value());
      return promise;
    }
  }
  PinAddon();
  Tsfn tsfn = Tsfn::New(env, "netlinkjs.netns", 0, 1);
  GatePtr gate = std::make_shared<Gate>();
  Job* job = new Job{deferred, {}, env, new GatePtr(gate)};
  napi_add_env_cleanup_hook(env, CloseGate, job->hook);
  try {
    std::thread([tsfn, job, gate, own, op]() mutable {
      std::string syscall;
      int rc = EnterNetns(own, &syscall);
      if (own.fd >= 0) close(own.fd);  // setns() is done with it either way
      if (rc < 0) {
        job->result.err = -rc;
        job->result.syscall = syscall;
      } else {
        job->result = op();
      }
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) {
        // The environment is gone, and with it the thread-safe function and the cleanup
        // hook's registration: the job and whatever fd the operation opened are ours to free.
        Discard(job);
        return;
      }
      // The queue is unbounded, so this never waits. napi_closing (teardown began after the
      // gate check) gave up this thread's hold on the function already: no Release then.
      if (tsfn.BlockingCall(job) == napi_ok) {
        tsfn.Release();
      } else {
        Discard(job);  // the hook will free its own argument when it runs
      }
    }).detach();
  } catch (const std::system_error& e) {
    if (own.fd >= 0) close(own.fd);
    DropHook(job);
    tsfn.Release();
    delete job;
    deferred.Reject(ErrnoError(env, e.code().value(), "pthread_create").Value());
  }
  return promise;
}

}  // namespace netlinkjs
