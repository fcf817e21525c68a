// Gives the C heap's free pages back to the system. A document parser runs in a worker thread of the app's
// process; when it ends, V8 frees its isolate into glibc's malloc arenas, which keep those pages (hundreds of
// MB after a large book) as if they were still in use. malloc_trim returns them. Elsewhere (macOS, Windows,
// musl; and Electron's main process, where Chromium's allocator stands in for malloc) it does nothing.
#include <napi.h>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#endif

Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
#if defined(__linux__) && defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}
