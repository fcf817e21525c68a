// The WebGPU set-up module: the Vulkan layer that keeps onnxruntime's WebGPU prefill exact on devices with
// subgroups narrower than 8 is built, described to the loader and enabled without disturbing the user's own
// Vulkan layers. Whether it fixes the logits is test/conformance's business (run on SwiftShader).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryPoints } from '../../../electron/node/entry-points.ts';
import {
  installSubgroupGuard,
  SUBGROUP_GUARD_LAYER,
  subgroupGuardLibrary,
  webgpuSetup,
} from '../../../electron/node/engine/webgpu-options.ts';

describe('subgroup guard layer', () => {
  it('is enabled through the environment, ahead of and without dropping the layers already there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-vk-test-'));
    const env: NodeJS.ProcessEnv = { VK_ADD_LAYER_PATH: '/opt/layers', VK_INSTANCE_LAYERS: 'VK_LAYER_KHRONOS_validation' };
    installSubgroupGuard(env, '/x/quire_vk_layer.node', dir);
    installSubgroupGuard(env, '/x/quire_vk_layer.node', dir);
    expect(env.VK_ADD_LAYER_PATH).toBe([dir, '/opt/layers'].join(delimiter));
    expect(env.VK_INSTANCE_LAYERS).toBe([SUBGROUP_GUARD_LAYER, 'VK_LAYER_KHRONOS_validation'].join(delimiter));
    const manifest = JSON.parse(readFileSync(join(dir, `${SUBGROUP_GUARD_LAYER}.json`), 'utf8'));
    expect(manifest.layer).toMatchObject({ name: SUBGROUP_GUARD_LAYER, type: 'GLOBAL', library_path: '/x/quire_vk_layer.node' });
  });

  it('is looked up beside the native addon, outside the asar archive of a packaged app', () => {
    expect(subgroupGuardLibrary('/opt/Quire/resources/app.asar/.vite/build/quire_ort.node')).toBe(
      '/opt/Quire/resources/app.asar.unpacked/.vite/build/quire_vk_layer.node',
    );
    expect(subgroupGuardLibrary('/repo/native/build/Release/quire_ort.node')).toBe('/repo/native/build/Release/quire_vk_layer.node');
  });

  it.runIf(process.platform === 'linux')('is built with the native addon on Linux', () => {
    // npm ci builds both targets of native/binding.gyp; an addon without its layer would leave WebGPU
    // prefill wrong on SwiftShader-like devices.
    if (existsSync(entryPoints.nativeAddon)) expect(existsSync(subgroupGuardLibrary())).toBe(true);
  });

  it('passes provider options through and says why no layer is used off Linux', () => {
    const setup = webgpuSetup({ validationMode: 'disabled' }, 'darwin');
    expect(setup.providerOptions).toEqual({ validationMode: 'disabled' });
    expect(setup.note).toBe('subgroup guard: not applicable on darwin');
  });
});
