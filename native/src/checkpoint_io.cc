// What the converter's checkpoint reader (models/tensor-prefetch.ts) needs beyond node:fs to read with O_DIRECT:
// where a shared buffer's memory sits relative to a block boundary (O_DIRECT wants the address aligned, and JS
// cannot see it), and whether a range of a file is in the page cache already, so that a checkpoint still in
// memory (just downloaded or read) is not read from the disk again.
#include <napi.h>

#include <cstdint>

#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>

#include <vector>
#endif

namespace {

// addressModulo(view: Uint8Array, block): the address of the view's first byte modulo `block`.
Napi::Value AddressModulo(const Napi::CallbackInfo& info) {
  auto view = info[0].As<Napi::Uint8Array>();
  const auto block = static_cast<uintptr_t>(info[1].As<Napi::Number>().Int64Value());
  if (block == 0) throw Napi::RangeError::New(info.Env(), "addressModulo: block must be positive");
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(view.Data()) % block));
}

#ifdef __linux__
// inPageCache(fd, position, length): whether every page of the file's [position, position + length) is in the
// page cache, asked of a mapping of the range that is never touched (mincore). Asking must not read: a read
// with RWF_NOWAIT that finds a page missing still starts the readahead of the pages after it. The kernel
// answers all-cached for a file the caller neither owns nor may write, so such a file is read buffered.
Napi::Value InPageCache(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int64_t position = info[1].As<Napi::Number>().Int64Value();
  const int64_t length = info[2].As<Napi::Number>().Int64Value();
  if (position < 0 || length < 0) throw Napi::RangeError::New(env, "inPageCache: negative range");
  if (length == 0) return Napi::Boolean::New(env, true);
  static const int64_t page = sysconf(_SC_PAGESIZE);
  const int64_t first = position / page * page;
  const size_t span = static_cast<size_t>(position + length - first);
  void* map = mmap(nullptr, span, PROT_READ, MAP_SHARED, fd, first);
  // A file that cannot be mapped: cannot tell, and the disk gives the same bytes.
  if (map == MAP_FAILED) return Napi::Boolean::New(env, false);
  std::vector<unsigned char> resident((span + page - 1) / page);
  const bool known = mincore(map, span, resident.data()) == 0;
  munmap(map, span);
  for (unsigned char r : resident) {
    if (!known || !(r & 1)) return Napi::Boolean::New(env, false);
  }
  return Napi::Boolean::New(env, true);
}
#endif

}  // namespace

void RegisterCheckpointIo(Napi::Env env, Napi::Object exports) {
  exports.Set("addressModulo", Napi::Function::New(env, AddressModulo));
#ifdef __linux__
  exports.Set("inPageCache", Napi::Function::New(env, InPageCache));
#endif
}
