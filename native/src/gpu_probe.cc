// probeVulkan(): the GPUs the Vulkan loader sees, as Dawn (onnxruntime's WebGPU provider, Vulkan underneath on
// Linux) will see them: name, type (a CPU type is a software rasterizer such as SwiftShader or llvmpipe),
// driver, device-local memory, and whether 16-bit float shaders are possible. onnxruntime exports none of
// Dawn's adapter queries, so this asks the same loader Dawn loads. The loader is opened at call time; no
// Vulkan SDK or header is needed to build, so the few structures used are declared here by their
// specified layouts (Vulkan 1.0/1.1/1.2 core).
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace {

using VkFlags = uint32_t;
using VkBool32 = uint32_t;
using VkResult = int32_t;
using VkInstance = struct VkInstance_T*;
using VkPhysicalDevice = struct VkPhysicalDevice_T*;
using PFN_vkVoidFunction = void (*)();

constexpr uint32_t MakeVersion(uint32_t major, uint32_t minor) { return (major << 22) | (minor << 12); }

struct VkApplicationInfo {
  uint32_t sType;  // VK_STRUCTURE_TYPE_APPLICATION_INFO = 0
  const void* pNext;
  const char* pApplicationName;
  uint32_t applicationVersion;
  const char* pEngineName;
  uint32_t engineVersion;
  uint32_t apiVersion;
};

struct VkInstanceCreateInfo {
  uint32_t sType;  // VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO = 1
  const void* pNext;
  VkFlags flags;
  const VkApplicationInfo* pApplicationInfo;
  uint32_t enabledLayerCount;
  const char* const* ppEnabledLayerNames;
  uint32_t enabledExtensionCount;
  const char* const* ppEnabledExtensionNames;
};

// VkPhysicalDeviceProperties is 824 bytes; only its head is read (apiVersion, driverVersion, vendorID,
// deviceID, deviceType, deviceName[256]), so it is received into an aligned buffer of ample size.
struct alignas(8) PropertiesBuffer {
  uint8_t bytes[1024];
};

struct VkPhysicalDeviceDriverProperties {
  uint32_t sType;  // 1000196000
  void* pNext;
  uint32_t driverID;
  char driverName[256];
  char driverInfo[256];
  uint8_t conformanceVersion[4];
};

struct VkPhysicalDeviceProperties2 {
  uint32_t sType;  // 1000059001
  void* pNext;
  PropertiesBuffer properties;
};

struct VkMemoryHeap {
  uint64_t size;
  VkFlags flags;  // VK_MEMORY_HEAP_DEVICE_LOCAL_BIT = 1
};

struct VkPhysicalDeviceMemoryProperties {
  uint32_t memoryTypeCount;
  uint32_t memoryTypes[32][2];
  uint32_t memoryHeapCount;
  VkMemoryHeap memoryHeaps[16];
};

struct VkPhysicalDeviceFloat16Int8Features {
  uint32_t sType;  // 1000082000
  void* pNext;
  VkBool32 shaderFloat16;
  VkBool32 shaderInt8;
};

struct VkPhysicalDevice16BitStorageFeatures {
  uint32_t sType;  // 1000083000
  void* pNext;
  VkBool32 storageBuffer16BitAccess;
  VkBool32 uniformAndStorageBuffer16BitAccess;
  VkBool32 storagePushConstant16;
  VkBool32 storageInputOutput16;
};

struct VkPhysicalDeviceFeatures2 {
  uint32_t sType;  // 1000059000
  void* pNext;
  VkBool32 features[55];
};

using PFN_vkGetInstanceProcAddr = PFN_vkVoidFunction (*)(VkInstance, const char*);
using PFN_vkCreateInstance = VkResult (*)(const VkInstanceCreateInfo*, const void*, VkInstance*);
using PFN_vkDestroyInstance = void (*)(VkInstance, const void*);
using PFN_vkEnumeratePhysicalDevices = VkResult (*)(VkInstance, uint32_t*, VkPhysicalDevice*);
using PFN_vkGetPhysicalDeviceProperties = void (*)(VkPhysicalDevice, PropertiesBuffer*);
using PFN_vkGetPhysicalDeviceProperties2 = void (*)(VkPhysicalDevice, VkPhysicalDeviceProperties2*);
using PFN_vkGetPhysicalDeviceMemoryProperties = void (*)(VkPhysicalDevice, VkPhysicalDeviceMemoryProperties*);
using PFN_vkGetPhysicalDeviceFeatures2 = void (*)(VkPhysicalDevice, VkPhysicalDeviceFeatures2*);

uint32_t ReadU32(const PropertiesBuffer& p, size_t offset) {
  uint32_t v;
  std::memcpy(&v, p.bytes + offset, 4);
  return v;
}

// A result the JS side can always read: {ok:false, reason} instead of throwing, since no Vulkan is a normal
// machine state (macOS, a server without GPU drivers).
Napi::Object Failure(Napi::Env env, const std::string& reason) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", false);
  out.Set("reason", reason);
  return out;
}

}  // namespace

Napi::Value ProbeVulkan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef _WIN32
  HMODULE lib = LoadLibraryA("vulkan-1.dll");
  if (!lib) return Failure(env, "no Vulkan loader (vulkan-1.dll)");
  auto getProc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(GetProcAddress(lib, "vkGetInstanceProcAddr"));
#elif defined(__APPLE__)
  void* lib = dlopen("libvulkan.1.dylib", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return Failure(env, "no Vulkan loader (libvulkan.1.dylib)");
  auto getProc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
#else
  // The soname Dawn itself opens, so LD_LIBRARY_PATH and VK_ICD_FILENAMES steer both the same way.
  void* lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return Failure(env, std::string("no Vulkan loader: ") + dlerror());
  auto getProc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
#endif
  if (!getProc) return Failure(env, "the Vulkan loader lacks vkGetInstanceProcAddr");
  auto createInstance = reinterpret_cast<PFN_vkCreateInstance>(getProc(nullptr, "vkCreateInstance"));
  if (!createInstance) return Failure(env, "the Vulkan loader lacks vkCreateInstance");

  VkApplicationInfo app{0, nullptr, "quire-probe", 1, "quire", 1, MakeVersion(1, 2)};
  VkInstanceCreateInfo create{1, nullptr, 0, &app, 0, nullptr, 0, nullptr};
  VkInstance instance = nullptr;
  VkResult result = createInstance(&create, nullptr, &instance);
  if (result != 0) {
    // A 1.0-only loader refuses a higher apiVersion; the device list is still worth having.
    app.apiVersion = MakeVersion(1, 0);
    result = createInstance(&create, nullptr, &instance);
  }
  if (result != 0 || !instance) return Failure(env, "vkCreateInstance failed (" + std::to_string(result) + "): no usable Vulkan driver");
  bool instance11 = app.apiVersion >= MakeVersion(1, 1);

  auto destroy = reinterpret_cast<PFN_vkDestroyInstance>(getProc(instance, "vkDestroyInstance"));
  auto enumerate = reinterpret_cast<PFN_vkEnumeratePhysicalDevices>(getProc(instance, "vkEnumeratePhysicalDevices"));
  auto properties = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties>(getProc(instance, "vkGetPhysicalDeviceProperties"));
  auto properties2 = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2>(getProc(instance, "vkGetPhysicalDeviceProperties2"));
  auto memory = reinterpret_cast<PFN_vkGetPhysicalDeviceMemoryProperties>(getProc(instance, "vkGetPhysicalDeviceMemoryProperties"));
  auto features2 = reinterpret_cast<PFN_vkGetPhysicalDeviceFeatures2>(getProc(instance, "vkGetPhysicalDeviceFeatures2"));
  if (!destroy || !enumerate || !properties || !memory) {
    if (destroy) destroy(instance, nullptr);
    return Failure(env, "the Vulkan loader lacks core 1.0 entry points");
  }

  uint32_t count = 0;
  enumerate(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  if (count) enumerate(instance, &count, devices.data());

  Napi::Array list = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; i++) {
    PropertiesBuffer props{};
    properties(devices[i], &props);
    uint32_t apiVersion = ReadU32(props, 0);
    Napi::Object d = Napi::Object::New(env);
    char name[257] = {0};
    std::memcpy(name, props.bytes + 20, 256);
    d.Set("name", std::string(name));
    d.Set("apiVersion", std::to_string(apiVersion >> 22) + "." + std::to_string((apiVersion >> 12) & 0x3ff) + "." +
                            std::to_string(apiVersion & 0xfff));
    d.Set("driverVersion", ReadU32(props, 4));
    d.Set("vendorId", ReadU32(props, 8));
    d.Set("deviceId", ReadU32(props, 12));
    // 0 other, 1 integrated, 2 discrete, 3 virtual, 4 cpu
    d.Set("deviceType", ReadU32(props, 16));

    if (properties2 && instance11 && apiVersion >= MakeVersion(1, 2)) {
      VkPhysicalDeviceDriverProperties driver{};
      driver.sType = 1000196000;
      VkPhysicalDeviceProperties2 p2{};
      p2.sType = 1000059001;
      p2.pNext = &driver;
      properties2(devices[i], &p2);
      driver.driverName[255] = driver.driverInfo[255] = 0;
      d.Set("driverName", std::string(driver.driverName));
      d.Set("driverInfo", std::string(driver.driverInfo));
    }

    VkPhysicalDeviceMemoryProperties mem{};
    memory(devices[i], &mem);
    double deviceLocal = 0;
    for (uint32_t h = 0; h < mem.memoryHeapCount && h < 16; h++) {
      if (mem.memoryHeaps[h].flags & 1) deviceLocal += static_cast<double>(mem.memoryHeaps[h].size);
    }
    d.Set("deviceLocalBytes", deviceLocal);

    // Dawn offers the WebGPU feature shader-f16 on Vulkan only with 16-bit float arithmetic and 16-bit
    // storage- and uniform-buffer access; without it onnxruntime's f16 kernels refuse to build.
    if (features2 && instance11 && apiVersion >= MakeVersion(1, 1)) {
      VkPhysicalDevice16BitStorageFeatures storage{};
      storage.sType = 1000083000;
      VkPhysicalDeviceFloat16Int8Features f16{};
      f16.sType = 1000082000;
      f16.pNext = &storage;
      VkPhysicalDeviceFeatures2 f2{};
      f2.sType = 1000059000;
      f2.pNext = &f16;
      features2(devices[i], &f2);
      d.Set("shaderF16", f16.shaderFloat16 && storage.storageBuffer16BitAccess && storage.uniformAndStorageBuffer16BitAccess ? true : false);
    }
    list.Set(i, d);
  }
  destroy(instance, nullptr);
  // The loader stays open: unloading it under ICDs that registered atexit handlers is not safe.
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", true);
  out.Set("devices", list);
  return out;
}
