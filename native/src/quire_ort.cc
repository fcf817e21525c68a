// Quire's engine addon: what onnxruntime-node cannot do for a long-context decoder. The per-layer KV cache is
// allocated once on the provider's memory and bound as both the past input and the present output, so
// GroupQueryAttention updates it in place; only the outputs named by bindHostOutput (the last-token logits)
// come back to host memory; runs happen on a libuv worker thread and can be cancelled through RunOptions
// terminate; a KV prefix copies to and from a snapshot file without passing through JavaScript, checksummed
// in blocks, through a host staging buffer when the cache lives on a device.
//
// libonnxruntime is loaded at runtime (init(path)) from the onnxruntime-node package, so the addon needs no
// ORT library at build time and shares the one ORT instance with onnxruntime-node when both are loaded.
#include <napi.h>
#include <onnxruntime_cxx_api.h>

#include "cpu_ops.h"
#include "gqa_op.h"
#include "q4_matmul_op.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#include <io.h>
#include <fcntl.h>
#else
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define QUIRE_CRC_CLMUL 1
#include <immintrin.h>
#endif

// gpu_probe.cc: the GPUs the Vulkan loader sees (adapter name, type, memory, 16-bit float shaders).
Napi::Value ProbeVulkan(const Napi::CallbackInfo& info);
// weight_codecs.cc: checkpoint weights to int4 blocks or half, for the converter (models/weight-codecs.ts).
void RegisterWeightCodecs(Napi::Env env, Napi::Object exports);
// blake3.cc: BLAKE3 hashing, for the converter's source checksum (models/blake3.ts).
void RegisterBlake3(Napi::Env env, Napi::Object exports);
// checkpoint_io.cc: O_DIRECT checkpoint reads for the converter's reader thread (models/tensor-prefetch.ts).
void RegisterCheckpointIo(Napi::Env env, Napi::Object exports);

namespace {

const OrtApiBase* g_base = nullptr;
std::unique_ptr<Ort::Env> g_env;

size_t ElementBytes(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return 4;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return 8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return 2;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return 1;
    default:
      throw std::runtime_error("unsupported tensor element type " + std::to_string(static_cast<int>(type)));
  }
}

size_t ElementCount(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

std::vector<int64_t> ShapeArg(const Napi::Value& value) {
  Napi::Array array = value.As<Napi::Array>();
  std::vector<int64_t> shape(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) shape[i] = array.Get(i).As<Napi::Number>().Int64Value();
  return shape;
}

// CRC-32 with the reflected IEEE polynomial, i.e. the function zlib.crc32 computes, so the JS engine path
// (node:zlib) and this addon checksum snapshot blocks identically. On x86-64 with carry-less multiply the bulk
// is folded 64 bytes at a time (Intel's "Fast CRC Computation Using PCLMULQDQ", the constants zlib and Linux
// use): 11 GB/s on one core of this 2-core machine, as fast as memcpy, so checking a restore costs no more
// than reading it. Elsewhere slicing by eight (2 GB/s here), which still keeps up with most disks.
#ifdef QUIRE_CRC_CLMUL
#define QUIRE_CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))

QUIRE_CLMUL_TARGET inline __m128i Load128(const uint8_t* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); }

// x carried 128 bits further along the message by the constants k, and the next 16 bytes added in.
QUIRE_CLMUL_TARGET inline __m128i Fold128(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00)), next);
}

QUIRE_CLMUL_TARGET uint32_t FoldClmul(const uint8_t* p, size_t n, uint32_t crc) {
  // n >= 64 and a multiple of 16; crc is the register (not inverted).
  alignas(16) static const uint64_t k1k2[] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static const uint64_t k3k4[] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static const uint64_t k5k0[] = {0x0163cd6124, 0x0000000000};
  alignas(16) static const uint64_t poly[] = {0x01db710641, 0x01f7011641};
  __m128i x1 = _mm_xor_si128(Load128(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x2 = Load128(p + 16), x3 = Load128(p + 32), x4 = Load128(p + 48);
  __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(k1k2));
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x1 = Fold128(x1, k, Load128(p));
    x2 = Fold128(x2, k, Load128(p + 16));
    x3 = Fold128(x3, k, Load128(p + 32));
    x4 = Fold128(x4, k, Load128(p + 48));
  }
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(k3k4));
  x1 = Fold128(x1, k, x2);
  x1 = Fold128(x1, k, x3);
  x1 = Fold128(x1, k, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = Fold128(x1, k, Load128(p));
  // 128 bits to 64, then Barrett reduction to 32.
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k, 0x10));
  k = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(k5k0));
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, low32), k, 0x00), _mm_srli_si128(x1, 4));
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(poly));
  __m128i r = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), k, 0x10);
  r = _mm_clmulepi64_si128(_mm_and_si128(r, low32), k, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, r), 1));
}
#endif

class Crc32 {
 public:
  Crc32() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table_[0][i] = c;
    }
    for (int t = 1; t < 8; t++) {
      for (uint32_t i = 0; i < 256; i++) table_[t][i] = (table_[t - 1][i] >> 8) ^ table_[0][table_[t - 1][i] & 0xFF];
    }
#ifdef QUIRE_CRC_CLMUL
    clmul_ = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#endif
  }
  // Whether one thread sums faster than memory copies.
  bool Fast() const { return clmul_; }
  uint32_t Update(uint32_t crc, const uint8_t* p, size_t n) const {
    crc = ~crc;
#ifdef QUIRE_CRC_CLMUL
    if (clmul_ && n >= 64) {
      size_t bulk = n & ~static_cast<size_t>(15);
      crc = FoldClmul(p, bulk, crc);
      p += bulk;
      n -= bulk;
    }
#endif
    while (n >= 8) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + 4, 4);
      lo ^= crc;  // little-endian hosts only (x64, arm64)
      crc = table_[7][lo & 0xFF] ^ table_[6][(lo >> 8) & 0xFF] ^ table_[5][(lo >> 16) & 0xFF] ^ table_[4][lo >> 24] ^
            table_[3][hi & 0xFF] ^ table_[2][(hi >> 8) & 0xFF] ^ table_[1][(hi >> 16) & 0xFF] ^ table_[0][hi >> 24];
      p += 8;
      n -= 8;
    }
    while (n--) crc = table_[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
  }

 private:
  uint32_t table_[8][256];
  bool clmul_ = false;
};

const Crc32& Crc() {
  static const Crc32 crc;
  return crc;
}

// The snapshot body as a stream cut into fixed-size blocks, one CRC each, whatever the head and tensor
// boundaries: the JS path cuts the same stream the same way.
class BlockSums {
 public:
  explicit BlockSums(size_t blockBytes) : blockBytes_(blockBytes) {}
  // Feeds a tensor's head spans in stream order and returns the index of the first completed block whose CRC
  // differs from `expected` (when given), or -1. The whole blocks among the spans are independent, so without
  // carry-less multiply they are summed on several threads: checksumming then keeps up with a fast disk (with
  // it one thread outruns the copy, and more would only take cores from it).
  int64_t FeedSpans(const std::vector<std::pair<const uint8_t*, size_t>>& spans, const std::vector<uint32_t>* expected) {
    size_t total = 0;
    for (const auto& span : spans) total += span.second;
    // CRC of the stream bytes [from, from + n) of these spans, which may cross span boundaries.
    auto visit = [&](size_t from, size_t n, uint32_t crc) {
      for (const auto& [p, len] : spans) {
        if (n == 0) break;
        if (from >= len) {
          from -= len;
          continue;
        }
        size_t take = std::min(n, len - from);
        crc = Crc().Update(crc, p + from, take);
        n -= take;
        from = 0;
      }
      return crc;
    };
    size_t at = 0;
    // A block begun in an earlier tensor is finished first.
    if (filled_ > 0) {
      size_t take = std::min(total, blockBytes_ - filled_);
      crc_ = visit(0, take, crc_);
      filled_ += take;
      at = take;
      if (filled_ == blockBytes_ && Close(expected) >= 0) return static_cast<int64_t>(sums_.size()) - 1;
    }
    size_t whole = (total - at) / blockBytes_;
    std::vector<uint32_t> sums(whole);
    size_t threads = std::min<size_t>({whole, Crc().Fast() ? size_t{1} : size_t{8}, std::max(1u, std::thread::hardware_concurrency())});
    auto work = [&](size_t first) {
      for (size_t b = first; b < whole; b += threads) sums[b] = visit(at + b * blockBytes_, blockBytes_, 0);
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; t++) pool.emplace_back(work, t);
    if (threads > 0) work(0);
    for (auto& thread : pool) thread.join();
    for (uint32_t sum : sums) {
      crc_ = sum;
      filled_ = blockBytes_;
      if (Close(expected) >= 0) return static_cast<int64_t>(sums_.size()) - 1;
    }
    at += whole * blockBytes_;
    // The tail starts a block the next tensor finishes.
    if (at < total) {
      crc_ = visit(at, total - at, 0);
      filled_ = total - at;
    }
    return -1;
  }
  int64_t Finish(const std::vector<uint32_t>* expected) {
    if (filled_ > 0 && Close(expected) >= 0) return static_cast<int64_t>(sums_.size()) - 1;
    if (expected && expected->size() != sums_.size()) return static_cast<int64_t>(sums_.size());
    return -1;
  }
  const std::vector<uint32_t>& Sums() const { return sums_; }

 private:
  int64_t Close(const std::vector<uint32_t>* expected) {
    sums_.push_back(crc_);
    crc_ = 0;
    filled_ = 0;
    size_t i = sums_.size() - 1;
    return expected && (i >= expected->size() || (*expected)[i] != sums_[i]) ? static_cast<int64_t>(i) : -1;
  }
  size_t blockBytes_;
  size_t filled_ = 0;
  uint32_t crc_ = 0;
  std::vector<uint32_t> sums_;
};

// ORT reports a terminated run as a plain error; the JS side maps this prefix to CANCELLED.
constexpr const char* kCancelled = "CANCELLED: run terminated";

// onnxruntime's own messages (warnings such as VerifyEachNodeIsAssignedToAnEp) go to a log file instead of
// the user's terminal; a failure still reaches the user as the error a call throws.
std::mutex g_logMutex;
FILE* g_log = nullptr;

void LogToFile(void*, OrtLoggingLevel severity, const char* category, const char*, const char* where, const char* message) {
  static const char kLetters[] = "VIWEF";
  std::lock_guard<std::mutex> lock(g_logMutex);
  if (!g_log) return;
  char stamp[32];
  time_t now = time(nullptr);
  struct tm parts;
#ifdef _WIN32
  gmtime_s(&parts, &now);
#else
  gmtime_r(&now, &parts);
#endif
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &parts);
  fprintf(g_log, "%s [%c:%s %s] %s\n", stamp, kLetters[severity < 0 || severity > 4 ? 2 : severity], category, where, message);
  fflush(g_log);
}

// Releases every live session's tensors and ORT session (defined after Session).
void DropAllSessions();

// init(libonnxruntime path, {logPath}): without logPath onnxruntime logs to stderr as usual.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!g_base) {
    std::string path = info[0].As<Napi::String>();
#ifdef _WIN32
    HMODULE handle = LoadLibraryA(path.c_str());
    if (!handle) throw Napi::Error::New(env, "cannot load " + path);
    auto get = reinterpret_cast<const OrtApiBase* (*)()>(GetProcAddress(handle, "OrtGetApiBase"));
#else
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw Napi::Error::New(env, std::string("cannot load onnxruntime: ") + dlerror());
    auto get = reinterpret_cast<const OrtApiBase* (*)()>(dlsym(handle, "OrtGetApiBase"));
#endif
    if (!get) throw Napi::Error::New(env, "OrtGetApiBase not found in " + path);
    const OrtApi* api = get()->GetApi(ORT_API_VERSION);
    if (!api) {
      throw Napi::Error::New(env, std::string("onnxruntime ") + get()->GetVersionString() + " lacks C API version " +
                                      std::to_string(ORT_API_VERSION));
    }
    Ort::InitApi(api);
    std::string logPath;
    if (info.Length() > 1 && info[1].IsObject() && info[1].As<Napi::Object>().Has("logPath")) {
      logPath = info[1].As<Napi::Object>().Get("logPath").ToString().Utf8Value();
    }
    if (!logPath.empty()) g_log = fopen(logPath.c_str(), "a");
    if (g_log) {
      g_env = std::make_unique<Ort::Env>(ORT_LOGGING_LEVEL_WARNING, "quire", LogToFile, nullptr);
    } else {
      g_env = std::make_unique<Ort::Env>(ORT_LOGGING_LEVEL_WARNING, "quire");
    }
    g_base = get();
    // At exit, sessions and then the environment are released while Node is still whole. Left to static
    // destructors, a WebGPU device with buffers on it is torn down after Dawn's Vulkan driver (SwiftShader
    // segfaults the process's exit that way).
    napi_add_env_cleanup_hook(env, [](void*) {
      DropAllSessions();
      g_env.reset();
    }, nullptr);
  }
  return Napi::String::New(env, g_base->GetVersionString());
}

// Host memory that reads as zeros without having been written: calloc hands a large block over as fresh pages
// from the system, so a 1M-token cache or RoPE table costs nothing at load and only the rows written become
// resident (a memset would touch every page of it before the first token). Aligned for the kernels' loads.
class ZeroedBuffer {
 public:
  ZeroedBuffer() = default;
  explicit ZeroedBuffer(size_t bytes) : raw_(std::calloc(bytes + kAlign, 1), std::free), bytes_(bytes) {
    if (!raw_) throw std::runtime_error("out of host memory for " + std::to_string(bytes) + " bytes");
    auto at = reinterpret_cast<uintptr_t>(raw_.get());
    data_ = reinterpret_cast<uint8_t*>((at + kAlign - 1) & ~static_cast<uintptr_t>(kAlign - 1));
  }
  uint8_t* data() const { return data_; }
  size_t size() const { return bytes_; }

 private:
  static constexpr size_t kAlign = 64;
  std::unique_ptr<void, void (*)(void*)> raw_{nullptr, std::free};
  uint8_t* data_ = nullptr;
  size_t bytes_ = 0;
};

// The buffer is declared before the tensor over it, so the tensor goes first.
struct HostInput {
  ZeroedBuffer bytes;
  Ort::Value value{nullptr};
};

struct KvTensor {
  std::string past;
  std::string present;
  ZeroedBuffer host;
  Ort::Value value{nullptr};
};

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session",
                       {InstanceMethod("describe", &Session::Describe), InstanceMethod("allocKv", &Session::AllocKv),
                        InstanceMethod("setInput", &Session::SetInput), InstanceMethod("allocInput", &Session::AllocInput),
                        InstanceMethod("writeInput", &Session::WriteInput),
                        InstanceMethod("bindHostOutput", &Session::BindHostOutput),
                        InstanceMethod("run", &Session::Run), InstanceMethod("cancel", &Session::Cancel),
                        InstanceMethod("saveKv", &Session::SaveKv), InstanceMethod("loadKv", &Session::LoadKv),
                        InstanceMethod("kvSnapshots", &Session::KvSnapshots),
                        InstanceMethod("release", &Session::Release)});
  }

  // new Session(modelPath, {provider, providerOptions, sessionConfig, intraOpThreads})
  ~Session() { Live().erase(this); }

  // Sessions not yet finalized, for DropAllSessions at exit.
  static std::set<Session*>& Live() {
    static std::set<Session*> live;
    return live;
  }

  explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    if (!g_env) throw Napi::Error::New(env, "call init(libonnxruntime path) first");
    std::string path = info[0].As<Napi::String>();
    Napi::Object options = info.Length() > 1 ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    try {
      Ort::SessionOptions so;
      so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
      if (options.Has("intraOpThreads")) so.SetIntraOpNumThreads(options.Get("intraOpThreads").As<Napi::Number>().Int32Value());
      if (options.Has("sessionConfig")) {
        Napi::Object config = options.Get("sessionConfig").As<Napi::Object>();
        Napi::Array keys = config.GetPropertyNames();
        for (uint32_t i = 0; i < keys.Length(); i++) {
          std::string key = keys.Get(i).As<Napi::String>();
          so.AddConfigEntry(key.c_str(), config.Get(key).ToString().Utf8Value().c_str());
        }
      }
      provider_ = options.Has("provider") ? options.Get("provider").As<Napi::String>().Utf8Value() : "cpu";
      std::map<std::string, std::string> providerOptions;
      if (options.Has("providerOptions")) {
        Napi::Object po = options.Get("providerOptions").As<Napi::Object>();
        Napi::Array keys = po.GetPropertyNames();
        for (uint32_t i = 0; i < keys.Length(); i++) {
          std::string key = keys.Get(i).As<Napi::String>();
          providerOptions[key] = po.Get(key).ToString().Utf8Value();
        }
      }
      AppendProvider(so, providerOptions);
      if (provider_ == "cpu") {
        // int4Kernel, attentionKernel: true for the widest path this CPU runs, or a path's name (to compare them).
        auto path = [&](const char* name) -> std::string {
          const Napi::Value v = options.Has(name) ? options.Get(name) : env.Undefined();
          return v.IsString() ? v.As<Napi::String>().Utf8Value() : v.ToBoolean().Value() ? "widest" : "";
        };
        quire::UseCpuOps(so, quire::Int4Path(path("int4Kernel")), quire::AttentionPath(path("attentionKernel")));
      }
#ifdef _WIN32
      std::wstring wpath(path.begin(), path.end());
      session_ = std::make_unique<Ort::Session>(*g_env, wpath.c_str(), so);
#else
      session_ = std::make_unique<Ort::Session>(*g_env, path.c_str(), so);
#endif
      binding_ = std::make_unique<Ort::IoBinding>(*session_);
    } catch (const Ort::Exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    Live().insert(this);
  }

  std::mutex mutex_;  // guards running_, cancelPending_ and busy_ between the JS thread and the worker
  OrtRunOptions* running_ = nullptr;
  // A cancel that arrived after run() was called but before the worker thread started its run: applied to the
  // run's options as soon as they exist, so it is not lost.
  bool cancelPending_ = false;
  bool runQueued_ = false;
  bool busy_ = false;
  std::unique_ptr<Ort::Session> session_;
  std::unique_ptr<Ort::IoBinding> binding_;
  std::map<std::string, HostInput> inputs_;
  std::set<std::string> hostOutputs_;
  std::vector<KvTensor> kv_;
  std::vector<int64_t> kvShape_;  // [1, kvHeads, capacity, rowElements]
  size_t kvRowBytes_ = 0;
  ONNXTensorElementDataType kvType_ = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  bool kvOnHost_ = true;
  // Empty when the cache can be copied to and from host memory (snapshots possible), else why not.
  std::string kvCopyProblem_;
  std::unique_ptr<Ort::Allocator> deviceAllocator_;
  std::string provider_;

  void CheckIdle(Napi::Env env) {
    if (!session_) throw Napi::Error::New(env, "session released");
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_) throw Napi::Error::New(env, "session busy: one run or KV copy at a time");
  }

  void SetBusy(bool busy) {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = busy;
  }

 private:
  void AppendProvider(Ort::SessionOptions& so, const std::map<std::string, std::string>& options) {
    if (provider_ == "cpu") return;
    if (provider_ == "cuda") {
      OrtCUDAProviderOptionsV2* cuda = nullptr;
      Ort::ThrowOnError(Ort::GetApi().CreateCUDAProviderOptions(&cuda));
      std::vector<const char*> keys, values;
      for (const auto& [k, v] : options) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
      }
      OrtStatus* status = Ort::GetApi().UpdateCUDAProviderOptions(cuda, keys.data(), values.data(), keys.size());
      if (!status) status = Ort::GetApi().SessionOptionsAppendExecutionProvider_CUDA_V2(so, cuda);
      Ort::GetApi().ReleaseCUDAProviderOptions(cuda);
      Ort::ThrowOnError(status);
      return;
    }
    // Providers reached through the generic entry point take string options unchanged (WebGPU's
    // kvCacheQuantizationBits and enableGraphCapture among them).
    static const std::map<std::string, std::string> names = {{"webgpu", "WebGPU"}, {"dml", "DML"}, {"coreml", "CoreML"}};
    auto name = names.find(provider_);
    if (name == names.end()) throw Ort::Exception("unknown provider " + provider_, ORT_INVALID_ARGUMENT);
    so.AppendExecutionProvider(name->second, std::unordered_map<std::string, std::string>(options.begin(), options.end()));
  }

  Napi::Value Describe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    auto list = [&](bool inputs) {
      size_t n = inputs ? session_->GetInputCount() : session_->GetOutputCount();
      Napi::Array array = Napi::Array::New(env, n);
      Ort::AllocatorWithDefaultOptions allocator;
      for (size_t i = 0; i < n; i++) {
        auto name = inputs ? session_->GetInputNameAllocated(i, allocator) : session_->GetOutputNameAllocated(i, allocator);
        Ort::TypeInfo type = inputs ? session_->GetInputTypeInfo(i) : session_->GetOutputTypeInfo(i);
        auto tensor = type.GetTensorTypeAndShapeInfo();
        Napi::Object entry = Napi::Object::New(env);
        entry.Set("name", name.get());
        entry.Set("elementType", static_cast<int>(tensor.GetElementType()));
        std::vector<int64_t> shape = tensor.GetShape();
        Napi::Array dims = Napi::Array::New(env, shape.size());
        for (size_t d = 0; d < shape.size(); d++) dims.Set(d, static_cast<double>(shape[d]));
        entry.Set("shape", dims);
        array.Set(i, entry);
      }
      return array;
    };
    out.Set("inputs", list(true));
    out.Set("outputs", list(false));
    return out;
  }

  // allocKv([{past, present}, ...], shape, elementType, memoryName): one tensor per entry, bound both ways.
  Napi::Value AllocKv(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckIdle(env);
    Napi::Array entries = info[0].As<Napi::Array>();
    kvShape_ = ShapeArg(info[1]);
    auto type = static_cast<ONNXTensorElementDataType>(info[2].As<Napi::Number>().Int32Value());
    std::string memory = info.Length() > 3 ? info[3].As<Napi::String>().Utf8Value() : "Cpu";
    try {
      kvRowBytes_ = static_cast<size_t>(kvShape_.back()) * ElementBytes(type);
      kvType_ = type;
      kvOnHost_ = memory == "Cpu";
      kvCopyProblem_.clear();
      kv_.clear();
      if (!kvOnHost_) {
        Ort::MemoryInfo info(memory.c_str(), OrtDeviceAllocator, 0, OrtMemTypeDefault);
        deviceAllocator_ = std::make_unique<Ort::Allocator>(*session_, info);
      }
      for (uint32_t i = 0; i < entries.Length(); i++) {
        Napi::Object entry = entries.Get(i).As<Napi::Object>();
        KvTensor kv;
        kv.past = entry.Get("past").As<Napi::String>();
        kv.present = entry.Get("present").As<Napi::String>();
        // Host caches start zeroed so reads past the valid length are deterministic; device ones are only read
        // below the sequence length GQA is given.
        if (kvOnHost_) {
          size_t bytes = ElementCount(kvShape_) * ElementBytes(type);
          kv.host = ZeroedBuffer(bytes);
          Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
          kv.value = Ort::Value::CreateTensor(cpu, kv.host.data(), bytes, kvShape_.data(), kvShape_.size(), type);
        } else {
          kv.value = Ort::Value::CreateTensor(*deviceAllocator_, kvShape_.data(), kvShape_.size(), type);
        }
        binding_->BindInput(kv.past.c_str(), kv.value);
        binding_->BindOutput(kv.present.c_str(), kv.value);
        kv_.push_back(std::move(kv));
      }
      if (!kvOnHost_) kvCopyProblem_ = ProbeDeviceCopy();
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  // Whether ORT's environment can copy this provider's memory to the host (CopyTensors needs the provider's
  // data transfer registered there): tried once on a one-element tensor so a snapshot is known impossible at
  // load rather than after a whole prefill.
  std::string ProbeDeviceCopy() {
    try {
      const int64_t one[] = {1};
      Ort::Value device = Ort::Value::CreateTensor(*deviceAllocator_, one, 1, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT);
      float value = 0;
      Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
      Ort::Value host = Ort::Value::CreateTensor<float>(cpu, &value, 1, one, 1);
      Ort::Status status = g_env->CopyTensor(device, host, nullptr);
      if (!status.IsOK()) return status.GetErrorMessage();
      status = g_env->CopyTensor(host, device, nullptr);
      return status.IsOK() ? "" : status.GetErrorMessage();
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  Napi::Value KvSnapshots(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("ok", kv_.empty() || kvCopyProblem_.empty());
    out.Set("onDevice", !kvOnHost_);
    if (!kvCopyProblem_.empty()) out.Set("reason", kvCopyProblem_);
    return out;
  }

  // setInput(name, typedArray, shape, elementType): copied into addon-owned host memory and bound; ORT
  // moves it to the device when the provider needs it there.
  Napi::Value SetInput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckIdle(env);
    std::string name = info[0].As<Napi::String>();
    Napi::TypedArray array = info[1].As<Napi::TypedArray>();
    std::vector<int64_t> shape = ShapeArg(info[2]);
    auto type = static_cast<ONNXTensorElementDataType>(info[3].As<Napi::Number>().Int32Value());
    try {
      size_t bytes = ElementCount(shape) * ElementBytes(type);
      if (bytes != array.ByteLength()) throw std::runtime_error("input " + name + ": shape and data size disagree");
      BindHostInput(name, shape, type, bytes, static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  // allocInput(name, shape, elementType): a zeroed host input written in parts by writeInput. The RoPE tables
  // are bound at the context's full size (GroupQueryAttention wants every row there) but each step writes only
  // the rows it rotates, so a row nobody reaches is neither computed nor resident.
  Napi::Value AllocInput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckIdle(env);
    std::string name = info[0].As<Napi::String>();
    std::vector<int64_t> shape = ShapeArg(info[1]);
    auto type = static_cast<ONNXTensorElementDataType>(info[2].As<Napi::Number>().Int32Value());
    try {
      BindHostInput(name, shape, type, ElementCount(shape) * ElementBytes(type), nullptr);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  // writeInput(name, byteOffset, typedArray): copies the array into an input from byteOffset. For inputs the cpu
  // reads in place: a GPU provider's copy was made when the input was bound.
  Napi::Value WriteInput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckIdle(env);
    std::string name = info[0].As<Napi::String>();
    size_t offset = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
    Napi::TypedArray array = info[2].As<Napi::TypedArray>();
    auto found = inputs_.find(name);
    if (found == inputs_.end()) throw Napi::Error::New(env, "input " + name + " is not allocated");
    if (offset + array.ByteLength() > found->second.bytes.size()) throw Napi::Error::New(env, "input " + name + ": write past its end");
    std::memcpy(found->second.bytes.data() + offset, static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(), array.ByteLength());
    return env.Undefined();
  }

  // Filled from `data` (when given) before it is bound: binding is when a GPU provider copies it to the device.
  void BindHostInput(const std::string& name, const std::vector<int64_t>& shape, ONNXTensorElementDataType type, size_t bytes, const uint8_t* data) {
    HostInput& input = inputs_[name];
    if (input.bytes.size() != bytes || !input.bytes.data()) {
      input.value = Ort::Value{nullptr};
      input.bytes = ZeroedBuffer(bytes);
    }
    if (data) std::memcpy(input.bytes.data(), data, bytes);
    Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
    input.value = Ort::Value::CreateTensor(cpu, input.bytes.data(), bytes, shape.data(), shape.size(), type);
    binding_->BindInput(name.c_str(), input.value);
  }

  Napi::Value BindHostOutput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckIdle(env);
    std::string name = info[0].As<Napi::String>();
    try {
      Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
      binding_->BindOutput(name.c_str(), cpu);
      hostOutputs_.insert(name);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  class RunWorker : public Napi::AsyncWorker {
   public:
    RunWorker(Session* session, Napi::Object self)
        : Napi::AsyncWorker(self.Env(), "quire:run"),
          session_(session),
          self_(Napi::Persistent(self)),
          deferred_(Napi::Promise::Deferred::New(self.Env())) {}
    Napi::Promise Promise() { return deferred_.Promise(); }

    void Execute() override {
      Ort::RunOptions options;
      {
        std::lock_guard<std::mutex> lock(session_->mutex_);
        session_->running_ = options;
        session_->runQueued_ = false;
        if (session_->cancelPending_) Ort::ThrowOnError(Ort::GetApi().RunOptionsSetTerminate(options));
        session_->cancelPending_ = false;
      }
      try {
        session_->session_->Run(options, *session_->binding_);
        session_->binding_->SynchronizeOutputs();
        std::vector<std::string> names = session_->binding_->GetOutputNames();
        std::vector<Ort::Value> values = session_->binding_->GetOutputValues();
        for (size_t i = 0; i < names.size(); i++) {
          if (!session_->hostOutputs_.count(names[i])) continue;
          auto shapeInfo = values[i].GetTensorTypeAndShapeInfo();
          if (shapeInfo.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) throw std::runtime_error(names[i] + " is not float32");
          Output out{names[i], shapeInfo.GetShape(), {}};
          const float* data = values[i].GetTensorData<float>();
          out.data.assign(data, data + shapeInfo.GetElementCount());
          outputs_.push_back(std::move(out));
        }
      } catch (const Ort::Exception& e) {
        bool terminated = std::string(e.what()).find("terminate") != std::string::npos;
        SetError(terminated ? kCancelled : e.what());
      } catch (const std::exception& e) {
        SetError(e.what());
      }
      std::lock_guard<std::mutex> lock(session_->mutex_);
      session_->running_ = nullptr;
    }

    void OnOK() override {
      session_->SetBusy(false);
      Napi::Env env = Env();
      Napi::Object result = Napi::Object::New(env);
      for (auto& out : outputs_) {
        Napi::Float32Array data = Napi::Float32Array::New(env, out.data.size());
        std::memcpy(data.Data(), out.data.data(), out.data.size() * sizeof(float));
        Napi::Array dims = Napi::Array::New(env, out.shape.size());
        for (size_t d = 0; d < out.shape.size(); d++) dims.Set(d, static_cast<double>(out.shape[d]));
        Napi::Object entry = Napi::Object::New(env);
        entry.Set("data", data);
        entry.Set("dims", dims);
        result.Set(out.name, entry);
      }
      deferred_.Resolve(result);
    }

    void OnError(const Napi::Error& error) override {
      session_->SetBusy(false);
      deferred_.Reject(error.Value());
    }

   private:
    struct Output {
      std::string name;
      std::vector<int64_t> shape;
      std::vector<float> data;
    };
    Session* session_;
    Napi::ObjectReference self_;  // keeps the session alive while the worker uses it
    Napi::Promise::Deferred deferred_;
    std::vector<Output> outputs_;
  };

  Napi::Value Run(const Napi::CallbackInfo& info) {
    CheckIdle(info.Env());
    // A bound output keeps the tensor ORT allocated for it last time, and its shape changes with every chunk
    // length: rebinding to the memory info lets ORT allocate this run's shape.
    try {
      Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
      for (const auto& name : hostOutputs_) binding_->BindOutput(name.c_str(), cpu);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      runQueued_ = true;
      cancelPending_ = false;
    }
    SetBusy(true);
    auto* worker = new RunWorker(this, info.This().As<Napi::Object>());
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  // Safe from the JS thread while the worker runs: ORT polls the terminate flag between kernels.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) Ort::ThrowOnError(Ort::GetApi().RunOptionsSetTerminate(running_));
    // A run queued but not started yet: it starts already terminated.
    else if (runQueued_) cancelPending_ = true;
    return Napi::Boolean::New(info.Env(), running_ != nullptr || runQueued_);
  }

  // Copies rows [0, tokens) of every head of every KV tensor to or from a file at `offset`, in the snapshot
  // body layout: tensor by tensor (layer 0 K, layer 0 V, …), head by head. The body is checksummed in blocks
  // as it streams: a save returns the block CRCs, a load checks them and fails at the first bad block, so a
  // corrupt snapshot is never taken for a cache. The file moves in pieces of kBlocksPerIo blocks (16 MiB at
  // the snapshot's 1 MiB blocks), each one vectored call over the head spans it covers, and the checksums run
  // on a second thread beside the I/O: a save sums what it writes while writing it and starts the disk's
  // writeback of each piece as it goes (the final fsync then waits for little); a load checks piece k while
  // piece k + 1 is read, with the kernel reading ahead of both. A device cache passes tensor by tensor
  // through one host staging buffer (CopyTensor moves whole tensors; a WebGPU buffer cannot be addressed at an
  // offset), so the host never holds more than one layer's K or V, and the next tensor's first pieces are
  // fetched from the disk while one is copied to the device.
  class KvFileWorker : public Napi::AsyncWorker {
   public:
    KvFileWorker(Session* session, Napi::Object self, std::string path, int64_t offset, int64_t tokens, size_t blockBytes,
                 bool save, std::vector<uint32_t> expected)
        : Napi::AsyncWorker(self.Env(), "quire:kv-file"),
          session_(session),
          self_(Napi::Persistent(self)),
          deferred_(Napi::Promise::Deferred::New(self.Env())),
          path_(std::move(path)),
          offset_(offset),
          tokens_(tokens),
          save_(save),
          ioBytes_(kBlocksPerIo * blockBytes),
          blockBytes_(blockBytes),
          sums_(blockBytes),
          expected_(std::move(expected)) {}
    Napi::Promise Promise() { return deferred_.Promise(); }

    void Execute() override {
#ifdef _WIN32
      fd_ = _open(path_.c_str(), (save_ ? _O_WRONLY : _O_RDONLY) | _O_BINARY);
#else
      fd_ = open(path_.c_str(), save_ ? O_WRONLY : O_RDONLY);
#endif
      if (fd_ < 0) return SetError("cannot open " + path_);
      try {
        Stream();
      } catch (const std::exception& e) {
        SetError(e.what());
      }
#ifdef _WIN32
      _close(fd_);
#else
      close(fd_);
#endif
    }

    void OnOK() override {
      session_->SetBusy(false);
      Napi::Env env = Env();
      if (!save_) return deferred_.Resolve(env.Undefined());
      const auto& sums = sums_.Sums();
      Napi::Uint32Array out = Napi::Uint32Array::New(env, sums.size());
      if (!sums.empty()) std::memcpy(out.Data(), sums.data(), sums.size() * sizeof(uint32_t));
      deferred_.Resolve(out);
    }
    void OnError(const Napi::Error& error) override {
      session_->SetBusy(false);
      deferred_.Reject(error.Value());
    }

   private:
    static constexpr size_t kBlocksPerIo = 16;
    // How much of the next tensor the kernel is asked to fetch while a device copy runs, in pieces.
    static constexpr size_t kReadAheadPieces = 2;
    using Span = std::pair<const uint8_t*, size_t>;
    // A piece of the file: where it starts and the memory spans it covers, in order.
    struct Piece {
      int64_t position;
      size_t bytes;
      std::vector<Span> spans;
    };

    void Stream() {
      const int64_t heads = session_->kvShape_[1], capacity = session_->kvShape_[2];
      const size_t rowBytes = session_->kvRowBytes_;
      const size_t headBytes = static_cast<size_t>(tokens_) * rowBytes;
      const size_t tensorBytes = static_cast<size_t>(heads * capacity) * rowBytes;
      const size_t bodyBytes = session_->kv_.size() * static_cast<size_t>(heads) * headBytes;
      if (!save_ && expected_.size() != (bodyBytes + blockBytes_ - 1) / blockBytes_) {
        throw std::runtime_error("CORRUPT: snapshot has " + std::to_string(expected_.size()) + " checksums for " +
                                 std::to_string((bodyBytes + blockBytes_ - 1) / blockBytes_) + " blocks");
      }
#ifdef __linux__
      // Doubles the kernel's read-ahead window, which then fetches ahead of the reads on its own. Asking for
      // each next piece (WILLNEED) instead submits its I/O on the reading thread: cold restores of 1 GiB ran at
      // 1.1-1.3 GB/s that way against 1.8-2.3 GB/s with this alone (this machine, read_ahead_kb 8192).
      if (!save_) posix_fadvise(fd_, offset_, static_cast<off_t>(bodyBytes), POSIX_FADV_SEQUENTIAL);
#endif
      auto spansOf = [&](uint8_t* base) {
        std::vector<Span> spans;
        for (int64_t h = 0; h < heads; h++) spans.emplace_back(base + static_cast<size_t>(h * capacity) * rowBytes, headBytes);
        return spans;
      };
      if (session_->kvOnHost_) {
        std::vector<Span> spans;
        for (auto& kv : session_->kv_) {
          auto tensor = spansOf(static_cast<uint8_t*>(kv.value.GetTensorMutableRawData()));
          spans.insert(spans.end(), tensor.begin(), tensor.end());
        }
        Pump(spans, 0);
      } else {
        // Zeroed once: rows past `tokens` go to the device on a load, and are never read there.
        std::vector<uint8_t> staging(tensorBytes, 0);
        Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
        Ort::Value host = Ort::Value::CreateTensor(cpu, staging.data(), tensorBytes, session_->kvShape_.data(),
                                                   session_->kvShape_.size(), session_->kvType_);
        const size_t bodyTensorBytes = static_cast<size_t>(heads) * headBytes;
        size_t at = 0;
        for (auto& kv : session_->kv_) {
          if (save_) Copy(kv.value, host);
          // Checked before a loaded tensor reaches the device, so a bad block fails this tensor's copy.
          Pump(spansOf(staging.data()), at);
          at += bodyTensorBytes;
          if (save_) continue;
          // The disk fetches the next tensor while this one goes to the device.
          if (at < bodyBytes) ReadAhead(offset_ + static_cast<int64_t>(at), std::min(bodyTensorBytes, kReadAheadPieces * ioBytes_));
          Copy(host, kv.value);
        }
      }
      int64_t bad = sums_.Finish(save_ ? nullptr : &expected_);
      if (bad >= 0) throw std::runtime_error("CORRUPT: snapshot block " + std::to_string(bad) + " fails its checksum");
    }

    // The spans starting `at` bytes into the body, cut into pieces at multiples of ioBytes_ of the body, so a
    // piece is whole blocks wherever the head and tensor boundaries fall.
    std::vector<Piece> Cut(const std::vector<Span>& spans, size_t at) const {
      std::vector<Piece> pieces;
      for (const auto& [p, length] : spans) {
        for (size_t done = 0; done < length;) {
          if (pieces.empty() || (at % ioBytes_) == 0) pieces.push_back({offset_ + static_cast<int64_t>(at), 0, {}});
          size_t take = std::min(length - done, ioBytes_ - at % ioBytes_);
          pieces.back().spans.emplace_back(p + done, take);
          pieces.back().bytes += take;
          done += take;
          at += take;
        }
      }
      return pieces;
    }

    // Moves the spans, which begin `at` bytes into the body, through the file and the checksums.
    void Pump(const std::vector<Span>& spans, size_t at) {
      std::vector<Piece> pieces = Cut(spans, at);
      if (save_) {
        // What is written does not change while it is written, so it is summed all at once beside the writes.
        std::thread summer([&] { sums_.FeedSpans(spans, nullptr); });
        try {
          for (const Piece& piece : pieces) {
            Transfer(piece);
#ifdef __linux__
            sync_file_range(fd_, piece.position, static_cast<off_t>(piece.bytes), SYNC_FILE_RANGE_WRITE);
#endif
          }
        } catch (...) {
          summer.join();
          throw;
        }
        summer.join();
        return;
      }
      std::mutex mutex;
      std::condition_variable changed;
      size_t read = 0;
      bool stop = false;
      int64_t bad = -1;
      std::thread checker([&] {
        for (size_t k = 0; k < pieces.size(); k++) {
          {
            std::unique_lock<std::mutex> lock(mutex);
            changed.wait(lock, [&] { return read > k || stop; });
            if (read <= k) return;
          }
          int64_t b = sums_.FeedSpans(pieces[k].spans, &expected_);
          if (b >= 0) {
            std::lock_guard<std::mutex> lock(mutex);
            bad = b;
            stop = true;
            return;
          }
        }
      });
      try {
        for (size_t k = 0; k < pieces.size(); k++) {
          {
            std::lock_guard<std::mutex> lock(mutex);
            if (stop) break;
          }
          Transfer(pieces[k]);
          {
            std::lock_guard<std::mutex> lock(mutex);
            read = k + 1;
          }
          changed.notify_one();
        }
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          stop = true;
        }
        changed.notify_one();
        checker.join();
        throw;
      }
      checker.join();
      if (bad >= 0) throw std::runtime_error("CORRUPT: snapshot block " + std::to_string(bad) + " fails its checksum");
    }
    // Asks the kernel to start reading a range of the file into its cache (Linux; elsewhere its own read-ahead).
    void ReadAhead(int64_t position, size_t bytes) {
#ifdef __linux__
      posix_fadvise(fd_, position, static_cast<off_t>(bytes), POSIX_FADV_WILLNEED);
#endif
    }

    void Copy(const Ort::Value& from, Ort::Value& to) {
      Ort::Status status = g_env->CopyTensor(from, to, nullptr);
      if (!status.IsOK()) throw std::runtime_error("KV copy between device and host failed: " + status.GetErrorMessage());
    }

    // One piece with as few system calls as the platform allows, resuming after short transfers.
    void Transfer(const Piece& piece) {
      const std::string failed = save_ ? "short write to " + path_ : "CORRUPT: snapshot body is truncated";
      int64_t position = piece.position;
#ifdef _WIN32
      for (const auto& [p, length] : piece.spans) {
        uint8_t* bytes = const_cast<uint8_t*>(p);
        for (size_t done = 0; done < length;) {
          _lseeki64(fd_, position, SEEK_SET);
          unsigned chunk = static_cast<unsigned>(std::min<size_t>(length - done, 1u << 30));
          long n = save_ ? _write(fd_, bytes + done, chunk) : _read(fd_, bytes + done, chunk);
          if (n <= 0) throw std::runtime_error(failed);
          done += static_cast<size_t>(n);
          position += n;
        }
      }
#else
      std::vector<iovec> iov;
      for (const auto& [p, length] : piece.spans) iov.push_back({const_cast<uint8_t*>(p), length});
      constexpr size_t kMaxIov = 1024;  // IOV_MAX on Linux and macOS
      for (size_t first = 0; first < iov.size();) {
        int count = static_cast<int>(std::min(iov.size() - first, kMaxIov));
        ssize_t n = save_ ? pwritev(fd_, &iov[first], count, position) : preadv(fd_, &iov[first], count, position);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(failed);
        position += n;
        size_t left = static_cast<size_t>(n);
        for (; first < iov.size() && iov[first].iov_len <= left; first++) left -= iov[first].iov_len;
        if (left > 0) {
          iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
          iov[first].iov_len -= left;
        }
      }
#endif
    }

    Session* session_;
    Napi::ObjectReference self_;
    Napi::Promise::Deferred deferred_;
    std::string path_;
    int64_t offset_, tokens_;
    bool save_;
    size_t ioBytes_, blockBytes_;
    int fd_ = -1;
    BlockSums sums_;
    std::vector<uint32_t> expected_;
  };

  // saveKv(path, offset, tokens, blockBytes) → Uint32Array of block CRCs;
  // loadKv(path, offset, tokens, blockBytes, expected Uint32Array) → undefined, or rejects "CORRUPT: …".
  Napi::Value KvFile(const Napi::CallbackInfo& info, bool save) {
    Napi::Env env = info.Env();
    CheckIdle(env);
    if (kv_.empty()) throw Napi::Error::New(env, "no KV cache allocated");
    if (!kvCopyProblem_.empty()) throw Napi::Error::New(env, "KV cache cannot be copied to the host on " + provider_ + ": " + kvCopyProblem_);
    int64_t tokens = info[2].As<Napi::Number>().Int64Value();
    if (tokens < 0 || tokens > kvShape_[2]) throw Napi::Error::New(env, "token count outside the cache");
    int64_t blockBytes = info[3].As<Napi::Number>().Int64Value();
    if (blockBytes <= 0) throw Napi::Error::New(env, "block size must be positive");
    std::vector<uint32_t> expected;
    if (!save) {
      Napi::Uint32Array sums = info[4].As<Napi::Uint32Array>();
      expected.assign(sums.Data(), sums.Data() + sums.ElementLength());
    }
    SetBusy(true);
    auto* worker = new KvFileWorker(this, info.This().As<Napi::Object>(), info[0].As<Napi::String>(),
                                    info[1].As<Napi::Number>().Int64Value(), tokens, static_cast<size_t>(blockBytes), save,
                                    std::move(expected));
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value SaveKv(const Napi::CallbackInfo& info) { return KvFile(info, true); }
  Napi::Value LoadKv(const Napi::CallbackInfo& info) { return KvFile(info, false); }

  Napi::Value Release(const Napi::CallbackInfo& info) {
    CheckIdle(info.Env());
    binding_.reset();
    kv_.clear();
    inputs_.clear();
    deviceAllocator_.reset();
    session_.reset();
    return info.Env().Undefined();
  }
};

void DropAllSessions() {
  for (Session* s : Session::Live()) {
    s->binding_.reset();
    s->kv_.clear();
    s->inputs_.clear();
    s->deviceAllocator_.reset();
    s->session_.reset();
  }
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("Session", Session::Define(env));
  exports.Set("apiVersion", Napi::Number::New(env, ORT_API_VERSION));
  // int4Kernel, attentionKernel: whether this CPU runs the kernel; …Paths: the paths it runs, widest first.
  auto kernel = [&](const std::string& name, const std::vector<std::string>& names) {
    exports.Set(name, Napi::Boolean::New(env, !names.empty()));
    Napi::Array paths = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); i++) paths.Set(static_cast<uint32_t>(i), names[i]);
    exports.Set(name + "Paths", paths);
  };
  kernel("int4Kernel", quire::Int4Paths());
  kernel("attentionKernel", quire::AttentionPaths());
  exports.Set("probeVulkan", Napi::Function::New(env, ProbeVulkan));  // gpu_probe.cc
  RegisterWeightCodecs(env, exports);
  RegisterBlake3(env, exports);
  RegisterCheckpointIo(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(quire_ort, Module)
