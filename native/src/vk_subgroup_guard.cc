// VK_LAYER_QUIRE_subgroup_guard: a Vulkan layer that stops Dawn (onnxruntime's WebGPU provider) from offering
// the WebGPU "subgroups" feature on a device whose subgroups can be narrower than 8 invocations.
//
// Why: onnxruntime 1.30's WebGPU flash-attention prefill (FlashAttentionProgram, run for >= 32 new tokens)
// takes a subgroup-shuffle path on every adapter that has the Subgroups feature and is neither NVIDIA nor
// Apple. That path advances through the keys by min(subgroup size, 16) but scores 8 keys per step when the
// subgroup size is <= 8, so with 4-wide subgroups (SwiftShader) it reads keys from lanes that do not exist
// and counts keys twice: the logits are wrong. Without the Subgroups feature onnxruntime takes its
// shared-memory path, which is exact. docs/gpu-providers.md has the evidence.
//
// Dawn enables Subgroups on Vulkan only when the device reports, among others, the SHUFFLE subgroup
// operation; this layer clears that bit from what the device reports when its smallest subgroup is narrower
// than 8, and changes nothing on any other device. It intercepts vkGetPhysicalDeviceProperties2(KHR) and
// passes everything else through. No Vulkan SDK is needed to build: the few loader-interface and property
// structures used are declared here by their specified layouts (Vulkan 1.1-1.3, loader interface 2).
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#if defined(_WIN32)
#define QUIRE_VK_EXPORT extern "C" __declspec(dllexport)
#define VKAPI_PTR __stdcall
#else
#define QUIRE_VK_EXPORT extern "C" __attribute__((visibility("default")))
#define VKAPI_PTR
#endif

namespace {

using VkResult = int32_t;
using VkInstance = struct VkInstance_T*;
using VkPhysicalDevice = struct VkPhysicalDevice_T*;
using VkDevice = struct VkDevice_T*;
using PFN_vkVoidFunction = void(VKAPI_PTR*)();
using PFN_vkGetInstanceProcAddr = PFN_vkVoidFunction(VKAPI_PTR*)(VkInstance, const char*);
using PFN_vkGetDeviceProcAddr = PFN_vkVoidFunction(VKAPI_PTR*)(VkDevice, const char*);
using PFN_GetPhysicalDeviceProcAddr = PFN_vkVoidFunction(VKAPI_PTR*)(VkInstance, const char*);

constexpr uint32_t kLoaderInstanceCreateInfo = 47;  // VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO
constexpr uint32_t kLoaderDeviceCreateInfo = 48;    // VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO
constexpr uint32_t kLayerLinkInfo = 0;              // VK_LAYER_LINK_INFO
constexpr uint32_t kProperties2 = 1000059001;       // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
constexpr uint32_t kSubgroupProperties = 1000094000;
constexpr uint32_t kVulkan11Properties = 49;
constexpr uint32_t kSubgroupSizeControlProperties = 1000225000;
constexpr uint32_t kSubgroupFeatureShuffle = 0x10;  // VK_SUBGROUP_FEATURE_SHUFFLE_BIT
// onnxruntime's flash-attention prefill is correct for subgroups of 8 and more (it scores 8 or 16 keys a step).
constexpr uint32_t kNarrowestSafeSubgroup = 8;

struct BaseOut {
  uint32_t sType;
  void* pNext;
};

struct InstanceLink {
  InstanceLink* pNext;
  PFN_vkGetInstanceProcAddr pfnNextGetInstanceProcAddr;
  PFN_GetPhysicalDeviceProcAddr pfnNextGetPhysicalDeviceProcAddr;
};

struct DeviceLink {
  DeviceLink* pNext;
  PFN_vkGetInstanceProcAddr pfnNextGetInstanceProcAddr;
  PFN_vkGetDeviceProcAddr pfnNextGetDeviceProcAddr;
};

// VkLayerInstanceCreateInfo / VkLayerDeviceCreateInfo: only the link pointer of the union is read; the union
// is two pointers wide in the loader's header.
struct LayerCreateInfo {
  uint32_t sType;
  const void* pNext;
  uint32_t function;
  union {
    void* link;
    void* pad[2];
  } u;
};

struct NegotiateLayerInterface {
  uint32_t sType;  // LAYER_NEGOTIATE_INTERFACE_STRUCT = 1
  void* pNext;
  uint32_t loaderLayerInterfaceVersion;
  PFN_vkGetInstanceProcAddr pfnGetInstanceProcAddr;
  PFN_vkGetDeviceProcAddr pfnGetDeviceProcAddr;
  PFN_GetPhysicalDeviceProcAddr pfnGetPhysicalDeviceProcAddr;
};

struct SubgroupProperties {
  uint32_t sType;
  void* pNext;
  uint32_t subgroupSize;
  uint32_t supportedStages;
  uint32_t supportedOperations;
  uint32_t quadOperationsInAllStages;
};

struct SubgroupSizeControlProperties {
  uint32_t sType;
  void* pNext;
  uint32_t minSubgroupSize;
  uint32_t maxSubgroupSize;
  uint32_t maxComputeWorkgroupSubgroups;
  uint32_t requiredSubgroupSizeStages;
};

// VkPhysicalDeviceProperties is 824 bytes; apiVersion is its first member.
struct Properties2 {
  uint32_t sType;
  void* pNext;
  alignas(8) uint8_t properties[1024];
};

// VkPhysicalDeviceVulkan11Properties: subgroupSupportedOperations sits after the UUIDs, LUID, node mask,
// LUID-valid flag, subgroup size and stages.
constexpr size_t kVulkan11SubgroupOperationsOffset = 16 + 16 + 16 + 8 + 4 + 4 + 4 + 4;

using PFN_vkCreateInstance = VkResult(VKAPI_PTR*)(const void*, const void*, VkInstance*);
using PFN_vkCreateDevice = VkResult(VKAPI_PTR*)(VkPhysicalDevice, const void*, const void*, VkDevice*);
using PFN_vkGetPhysicalDeviceProperties2 = void(VKAPI_PTR*)(VkPhysicalDevice, void*);

struct ExtensionProperties {
  char extensionName[256];
  uint32_t specVersion;
};
using PFN_vkEnumerateDeviceExtensionProperties = VkResult(VKAPI_PTR*)(VkPhysicalDevice, const char*, uint32_t*, ExtensionProperties*);

struct InstanceData {
  PFN_vkGetInstanceProcAddr next = nullptr;
  PFN_vkGetPhysicalDeviceProperties2 properties2 = nullptr;
  PFN_vkGetPhysicalDeviceProperties2 properties2KHR = nullptr;
  PFN_vkEnumerateDeviceExtensionProperties extensions = nullptr;
};

std::mutex mutex;
// Keyed by the loader's dispatch pointer, which an instance and its physical devices share.
std::unordered_map<void*, InstanceData> instances;
std::unordered_map<void*, PFN_vkGetDeviceProcAddr> devices;

void* DispatchKey(const void* handle) { return *static_cast<void* const*>(handle); }

LayerCreateInfo* FindLink(const void* pNext, uint32_t sType) {
  for (auto* p = static_cast<const LayerCreateInfo*>(pNext); p; p = static_cast<const LayerCreateInfo*>(p->pNext)) {
    if (p->sType == sType && p->function == kLayerLinkInfo) return const_cast<LayerCreateInfo*>(p);
  }
  return nullptr;
}

bool HasExtension(PFN_vkEnumerateDeviceExtensionProperties enumerate, VkPhysicalDevice device, const char* name) {
  if (!enumerate) return false;
  uint32_t count = 0;
  if (enumerate(device, nullptr, &count, nullptr) != 0 || count == 0) return false;
  std::vector<ExtensionProperties> list(count);
  if (enumerate(device, nullptr, &count, list.data()) < 0) return false;
  for (uint32_t i = 0; i < count; i++) {
    if (!std::strncmp(list[i].extensionName, name, sizeof(list[i].extensionName))) return true;
  }
  return false;
}

// The narrowest subgroup the device may run a compute shader with: the size-control minimum where the device
// reports it (Vulkan 1.3 core, or VK_EXT_subgroup_size_control, without which Dawn offers no subgroups
// anyway), else its one subgroup size.
uint32_t NarrowestSubgroup(PFN_vkGetPhysicalDeviceProperties2 next, PFN_vkEnumerateDeviceExtensionProperties extensions,
                           VkPhysicalDevice device) {
  SubgroupSizeControlProperties sizeControl{kSubgroupSizeControlProperties, nullptr, 0, 0, 0, 0};
  SubgroupProperties subgroup{kSubgroupProperties, nullptr, 0, 0, 0, 0};
  Properties2 props{};
  props.sType = kProperties2;
  props.pNext = &subgroup;
  next(device, &props);
  uint32_t apiVersion;
  std::memcpy(&apiVersion, props.properties, 4);
  if (apiVersion >= ((1u << 22) | (3u << 12)) || HasExtension(extensions, device, "VK_EXT_subgroup_size_control")) {
    subgroup.pNext = &sizeControl;
    next(device, &props);
    if (sizeControl.minSubgroupSize > 0) return sizeControl.minSubgroupSize;
  }
  return subgroup.subgroupSize;
}

void HideShuffle(void* pNext) {
  for (auto* p = static_cast<BaseOut*>(pNext); p; p = static_cast<BaseOut*>(p->pNext)) {
    if (p->sType == kSubgroupProperties) {
      reinterpret_cast<SubgroupProperties*>(p)->supportedOperations &= ~kSubgroupFeatureShuffle;
    } else if (p->sType == kVulkan11Properties) {
      uint32_t ops;
      auto* bytes = reinterpret_cast<uint8_t*>(p) + kVulkan11SubgroupOperationsOffset;
      std::memcpy(&ops, bytes, 4);
      ops &= ~kSubgroupFeatureShuffle;
      std::memcpy(bytes, &ops, 4);
    }
  }
}

void Properties2Common(VkPhysicalDevice device, void* props, bool khr) {
  PFN_vkGetPhysicalDeviceProperties2 next;
  PFN_vkEnumerateDeviceExtensionProperties extensions;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = instances.find(DispatchKey(device));
    if (it == instances.end()) return;
    next = khr && it->second.properties2KHR ? it->second.properties2KHR : it->second.properties2;
    extensions = it->second.extensions;
  }
  if (!next) return;
  next(device, props);
  if (NarrowestSubgroup(next, extensions, device) < kNarrowestSafeSubgroup) HideShuffle(static_cast<BaseOut*>(props)->pNext);
}

VkResult VKAPI_PTR CreateInstance(const void* createInfo, const void* allocator, VkInstance* instance) {
  LayerCreateInfo* link = FindLink(static_cast<const BaseOut*>(createInfo)->pNext, kLoaderInstanceCreateInfo);
  if (!link || !link->u.link) return -3;  // VK_ERROR_INITIALIZATION_FAILED
  auto* info = static_cast<InstanceLink*>(link->u.link);
  PFN_vkGetInstanceProcAddr nextGipa = info->pfnNextGetInstanceProcAddr;
  link->u.link = info->pNext;  // the next layer reads its own link
  auto create = reinterpret_cast<PFN_vkCreateInstance>(nextGipa(nullptr, "vkCreateInstance"));
  if (!create) return -3;
  VkResult result = create(createInfo, allocator, instance);
  if (result != 0) return result;
  InstanceData data;
  data.next = nextGipa;
  data.properties2 = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2>(nextGipa(*instance, "vkGetPhysicalDeviceProperties2"));
  data.properties2KHR = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties2>(nextGipa(*instance, "vkGetPhysicalDeviceProperties2KHR"));
  data.extensions = reinterpret_cast<PFN_vkEnumerateDeviceExtensionProperties>(nextGipa(*instance, "vkEnumerateDeviceExtensionProperties"));
  std::lock_guard<std::mutex> lock(mutex);
  instances[DispatchKey(*instance)] = data;
  return 0;
}

VkResult VKAPI_PTR CreateDevice(VkPhysicalDevice physical, const void* createInfo, const void* allocator, VkDevice* device) {
  LayerCreateInfo* link = FindLink(static_cast<const BaseOut*>(createInfo)->pNext, kLoaderDeviceCreateInfo);
  if (!link || !link->u.link) return -3;
  auto* info = static_cast<DeviceLink*>(link->u.link);
  PFN_vkGetInstanceProcAddr nextGipa = info->pfnNextGetInstanceProcAddr;
  PFN_vkGetDeviceProcAddr nextGdpa = info->pfnNextGetDeviceProcAddr;
  link->u.link = info->pNext;
  VkInstance instance = nullptr;  // vkCreateDevice is resolvable without an instance in loader interface 2
  auto create = reinterpret_cast<PFN_vkCreateDevice>(nextGipa(instance, "vkCreateDevice"));
  if (!create) return -3;
  VkResult result = create(physical, createInfo, allocator, device);
  if (result != 0) return result;
  std::lock_guard<std::mutex> lock(mutex);
  devices[DispatchKey(*device)] = nextGdpa;
  return 0;
}

void VKAPI_PTR GetPhysicalDeviceProperties2(VkPhysicalDevice device, void* props) { Properties2Common(device, props, false); }
void VKAPI_PTR GetPhysicalDeviceProperties2KHR(VkPhysicalDevice device, void* props) { Properties2Common(device, props, true); }

PFN_vkVoidFunction VKAPI_PTR GetDeviceProcAddr(VkDevice device, const char* name);

PFN_vkVoidFunction VKAPI_PTR GetInstanceProcAddr(VkInstance instance, const char* name) {
  if (!std::strcmp(name, "vkGetInstanceProcAddr")) return reinterpret_cast<PFN_vkVoidFunction>(&GetInstanceProcAddr);
  if (!std::strcmp(name, "vkCreateInstance")) return reinterpret_cast<PFN_vkVoidFunction>(&CreateInstance);
  if (!std::strcmp(name, "vkCreateDevice")) return reinterpret_cast<PFN_vkVoidFunction>(&CreateDevice);
  if (!std::strcmp(name, "vkGetDeviceProcAddr")) return reinterpret_cast<PFN_vkVoidFunction>(&GetDeviceProcAddr);
  if (!std::strcmp(name, "vkGetPhysicalDeviceProperties2")) return reinterpret_cast<PFN_vkVoidFunction>(&GetPhysicalDeviceProperties2);
  if (!std::strcmp(name, "vkGetPhysicalDeviceProperties2KHR")) return reinterpret_cast<PFN_vkVoidFunction>(&GetPhysicalDeviceProperties2KHR);
  if (!instance) return nullptr;
  PFN_vkGetInstanceProcAddr next;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = instances.find(DispatchKey(instance));
    if (it == instances.end()) return nullptr;
    next = it->second.next;
  }
  return next(instance, name);
}

PFN_vkVoidFunction VKAPI_PTR GetDeviceProcAddr(VkDevice device, const char* name) {
  if (!std::strcmp(name, "vkGetDeviceProcAddr")) return reinterpret_cast<PFN_vkVoidFunction>(&GetDeviceProcAddr);
  PFN_vkGetDeviceProcAddr next;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = devices.find(DispatchKey(device));
    if (it == devices.end()) return nullptr;
    next = it->second;
  }
  return next(device, name);
}

}  // namespace

QUIRE_VK_EXPORT VkResult VKAPI_PTR vkNegotiateLoaderLayerInterfaceVersion(NegotiateLayerInterface* negotiate) {
  if (!negotiate || negotiate->sType != 1) return -3;
  if (negotiate->loaderLayerInterfaceVersion >= 2) {
    negotiate->loaderLayerInterfaceVersion = 2;
    negotiate->pfnGetInstanceProcAddr = &GetInstanceProcAddr;
    negotiate->pfnGetDeviceProcAddr = &GetDeviceProcAddr;
    negotiate->pfnGetPhysicalDeviceProcAddr = nullptr;
    return 0;
  }
  return -9;  // VK_ERROR_INCOMPATIBLE_DRIVER: this layer needs loader interface 2
}

QUIRE_VK_EXPORT PFN_vkVoidFunction VKAPI_PTR vkGetInstanceProcAddr(VkInstance instance, const char* name) {
  return GetInstanceProcAddr(instance, name);
}

QUIRE_VK_EXPORT PFN_vkVoidFunction VKAPI_PTR vkGetDeviceProcAddr(VkDevice device, const char* name) {
  return GetDeviceProcAddr(device, name);
}
