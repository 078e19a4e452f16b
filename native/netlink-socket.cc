// NetlinkSocket: a non-blocking AF_NETLINK socket watched by uv_poll on the main loop.
// Thin by design: it opens, binds, sets options, sends one buffer (which may hold many
// messages) and, on each readable wakeup, drains the socket into one Buffer handed to JS.
// Every message is built and parsed in TypeScript.
//
// Lifetime (the same as FramePump's): an open socket holds a strong reference to its own JS
// wrapper, so it is never collected while libuv may call it, whatever JS still references it;
// close() drops that reference and the callbacks. An environment cleanup hook closes it when
// the environment (a worker, the process) goes away first. Callbacks run in the async context
// the socket was opened in, so AsyncLocalStorage stores and async_hooks see them as a resource.
// uv_close happens only in close() or the cleanup hook, never in the finalizer.
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "addon.h"
#include "errno-error.h"
#include "netns-thread.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace netlinkjs {
namespace {

// Bound each wakeup so a busy socket (a monitor under a storm) never starves the loop, and
// so the arena stays small: handing JS megabytes at once saves calls but costs more in page
// faults of a grown arena than it saves (a 100 000-route dump: 95 ms with 8 MiB batches, 85 ms
// with 256 KiB; 128 KiB is as good, 1 MiB half as good). The arena fits a batch plus one
// more datagram of the largest size dumps send, so it never has to grow for them.
constexpr size_t kMaxDatagramsPerWakeup = 1024;
constexpr size_t kMaxBytesPerWakeup = 256 << 10;
constexpr size_t kInitialArena = (256 << 10) + (64 << 10);
// Every read offers at least this much room, as iproute2 does: the kernel sizes the skbs of
// a dump from the largest buffer the reader has used (capped at 32 KiB), so exact-size reads
// would keep dump chunks tiny and multiply the datagrams.
constexpr size_t kMinRead = 32 << 10;

int OpenNetlink(int protocol) {
  return socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NetlinkSocket",
                       {
                           InstanceMethod<&NetlinkSocket::Bind>("bind"),
                           InstanceMethod<&NetlinkSocket::SetIntOption>("setIntOption"),
                           InstanceMethod<&NetlinkSocket::GetIntOption>("getIntOption"),
                           InstanceMethod<&NetlinkSocket::AddMembership>("addMembership"),
                           InstanceMethod<&NetlinkSocket::DropMembership>("dropMembership"),
                           InstanceMethod<&NetlinkSocket::Send>("send"),
                           InstanceMethod<&NetlinkSocket::Ref>("ref"),
                           InstanceMethod<&NetlinkSocket::Unref>("unref"),
                           InstanceMethod<&NetlinkSocket::Pause>("pause"),
                           InstanceMethod<&NetlinkSocket::Resume>("resume"),
                           InstanceMethod<&NetlinkSocket::Close>("close"),
                           InstanceAccessor<&NetlinkSocket::GetFd>("fd"),
                       });
  }

  // new NetlinkSocket(fd, onData(buf, ends, nsids?), onError(err)). Takes ownership of fd.
  explicit NetlinkSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsFunction() || !info[2].IsFunction()) {
      throw Napi::TypeError::New(env, "NetlinkSocket(fd, onData, onError)");
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    if (fd_ < 0) throw Napi::RangeError::New(env, "fd must be a non-negative integer");
    on_data_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_error_ = Napi::Persistent(info[2].As<Napi::Function>());
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "netlinkjs.NetlinkSocket", info.This().As<Napi::Object>());
    arena_.resize(kInitialArena);
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
    poll_ = new uv_poll_t;
    int rc = uv_poll_init(loop, poll_, fd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
      ThrowErrno(env, -rc, "uv_poll_init");
    }
    poll_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    env_ = env;
    napi_add_env_cleanup_hook(env, &NetlinkSocket::OnEnvCleanup, this);
    cleanup_hook_ = true;
    // libuv holds a pointer to this object until close(): keep the wrapper alive until then.
    Napi::ObjectWrap<NetlinkSocket>::Ref();
    self_ref_ = true;
    StartPolling();
  }

  // Only reached once close() or the cleanup hook dropped the self-reference (or during
  // environment teardown): the handle is normally gone already.
  ~NetlinkSocket() override { CloseNow(/*finalizing=*/true); }

 private:
  void StartPolling() {
    if (poll_ && !polling_) {
      uv_poll_start(poll_, UV_READABLE, OnPoll);
      polling_ = true;
    }
  }

  void CheckOpen(Napi::Env env) {
    if (fd_ < 0) ThrowErrno(env, EBADF, "netlink");
  }

  // bind(groups) → port id. groups is the legacy 32-bit mask; use addMembership above 32.
  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    sa.nl_groups = info.Length() > 0 ? info[0].As<Napi::Number>().Uint32Value() : 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) ThrowErrno(env, errno, "bind");
    socklen_t len = sizeof sa;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) < 0) ThrowErrno(env, errno, "getsockname");
    return Napi::Number::New(env, sa.nl_pid);
  }

  // setIntOption(level, name, value): SOL_NETLINK options, SO_RCVBUFFORCE, SO_SNDBUFFORCE …
  Napi::Value SetIntOption(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int level = info[0].As<Napi::Number>().Int32Value();
    int name = info[1].As<Napi::Number>().Int32Value();
    int value = info[2].As<Napi::Number>().Int32Value();
    if (setsockopt(fd_, level, name, &value, sizeof value) < 0) ThrowErrno(env, errno, "setsockopt");
    if (level == SOL_NETLINK && name == NETLINK_LISTEN_ALL_NSID) record_nsid_ = value != 0;
    return env.Undefined();
  }

  // getIntOption(level, name) → value, e.g. the SO_RCVBUF the kernel actually granted.
  Napi::Value GetIntOption(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int level = info[0].As<Napi::Number>().Int32Value();
    int name = info[1].As<Napi::Number>().Int32Value();
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(fd_, level, name, &value, &len) < 0) ThrowErrno(env, errno, "getsockopt");
    return Napi::Number::New(env, value);
  }

  Napi::Value Membership(const Napi::CallbackInfo& info, int op) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    int group = info[0].As<Napi::Number>().Int32Value();
    if (setsockopt(fd_, SOL_NETLINK, op, &group, sizeof group) < 0) ThrowErrno(env, errno, "setsockopt");
    return env.Undefined();
  }
  Napi::Value AddMembership(const Napi::CallbackInfo& info) { return Membership(info, NETLINK_ADD_MEMBERSHIP); }
  Napi::Value DropMembership(const Napi::CallbackInfo& info) { return Membership(info, NETLINK_DROP_MEMBERSHIP); }

  // send(buffer) → bytes sent. One sendmsg for however many messages the buffer holds.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckOpen(env);
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "send(buffer)");
    Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    iovec iov{buf.Data(), buf.ByteLength()};
    msghdr msg{};
    msg.msg_name = &kernel;
    msg.msg_namelen = sizeof kernel;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n;
    do {
      n = sendmsg(fd_, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) ThrowErrno(env, errno, "sendmsg");
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (poll_) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }
  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (poll_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }
  Napi::Value Pause(const Napi::CallbackInfo& info) {
    if (poll_ && polling_) {
      uv_poll_stop(poll_);
      polling_ = false;
    }
    return info.Env().Undefined();
  }
  Napi::Value Resume(const Napi::CallbackInfo& info) {
    StartPolling();
    return info.Env().Undefined();
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseNow();
    return info.Env().Undefined();
  }
  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  // Stops the poll handle before closing the fd, so libuv never watches a recycled fd.
  // From the finalizer (`finalizing`) the handle is only stopped and detached, not closed:
  // the loop may already be gone then, and a stopped handle with no owner is inert.
  void CloseNow(bool finalizing = false) {
    if (poll_) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      if (!finalizing) {
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      }
      poll_ = nullptr;
      polling_ = false;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (cleanup_hook_) {
      napi_remove_env_cleanup_hook(env_, &NetlinkSocket::OnEnvCleanup, this);
      cleanup_hook_ = false;
    }
    if (finalizing) return;
    // Nothing can call JS any more: let the callbacks (and what they close over, such as the
    // engine) go, and let the wrapper be collected once JS drops it.
    on_data_.Reset();
    on_error_.Reset();
    if (self_ref_) {
      self_ref_ = false;
      Napi::ObjectWrap<NetlinkSocket>::Unref();
    }
  }

  // The environment is going away (worker exit, process teardown): close quietly.
  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<NetlinkSocket*>(arg);
    self->cleanup_hook_ = false;
    self->CloseNow(/*finalizing=*/false);
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<NetlinkSocket*>(handle->data);
    if (self != nullptr) self->Drain(status);
  }

  // Reads every pending datagram (bounded) into the arena, then makes one JS call.
  void Drain(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status == UV_EBADF && fd_ >= 0) {
      // libuv reports POLLERR as UV_EBADF and stops the handle. On a netlink socket POLLERR
      // means a pending socket error (ENOBUFS: the kernel dropped messages for us), which the
      // first read below returns and clears; poll again so later messages are seen.
      polling_ = false;
      StartPolling();
    } else if (status < 0) {
      EmitError(env, -status, "uv_poll");
      return;
    }
    size_t used = 0;
    size_t count = 0;
    int err = 0;
    nsids_.clear();
    ends_.clear();
    while (fd_ >= 0 && count < kMaxDatagramsPerWakeup && used < kMaxBytesPerWakeup) {
      // Size the next datagram first so none is ever truncated (SR-IOV dumps pass 64 KiB).
      ssize_t need = recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
      if (need < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      size_t want = std::max(static_cast<size_t>(need), kMinRead);
      if (arena_.size() - used < want) arena_.resize(std::max(arena_.size() * 2, used + want));
      iovec iov{arena_.data() + used, want};
      sockaddr_nl from{};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      if (record_nsid_) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
      }
      ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      if (from.nl_pid != 0) continue;  // only the kernel talks to us; drop spoofed unicast
      if (record_nsid_) {
        int nsid = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
          if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) memcpy(&nsid, CMSG_DATA(c), sizeof nsid);
        }
        nsids_.push_back(nsid);
      }
      used += static_cast<size_t>(n);
      ends_.push_back(static_cast<int32_t>(used));
      count++;
    }
    if (used > 0) {
      Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, arena_.data(), used);
      Napi::Int32Array ends = Napi::Int32Array::New(env, ends_.size());
      memcpy(ends.Data(), ends_.data(), ends_.size() * sizeof(int32_t));
      if (record_nsid_) {
        Napi::Int32Array ids = Napi::Int32Array::New(env, nsids_.size());
        memcpy(ids.Data(), nsids_.data(), nsids_.size() * sizeof(int32_t));
        CallJs(env, on_data_, {out, ends, ids});
      } else {
        CallJs(env, on_data_, {out, ends});
      }
      if (fd_ < 0) return;  // the callback closed the socket
    }
    // ENOBUFS: the kernel dropped messages for us (monitor overrun, or acks). Report, go on.
    if (err != 0 && fd_ >= 0) EmitError(env, err, "recvmsg");
    if (arena_.size() > (4u << 20) && used < kInitialArena) arena_.resize(kInitialArena);
  }

  void EmitError(Napi::Env env, int err, const char* syscall) {
    CallJs(env, on_error_, {ErrnoError(env, err, syscall).Value()});
  }

  // JS callbacks may throw; route that to the process like any uncaught exception instead of
  // unwinding through libuv.
  void CallJs(Napi::Env env, Napi::FunctionReference& fn, std::initializer_list<napi_value> args) {
    if (fn.IsEmpty()) return;  // closed
    Napi::Object self = Value();
    try {
      fn.MakeCallback(self, args, *async_context_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  Napi::Env env_{nullptr};
  std::unique_ptr<Napi::AsyncContext> async_context_;
  bool cleanup_hook_ = false;
  bool self_ref_ = false;
  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool polling_ = false;
  bool record_nsid_ = false;
  std::vector<uint8_t> arena_;
  std::vector<int32_t> nsids_;  // source namespace id per datagram (LISTEN_ALL_NSID)
  std::vector<int32_t> ends_;   // end offset of each datagram in the batch
  Napi::FunctionReference on_data_;
  Napi::FunctionReference on_error_;
};

// openNetlink(protocol, netns?) → Promise<{ fd }>: in this namespace it opens at once; in
// another it opens on a short-lived thread that joined that namespace first.
Napi::Value OpenNetlinkJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int protocol = info[0].As<Napi::Number>().Int32Value();
  NsTarget target = info.Length() > 1 ? NsTargetFromJs(info[1]) : NsTarget{};
  return RunInNetns(env, target, [protocol]() {
    NsResult r;
    r.fd = OpenNetlink(protocol);
    if (r.fd < 0) {
      r.err = errno;
      r.syscall = "socket";
    }
    return r;
  });
}

// openNetlinkSync(protocol) → fd, in the caller's (the main thread's) namespace.
Napi::Value OpenNetlinkSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = OpenNetlink(info[0].As<Napi::Number>().Int32Value());
  if (fd < 0) ThrowErrno(env, errno, "socket");
  return Napi::Number::New(env, fd);
}

// closeFd(fd): for fds handed to JS that never got wrapped (an aborted open).
Napi::Value CloseFdJs(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

}  // namespace

void InitNetlinkSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("NetlinkSocket", NetlinkSocket::Define(env));
  exports.Set("openNetlink", Napi::Function::New(env, OpenNetlinkJs, "openNetlink"));
  exports.Set("openNetlinkSync", Napi::Function::New(env, OpenNetlinkSyncJs, "openNetlinkSync"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFdJs, "closeFd"));
}

}  // namespace netlinkjs
