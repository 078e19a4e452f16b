#include "netns-thread.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
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

struct Job {
  Napi::Promise::Deferred deferred;
  NsResult result;
};

void Settle(Napi::Env env, Napi::Function, std::nullptr_t*, Job* job) {
  if (env != nullptr) {
    if (job->result.err != 0) {
      job->deferred.Reject(ErrnoError(env, job->result.err, job->result.syscall).Value());
    } else {
      Napi::Object o = Napi::Object::New(env);
      o.Set("fd", Napi::Number::New(env, job->result.fd));
      o.Set("text", Napi::String::New(env, job->result.text));
      o.Set("number", Napi::Number::New(env, job->result.number));
      job->deferred.Resolve(o);
    }
  } else if (job->result.fd >= 0) {
    close(job->result.fd);  // the environment is gone: nobody will ever own this fd
  }
  delete job;
}

using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Job, Settle>;

}  // namespace

Napi::Promise RunInNetns(Napi::Env env, const NsTarget& target, std::function<NsResult()> op) {
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  Tsfn tsfn = Tsfn::New(env, "netlinkjs.netns", 0, 1);
  Job* job = new Job{deferred, {}};
  try {
    std::thread([tsfn, job, target, op]() mutable {
      std::string syscall;
      int rc = EnterNetns(target, &syscall);
      if (rc < 0) {
        job->result.err = -rc;
        job->result.syscall = syscall;
      } else {
        job->result = op();
      }
      tsfn.BlockingCall(job);
      tsfn.Release();
    }).detach();
  } catch (const std::system_error& e) {
    tsfn.Release();
    delete job;
    deferred.Reject(ErrnoError(env, e.code().value(), "pthread_create").Value());
  }
  return promise;
}

}  // namespace netlinkjs
