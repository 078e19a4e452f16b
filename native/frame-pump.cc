// FramePump: moves frames between one TUN/TAP/macvtap fd and JavaScript.
//
// The fd is non-blocking and watched by a uv_poll_t on the main loop. Each readable wakeup
// reads frames until EAGAIN, the batch limit or the end of the arena, packing them into one
// arena, then makes ONE call into JS with the count; offsets and lengths are written into a
// Uint32Array. The arena and that array are reused for every batch, so frames cost a read()
// each and no allocation; their views are valid only during the call.
//
// The arena, the meta array and the stats array are allocated HERE and lent to JS as external
// ArrayBuffers, never the other way round: the pump writes into them from libuv callbacks at
// any time, so their memory must not be something JS can free. Each block is reference-counted
// between the pump and the ArrayBuffer's finalizer, so it lives until both have let go whatever
// JS does with the buffer. Node refuses to transfer external ArrayBuffers (structuredClone and
// postMessage copy or throw); should one get detached anyway (ArrayBuffer.prototype.transfer
// on newer Node), the pump notices on its next wakeup, lends fresh buffers and tells JS
// (kEvBuffers) before handing it any frame.
//
// Writes are tried at once. EAGAIN queues a copy and watches for POLLOUT; 'drain' fires when
// the queue empties. Link-down style errors (EIO, ENETDOWN …) drop the frame and count it.
// A vanished device (EBADFD, POLLERR) closes the pump and, when found by the poll callback,
// reports 'close' to JS. Nothing here throws out of the event loop.
#include <napi.h>
#include <node_api.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "errno-error.h"

namespace netlinkjs {
namespace {

// Slots of the Float64Array shared with JS (lib/tap/native-tap.ts STAT mirrors this order, and
// the constructor insists on exactly kStatCount slots so the two cannot drift apart silently).
enum Stat {
  kRxFrames,
  kRxBytes,
  kTxFrames,
  kTxBytes,
  kTxDrops,       // frames refused by the device (link down …) or by a full queue
  kRxErrors,      // failed reads other than EAGAIN
  kTxErrors,      // failed writes other than EAGAIN (a subset of the drops)
  kQueuedFrames,  // frames waiting for POLLOUT right now
  kQueuedBytes,
  kRxBatches,     // JS calls made with frames
  kLastErrno,     // errno of the last failed read or write (0 = none yet)
  kClosedErrno,   // non-zero once the device went away (the errno that told us)
  kStatCount
};

// Event kinds passed to the JS callback as its first argument. kEvBuffers: buffers() returns
// new objects (the old ones were detached); JS must drop its references to the old ones.
enum Event { kEvFrames = 0, kEvDrain = 1, kEvClose = 2, kEvBuffers = 3 };

// Outcome of one frame write (returned by write()).
enum WriteResult { kWritten = 0, kQueued = 1, kDropped = 2, kClosed = 3 };

// Span flags in writeSpans(): the low byte selects the buffer, this bit asks for a zeroed
// prefix (vnet header) to be written in front of the frame (SPAN_ZERO_PREFIX in native-tap.ts).
constexpr uint32_t kSpanZeroPrefix = 0x100;

constexpr size_t kMaxPrefix = 64;

// Bounds of the sizes the constructor accepts. Frame offsets travel to JS as uint32, and the
// largest frame a TUN/TAP hands over is 64 KiB plus headers: a megabyte is far beyond it.
constexpr size_t kMaxArena = size_t{1} << 30;
constexpr size_t kMaxFrameLimit = size_t{1} << 20;
constexpr size_t kMaxBatchFrames = 65536;

// Frames start on 8-byte boundaries so JS can read headers with aligned typed views.
constexpr size_t kFrameAlign = 8;
inline size_t AlignUp(size_t n) { return (n + kFrameAlign - 1) & ~(kFrameAlign - 1); }

// Memory shared between the pump and the ArrayBuffer that lends it to JS; freed when the last
// owner (the pump, or the ArrayBuffer's finalizer) drops its shared_ptr.
struct Block {
  explicit Block(size_t n) : data(static_cast<uint8_t*>(std::calloc(n == 0 ? 1 : n, 1))), len(n) {
    if (data == nullptr) throw std::bad_alloc();
  }
  ~Block() { std::free(data); }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  uint8_t* data;
  size_t len;
};
using BlockPtr = std::shared_ptr<Block>;

// Finalizer of a lent ArrayBuffer: drops the ArrayBuffer's share of its block.
void ReleaseBlock(Napi::Env, uint8_t*, BlockPtr* share) { delete share; }

// An external ArrayBuffer over `block` that keeps it alive as long as it exists.
Napi::ArrayBuffer LendArrayBuffer(Napi::Env env, const BlockPtr& block) {
  auto* share = new BlockPtr(block);
  try {
    return Napi::ArrayBuffer::New(env, block->data, block->len,
                                  [](Napi::Env, void*, BlockPtr* s) { delete s; }, share);
  } catch (...) {
    delete share;
    throw;
  }
}

// A Buffer (so JS gets readUInt16BE, subarray …) over `block`, keeping it alive likewise.
Napi::Buffer<uint8_t> LendBuffer(Napi::Env env, const BlockPtr& block) {
  auto* share = new BlockPtr(block);
  try {
    return Napi::Buffer<uint8_t>::New(env, block->data, block->len, ReleaseBlock, share);
  } catch (...) {
    delete share;
    throw;
  }
}

// True when `v` (an ArrayBuffer or a view on one) no longer has its memory.
bool Detached(Napi::Value v) {
  if (v.IsArrayBuffer()) return v.As<Napi::ArrayBuffer>().IsDetached();
  if (v.IsTypedArray()) return v.As<Napi::TypedArray>().ArrayBuffer().IsDetached();
  return true;
}

// Errors that mean the device is gone for good: stop polling, close, report 'close'.
bool DeviceGone(int err) { return err == EBADFD || err == EBADF || err == ENODEV || err == ENXIO; }

class FramePump : public Napi::ObjectWrap<FramePump> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FramePump",
                       {
                           InstanceMethod<&FramePump::Start>("start"),
                           InstanceMethod<&FramePump::Pause>("pause"),
                           InstanceMethod<&FramePump::Resume>("resume"),
                           InstanceMethod<&FramePump::Write>("write"),
                           InstanceMethod<&FramePump::WriteBatch>("writeBatch"),
                           InstanceMethod<&FramePump::WriteSpans>("writeSpans"),
                           InstanceMethod<&FramePump::Close>("close"),
                           InstanceMethod<&FramePump::Ref>("ref"),
                           InstanceMethod<&FramePump::Unref>("unref"),
                           InstanceMethod<&FramePump::Buffers>("buffers"),
                           InstanceAccessor<&FramePump::GetFd>("fd"),
                       });
  }

  // new FramePump(fd, opts: { arenaBytes, maxFrame, batchFrames, maxQueueFrames, maxQueueBytes,
  //                          prefixBytes }, onEvent: (kind, n) => void)
  // The pump takes ownership of fd (closes it on close()). buffers() lends the arena, the
  // [offset, length] meta array and the stats array it allocated.
  explicit FramePump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FramePump>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsObject() || !info[2].IsFunction()) {
      throw Napi::TypeError::New(env, "FramePump(fd, opts, onEvent)");
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    Napi::Object opts = info[1].As<Napi::Object>();
    maxFrame_ = OptSize(env, opts, "maxFrame", 65600, 1, kMaxFrameLimit);
    size_t arenaBytes = OptSize(env, opts, "arenaBytes", 2 * maxFrame_, maxFrame_, kMaxArena);
    batchFrames_ = OptSize(env, opts, "batchFrames", 256, 1, kMaxBatchFrames);
    maxQueueFrames_ = OptSize(env, opts, "maxQueueFrames", 1024, 0, SIZE_MAX);
    maxQueueBytes_ = OptSize(env, opts, "maxQueueBytes", 8u << 20, 0, SIZE_MAX);
    prefixBytes_ = OptSize(env, opts, "prefixBytes", 0, 0, kMaxPrefix);
    if (fd_ < 0) throw Napi::RangeError::New(env, "fd must be a non-negative integer");

    try {
      arena_ = std::make_shared<Block>(arenaBytes);
      meta_ = std::make_shared<Block>(2 * batchFrames_ * sizeof(uint32_t));
      stats_ = std::make_shared<Block>(kStatCount * sizeof(double));
    } catch (const std::bad_alloc&) {
      ThrowErrno(env, ENOMEM, "FramePump arena");
    }
    LendArena(env);
    LendMeta(env);
    LendStats(env);
    onEvent_ = Napi::Persistent(info[2].As<Napi::Function>());
    asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "netlinkjs.FramePump", info.This().As<Napi::Object>());
    std::memset(zeroPrefix_, 0, sizeof zeroPrefix_);

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
    handle_ = new PollHandle();
    handle_->owner = this;
    int rc = uv_poll_init(loop, &handle_->poll, fd_);
    if (rc != 0) {
      delete handle_;
      handle_ = nullptr;
      ThrowErrno(env, -rc, "uv_poll_init");
    }
    env_ = env;
    napi_add_env_cleanup_hook(env, &FramePump::OnEnvCleanup, this);
    cleanupHook_ = true;
    // An open pump must outlive every reference JS drops: libuv holds a pointer to it.
    Napi::ObjectWrap<FramePump>::Ref();
  }

  // Only reached once Shutdown() dropped the self-reference (or during environment teardown),
  // so the poll handle is normally gone already.
  ~FramePump() override {
    inDestructor_ = true;
    Shutdown(0, /*finalizing=*/true);
  }

 private:
  struct PollHandle {
    uv_poll_t poll;
    FramePump* owner;
  };

  // An integer option in [min, max]; absent (undefined) takes `dflt`. The message names the
  // option so a caller that skipped JS validation still learns what was wrong.
  static size_t OptSize(Napi::Env env, Napi::Object opts, const char* key, size_t dflt, size_t min, size_t max) {
    Napi::Value v = opts.Get(key);
    if (v.IsUndefined()) return dflt;
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<size_t>(d))) {
      throw Napi::RangeError::New(env, std::string(key) + " must be an integer " + std::to_string(min) + "–" +
                                           (max == SIZE_MAX ? std::string("…") : std::to_string(max)));
    }
    return static_cast<size_t>(d);
  }

  uint8_t* arena() const { return arena_->data; }
  uint32_t* meta() const { return reinterpret_cast<uint32_t*>(meta_->data); }
  double* stats() const { return reinterpret_cast<double*>(stats_->data); }

  void LendArena(Napi::Env env) { arenaRef_ = Napi::Persistent(LendBuffer(env, arena_).As<Napi::Object>()); }
  void LendMeta(Napi::Env env) {
    Napi::ArrayBuffer ab = LendArrayBuffer(env, meta_);
    metaRef_ = Napi::Persistent(Napi::Uint32Array::New(env, 2 * batchFrames_, ab, 0).As<Napi::Object>());
  }
  void LendStats(Napi::Env env) {
    Napi::ArrayBuffer ab = LendArrayBuffer(env, stats_);
    statsRef_ = Napi::Persistent(Napi::Float64Array::New(env, kStatCount, ab, 0).As<Napi::Object>());
  }

  // buffers() → { arena: Buffer, meta: Uint32Array, stats: Float64Array }, the objects lent now.
  Napi::Value Buffers(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("arena", arenaRef_.Value());
    o.Set("meta", metaRef_.Value());
    o.Set("stats", statsRef_.Value());
    return o;
  }

  // Re-lends any buffer JS managed to detach (the pump's memory is its own either way: this is
  // about JS seeing the frames, not about safety). Returns true when something was replaced.
  // The old block is kept by whoever holds the detached contents; the pump moves to a new one
  // so the two can never alias.
  bool RelendDetached() {
    try {
      return RelendDetachedOrThrow();
    } catch (const std::exception&) {
      return false;  // environment shutting down: nothing will read the buffers any more
    }
  }

  bool RelendDetachedOrThrow() {
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    bool replaced = false;
    if (Detached(arenaRef_.Value())) {
      arena_ = std::make_shared<Block>(arena_->len);
      LendArena(env);
      replaced = true;
    }
    if (Detached(metaRef_.Value())) {
      meta_ = std::make_shared<Block>(meta_->len);
      LendMeta(env);
      replaced = true;
    }
    if (Detached(statsRef_.Value())) {
      auto fresh = std::make_shared<Block>(stats_->len);
      std::memcpy(fresh->data, stats_->data, stats_->len);  // counters are cumulative
      stats_ = std::move(fresh);
      LendStats(env);
      replaced = true;
    }
    return replaced;
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    started_ = true;
    UpdatePoll();
    return info.Env().Undefined();
  }

  Napi::Value Pause(const Napi::CallbackInfo& info) {
    paused_ = true;
    UpdatePoll();
    return info.Env().Undefined();
  }

  Napi::Value Resume(const Napi::CallbackInfo& info) {
    paused_ = false;
    UpdatePoll();
    return info.Env().Undefined();
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr && !closed_) uv_ref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr && !closed_) uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown(0);
    return info.Env().Undefined();
  }

  // write(frame: Uint8Array, prefix?: Uint8Array | true) → WriteResult
  // prefix true writes prefixBytes zero bytes (an empty vnet header) in front of the frame.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "frame must be a Uint8Array");
    Bytes frame = BytesOf(info[0].As<Napi::TypedArray>());
    Bytes prefix{nullptr, 0};
    if (info.Length() > 1) {
      if (info[1].IsTypedArray()) {
        prefix = BytesOf(info[1].As<Napi::TypedArray>());
        if (prefix.len > kMaxPrefix) throw Napi::RangeError::New(env, "prefix is too large");
      } else if (info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value()) {
        prefix = Bytes{zeroPrefix_, prefixBytes_};
      }
    }
    int r = SendOne(prefix.data, prefix.len, frame.data, frame.len);
    if (!queue_.empty()) WatchWritable();
    return Napi::Number::New(env, r);
  }

  // writeBatch(frames: Uint8Array[], prefixes?: Uint8Array | true) → frames accepted (written or
  // queued). prefixes: frames.length × prefixBytes bytes, slice i written in front of frame i
  // (JS builds per-frame packet info); true: prefixBytes zero bytes in front of every frame.
  Napi::Value WriteBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "frames must be an array");
    Napi::Array frames = info[0].As<Napi::Array>();
    uint32_t n = frames.Length();
    // Every element is fetched before any pointer is taken: a getter on the array could run JS
    // that detaches a buffer fetched earlier (or the prefixes).
    std::vector<Napi::Value> values;
    values.reserve(n);
    for (uint32_t i = 0; i < n; i++) values.push_back(frames.Get(i));
    const uint8_t* prefixes = nullptr;
    size_t step = 0;  // 0: the same (zero) prefix for every frame
    if (info.Length() > 1) {
      if (info[1].IsTypedArray()) {
        Bytes p = BytesOf(info[1].As<Napi::TypedArray>());
        if (p.len != static_cast<size_t>(n) * prefixBytes_) {
          throw Napi::RangeError::New(env, "prefixes must hold frames.length × prefixBytes bytes");
        }
        prefixes = p.data;
        step = prefixBytes_;
      } else if (info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value()) {
        prefixes = zeroPrefix_;
      }
    }
    size_t preLen = prefixes != nullptr ? prefixBytes_ : 0;
    // Validate first so a bad element never leaves a half-written batch behind.
    std::vector<Bytes> list;
    list.reserve(n);
    for (uint32_t i = 0; i < n; i++) {
      if (!values[i].IsTypedArray()) throw Napi::TypeError::New(env, "frames[" + std::to_string(i) + "] must be a Uint8Array");
      list.push_back(BytesOf(values[i].As<Napi::TypedArray>()));
    }
    uint32_t accepted = 0;
    for (uint32_t i = 0; i < n; i++) {
      int r = SendOne(preLen > 0 ? prefixes + i * step : nullptr, preLen, list[i].data, list[i].len);
      if (r == kWritten || r == kQueued) accepted++;
      if (r == kClosed) break;
    }
    if (!queue_.empty()) WatchWritable();
    return Napi::Number::New(env, accepted);
  }

  // writeSpans(buffers: Uint8Array[], spans: Uint32Array, count) → frames accepted.
  // spans holds `count` triples [bufferIndex | flags, offset, length]. This is the switch's
  // path: frames are forwarded straight out of another pump's arena without any views.
  Napi::Value WriteSpans(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsTypedArray() || !info[2].IsNumber()) {
      throw Napi::TypeError::New(env, "writeSpans(buffers, spans, count)");
    }
    Napi::Array bufs = info[0].As<Napi::Array>();
    uint32_t nb = bufs.Length();
    if (nb > 255) throw Napi::RangeError::New(env, "at most 255 buffers");
    // As in writeBatch: run every getter before taking any pointer.
    std::vector<Napi::Value> values;
    values.reserve(nb);
    for (uint32_t i = 0; i < nb; i++) values.push_back(bufs.Get(i));
    Bytes views[255];
    for (uint32_t i = 0; i < nb; i++) {
      if (!values[i].IsTypedArray()) throw Napi::TypeError::New(env, "buffers[" + std::to_string(i) + "] must be a Uint8Array");
      views[i] = BytesOf(values[i].As<Napi::TypedArray>());
    }
    Napi::TypedArray spansArr = info[1].As<Napi::TypedArray>();
    if (spansArr.TypedArrayType() != napi_uint32_array) throw Napi::TypeError::New(env, "spans must be a Uint32Array");
    const uint32_t* spans = reinterpret_cast<const uint32_t*>(
        static_cast<uint8_t*>(spansArr.ArrayBuffer().Data()) + spansArr.ByteOffset());
    double countD = info[2].As<Napi::Number>().DoubleValue();
    if (countD < 0 || countD * 3 > spansArr.ElementLength()) throw Napi::RangeError::New(env, "count exceeds spans");
    size_t count = static_cast<size_t>(countD);
    for (size_t i = 0; i < count; i++) {
      uint32_t which = spans[3 * i] & 0xff;
      if (which >= nb) throw Napi::RangeError::New(env, "span " + std::to_string(i) + " names a missing buffer");
      if (static_cast<uint64_t>(spans[3 * i + 1]) + spans[3 * i + 2] > views[which].len) {
        throw Napi::RangeError::New(env, "span " + std::to_string(i) + " is outside its buffer");
      }
    }
    uint32_t accepted = 0;
    for (size_t i = 0; i < count; i++) {
      const uint32_t* s = spans + 3 * i;
      bool zero = (s[0] & kSpanZeroPrefix) != 0;
      int r = SendOne(zero ? zeroPrefix_ : nullptr, zero ? prefixBytes_ : 0, views[s[0] & 0xff].data + s[1], s[2]);
      if (r == kWritten || r == kQueued) accepted++;
      if (r == kClosed) break;
    }
    if (!queue_.empty()) WatchWritable();
    return Napi::Number::New(env, accepted);
  }

  struct Bytes {
    const uint8_t* data;
    size_t len;
  };

  static Bytes BytesOf(Napi::TypedArray t) {
    auto* base = static_cast<const uint8_t*>(t.ArrayBuffer().Data());
    return Bytes{base + t.ByteOffset(), t.ByteLength()};
  }

  // Writes (or queues) one frame; never throws.
  int SendOne(const uint8_t* pre, size_t preLen, const uint8_t* data, size_t len) {
    if (closed_) return kClosed;
    if (!queue_.empty()) return Enqueue(pre, preLen, data, len);
    for (;;) {
      ssize_t n;
      if (preLen > 0) {
        iovec iov[2] = {{const_cast<uint8_t*>(pre), preLen}, {const_cast<uint8_t*>(data), len}};
        n = writev(fd_, iov, 2);
      } else {
        n = write(fd_, data, len);
      }
      if (n >= 0) {
        stats()[kTxFrames] += 1;
        stats()[kTxBytes] += static_cast<double>(len);
        return kWritten;
      }
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return Enqueue(pre, preLen, data, len);
      stats()[kLastErrno] = err;
      if (DeviceGone(err)) {
        stats()[kTxDrops] += 1;
        stats()[kTxErrors] += 1;
        Shutdown(err);
        return kClosed;
      }
      // EIO (link down), ENETDOWN, EINVAL (malformed vnet header), EMSGSIZE, ENOMEM …:
      // this frame is lost, the device is fine.
      stats()[kTxDrops] += 1;
      stats()[kTxErrors] += 1;
      return kDropped;
    }
  }

  int Enqueue(const uint8_t* pre, size_t preLen, const uint8_t* data, size_t len) {
    size_t total = preLen + len;
    if (queue_.size() >= maxQueueFrames_ || queuedBytes_ + total > maxQueueBytes_) {
      stats()[kTxDrops] += 1;
      return kDropped;
    }
    std::vector<uint8_t> copy(total);
    if (preLen > 0) std::memcpy(copy.data(), pre, preLen);
    std::memcpy(copy.data() + preLen, data, len);
    queue_.push_back(Pending{std::move(copy), len});
    queuedBytes_ += total;
    stats()[kQueuedFrames] = static_cast<double>(queue_.size());
    stats()[kQueuedBytes] = static_cast<double>(queuedBytes_);
    return kQueued;
  }

  void WatchWritable() { UpdatePoll(); }

  // Writes queued frames until the queue is empty or the device pushes back again.
  // Returns true when the queue went empty.
  bool Flush() {
    while (!queue_.empty() && !closed_) {
      Pending& p = queue_.front();
      ssize_t n = write(fd_, p.bytes.data(), p.bytes.size());
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return false;
        stats()[kLastErrno] = err;
        stats()[kTxDrops] += 1;
        stats()[kTxErrors] += 1;
        if (DeviceGone(err)) {
          Shutdown(err);
          return false;
        }
      } else {
        stats()[kTxFrames] += 1;
        stats()[kTxBytes] += static_cast<double>(p.payload);
      }
      queuedBytes_ -= p.bytes.size();
      queue_.pop_front();
    }
    stats()[kQueuedFrames] = static_cast<double>(queue_.size());
    stats()[kQueuedBytes] = static_cast<double>(queuedBytes_);
    return queue_.empty() && !closed_;
  }

  // Asks libuv for exactly the events we need now (nothing → the poll handle stops).
  void UpdatePoll() {
    if (closed_ || handle_ == nullptr) return;
    int want = 0;
    if (started_ && !paused_) want |= UV_READABLE;
    if (!queue_.empty()) want |= UV_WRITABLE;
    if (want == events_) return;
    events_ = want;
    if (want == 0) {
      uv_poll_stop(&handle_->poll);
    } else {
      int rc = uv_poll_start(&handle_->poll, want, &FramePump::OnPoll);
      if (rc != 0) {
        stats()[kLastErrno] = -rc;
        events_ = 0;
      }
    }
  }

  static void OnPoll(uv_poll_t* poll, int status, int events) {
    // poll is the first member of PollHandle.
    FramePump* self = reinterpret_cast<PollHandle*>(poll)->owner;
    if (self == nullptr) return;
    self->HandlePoll(status, events);
  }

  void HandlePoll(int status, int events) {
    if (closed_) return;
    // JS ran since the last wakeup: if it detached a lent buffer, lend new ones before any
    // frame is delivered into memory JS could no longer see.
    if (RelendDetached()) {
      Emit(kEvBuffers, 0);
      if (closed_) return;
    }
    if (status < 0) {
      // POLLERR: libuv has stopped the handle. A TUN/TAP fd reports it once its device is
      // deleted; read() tells us the real errno.
      events_ = 0;
      ssize_t n = read(fd_, arena(), maxFrame_);  // the constructor ensured arena ≥ maxFrame
      int err = n < 0 ? errno : 0;
      if (n < 0 && err != EAGAIN && err != EINTR) {
        stats()[kLastErrno] = err;
        CloseAndReport(err);
        return;
      }
      if (n == 0) {
        CloseAndReport(EBADFD);
        return;
      }
      // A transient error with data still flowing: deliver what we read and watch again.
      if (n > 0) {
        meta()[0] = 0;
        meta()[1] = static_cast<uint32_t>(n);
        stats()[kRxFrames] += 1;
        stats()[kRxBytes] += static_cast<double>(n);
        stats()[kRxBatches] += 1;
        Emit(kEvFrames, 1);
      }
      UpdatePoll();
      return;
    }
    if ((events & UV_WRITABLE) && !queue_.empty()) {
      bool drained = Flush();
      if (closed_) {
        Emit(kEvClose, stats()[kClosedErrno]);
        return;
      }
      if (drained) {
        UpdatePoll();
        Emit(kEvDrain, 0);
        if (closed_) return;
        if (RelendDetached()) {
          Emit(kEvBuffers, 0);
          if (closed_) return;
        }
      }
    }
    if ((events & UV_READABLE) && started_ && !paused_) ReadBatch();
  }

  void ReadBatch() {
    size_t pos = 0;
    size_t count = 0;
    int fatal = 0;
    const size_t arenaLen = arena_->len;
    // pos advances by frame lengths rounded up to 8, so it can overshoot the end by up to 7
    // bytes: test pos against the end before subtracting (the difference is unsigned).
    while (count < batchFrames_ && pos < arenaLen && arenaLen - pos >= maxFrame_) {
      ssize_t n = read(fd_, arena() + pos, maxFrame_);
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        stats()[kLastErrno] = err;
        stats()[kRxErrors] += 1;
        if (DeviceGone(err)) fatal = err;
        break;
      }
      if (n == 0) break;
      meta()[2 * count] = static_cast<uint32_t>(pos);
      meta()[2 * count + 1] = static_cast<uint32_t>(n);
      stats()[kRxFrames] += 1;
      stats()[kRxBytes] += static_cast<double>(n);
      count++;
      // Keep frames 8-byte aligned so JS can read headers with aligned typed views.
      pos += AlignUp(static_cast<size_t>(n));
    }
    if (count > 0) {
      stats()[kRxBatches] += 1;
      Emit(kEvFrames, static_cast<double>(count));
    }
    if (fatal != 0 && !closed_) CloseAndReport(fatal);
  }

  void CloseAndReport(int err) {
    Shutdown(err);
    Emit(kEvClose, err);
  }

  void Emit(int kind, double arg) {
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    try {
      onEvent_.MakeCallback(Value(), {Napi::Number::New(env, kind), Napi::Number::New(env, arg)}, *asyncContext_);
    } catch (const Napi::Error& e) {
      // A listener threw: surface it the way Node does for any event callback.
      napi_fatal_exception(env, e.Value());
    }
  }

  // Stops polling, closes the fd and forgets queued frames. Safe to call repeatedly and from
  // inside the frames callback (the arena stays alive: the lent buffers share it). From the
  // finalizer the handle is only stopped and detached, never uv_close()d: the loop may be gone.
  void Shutdown(int err, bool finalizing = false) {
    if (closed_) return;
    closed_ = true;
    if (err != 0) stats()[kClosedErrno] = err;
    if (handle_ != nullptr) {
      uv_poll_stop(&handle_->poll);
      handle_->owner = nullptr;
      if (!finalizing) {
        uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll),
                 [](uv_handle_t* h) { delete reinterpret_cast<PollHandle*>(h); });
      }
      handle_ = nullptr;
    }
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    queue_.clear();
    queuedBytes_ = 0;
    stats()[kQueuedFrames] = 0;
    stats()[kQueuedBytes] = 0;
    if (cleanupHook_) {
      napi_remove_env_cleanup_hook(env_, &FramePump::OnEnvCleanup, this);
      cleanupHook_ = false;
    }
    // Let the wrapper be collected once JS drops it (the constructor took a strong ref).
    if (!inDestructor_) Napi::ObjectWrap<FramePump>::Unref();
  }

  // The environment is going away (worker exit, process teardown): release the fd quietly.
  static void OnEnvCleanup(void* arg) {
    FramePump* self = static_cast<FramePump*>(arg);
    self->cleanupHook_ = false;
    self->inDestructor_ = true;
    self->Shutdown(0);
  }

  struct Pending {
    std::vector<uint8_t> bytes;  // prefix + frame
    size_t payload;              // frame bytes, for stats
  };

  Napi::Env env_{nullptr};
  PollHandle* handle_ = nullptr;
  int fd_ = -1;
  // Owned with the ArrayBuffers lent to JS (see the file comment); never null after construction.
  BlockPtr arena_;
  BlockPtr meta_;
  BlockPtr stats_;
  size_t maxFrame_ = 0;
  size_t batchFrames_ = 0;
  size_t maxQueueFrames_ = 0;
  size_t maxQueueBytes_ = 0;
  size_t prefixBytes_ = 0;
  uint8_t zeroPrefix_[kMaxPrefix];
  Napi::ObjectReference arenaRef_;
  Napi::ObjectReference metaRef_;
  Napi::ObjectReference statsRef_;
  Napi::FunctionReference onEvent_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  std::deque<Pending> queue_;
  size_t queuedBytes_ = 0;
  int events_ = 0;
  bool started_ = false;
  bool paused_ = false;
  bool closed_ = false;
  bool cleanupHook_ = false;
  bool inDestructor_ = false;
};

}  // namespace

void InitFramePump(Napi::Env env, Napi::Object exports) {
  exports.Set("FramePump", FramePump::Define(env));
}

}  // namespace netlinkjs
