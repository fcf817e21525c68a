// Everything the engine does to open an onnxruntime WebGPU session, in one place: the provider options passed
// to AppendExecutionProvider("WebGPU", …) and the process environment Dawn must see before the first WebGPU
// session of the process creates its device.
//
// The environment exists for one onnxruntime 1.30 defect (docs/gpu-providers.md, "WebGPU prefill with >= 32
// tokens"): the flash-attention prefill kernel, used for every run of 32 or more new tokens, gives wrong logits
// on an adapter whose subgroups are narrower than 8 (SwiftShader's are 4) unless the adapter lacks the WebGPU
// "subgroups" feature or is NVIDIA or Apple. No provider option or session config entry of 1.30 turns the
// feature off, so where Dawn runs on Vulkan (Linux) a Vulkan layer built with the native addon
// (native/src/vk_subgroup_guard.cc) withholds from such devices the subgroup operation Dawn requires for the
// feature; onnxruntime then takes its shared-memory path, which is exact. The layer changes nothing on a device
// with subgroups of 8 or more, which is every GPU we know of, so it is installed for every WebGPU session.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { QuireError } from '../../common/errors.ts';
import { KV_STORAGE, WEBGPU_KV_BITS_OPTION, type Provider } from '../../../models/model-spec.ts';
import { entryPoints } from '../entry-points.ts';
import type { ModelFolder } from './model-folder.ts';

export const SUBGROUP_GUARD_LAYER = 'VK_LAYER_QUIRE_subgroup_guard';
// node-gyp names every target it builds *.node; the Vulkan loader opens it by path, whatever the extension.
export const SUBGROUP_GUARD_FILE = 'quire_vk_layer.node';

export interface WebGpuSetup {
  providerOptions: Record<string, string>;
  // One line for the engine report: whether the subgroup guard is in place and why not where it is not.
  note: string;
}

// Beside the native addon. In a packaged app that folder is inside app.asar, whose *.node files Forge unpacks
// to app.asar.unpacked: the Vulkan loader opens the path itself, without Electron's asar redirection.
export function subgroupGuardLibrary(addon: string = entryPoints.nativeAddon): string {
  return join(dirname(addon), SUBGROUP_GUARD_FILE).replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

export function subgroupGuardManifest(library: string): string {
  return JSON.stringify(
    {
      file_format_version: '1.1.0',
      layer: {
        name: SUBGROUP_GUARD_LAYER,
        type: 'GLOBAL',
        library_path: library,
        api_version: '1.3.0',
        implementation_version: '1',
        description: "Quire: hides subgroup shuffle from devices with subgroups narrower than 8 (onnxruntime's WebGPU flash attention needs 8 or more)",
      },
    },
    null,
    2,
  );
}

function prependList(value: string | undefined, item: string, separator: string): string {
  const items = (value ?? '').split(separator).filter(Boolean);
  return items.includes(item) ? items.join(separator) : [item, ...items].join(separator);
}

// Points the Vulkan loader at the layer through the environment: VK_ADD_LAYER_PATH adds a search folder
// without hiding the user's own layers, VK_INSTANCE_LAYERS enables it for every instance the process creates
// from now on. The manifest goes to a private folder made for this process (a shared, predictable path in
// the temp folder could be pre-created by another user and point the loader at their library).
export function installSubgroupGuard(env: NodeJS.ProcessEnv, library: string, manifestDir: string): void {
  writeFileSync(join(manifestDir, `${SUBGROUP_GUARD_LAYER}.json`), subgroupGuardManifest(library));
  env.VK_ADD_LAYER_PATH = prependList(env.VK_ADD_LAYER_PATH, manifestDir, delimiter);
  env.VK_INSTANCE_LAYERS = prependList(env.VK_INSTANCE_LAYERS, SUBGROUP_GUARD_LAYER, delimiter);
}

let manifestDir: string | undefined;

function guardNote(platform: NodeJS.Platform): string {
  if (platform !== 'linux') {
    // Dawn runs on D3D12 (Windows) or Metal (macOS) there: no Vulkan loader to place the layer in. Apple GPUs
    // take the shared-memory path in onnxruntime itself and D3D12 GPUs run waves of 8 or more; only the
    // software WARP adapter (waves of 4) would be exposed, and the provider check against the cpu path
    // catches that.
    return `subgroup guard: not applicable on ${platform}`;
  }
  const library = subgroupGuardLibrary();
  if (!existsSync(library)) return 'subgroup guard: layer not built (npm run build:native)';
  if (!manifestDir) {
    manifestDir = mkdtempSync(join(tmpdir(), 'quire-vk-'));
    const made = manifestDir;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  installSubgroupGuard(process.env, library, manifestDir);
  return 'subgroup guard: on';
}

// Call before creating a WebGPU session; the options the user gave pass through unchanged.
export function webgpuSetup(userOptions: Record<string, string> = {}, platform: NodeJS.Platform = process.platform): WebGpuSetup {
  return { providerOptions: { ...userOptions }, note: guardNote(platform) };
}

// Session options a model's cache needs on a provider: WebGPU quantizes its own cache only when the session
// says so (kvCacheQuantizationBits), and the same option on any other model would corrupt its float cache.
export function kvProviderOptions(model: ModelFolder, provider: Provider, given: Record<string, string> = {}): Record<string, string> {
  const asked = given[WEBGPU_KV_BITS_OPTION];
  if (provider !== 'webgpu' || model.kv.quant !== 'webgpu') {
    if (asked !== undefined && asked !== '0') {
      throw new QuireError('INVALID_INPUT', `${WEBGPU_KV_BITS_OPTION} is set by the model (quire convert --kv int8|int4 --provider webgpu), not by hand`);
    }
    return given;
  }
  const bits = String(KV_STORAGE[model.kv.kv].bits);
  if (asked !== undefined && asked !== bits) throw new QuireError('INVALID_INPUT', `${WEBGPU_KV_BITS_OPTION}=${asked} disagrees with this model's ${model.kv.kv} cache`);
  return { ...given, [WEBGPU_KV_BITS_OPTION]: bits };
}
