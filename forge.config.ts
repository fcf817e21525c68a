import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerDMG } from '@electron-forge/maker-dmg';
import { MakerSquirrel } from '@electron-forge/maker-squirrel';
import { MakerZIP } from '@electron-forge/maker-zip';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_ENTRY_FILES } from './electron/node/entry-points.ts';
import { SUBGROUP_GUARD_FILE } from './electron/node/engine/webgpu-options.ts';

// Playwright's _electron driver needs the inspector arguments, so a test build (QUIRE_E2E_BUILD=1) keeps
// that single fuse on; every release build has it off.
const testBuild = process.env.QUIRE_E2E_BUILD === '1';

export const fuses = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: testBuild,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
} as const;

// The native engine addon sits beside main.cjs in the package (see useBundledEntryPoints); without it the
// engine uses the onnxruntime-node path.
const NATIVE_ADDON = 'native/build/Release/quire_ort.node';
// The Vulkan layer that keeps WebGPU prefill exact on narrow-subgroup devices (webgpu-options.ts) is found beside
// the addon; only Linux builds it.
const VK_LAYER = `native/build/Release/${SUBGROUP_GUARD_FILE}`;

const config: ForgeConfig = {
  hooks: {
    packageAfterCopy: async (_config, buildPath) => {
      if (existsSync(NATIVE_ADDON)) copyFileSync(NATIVE_ADDON, join(buildPath, '.vite', 'build', BUNDLED_ENTRY_FILES.nativeAddon));
      if (existsSync(VK_LAYER)) copyFileSync(VK_LAYER, join(buildPath, '.vite', 'build', SUBGROUP_GUARD_FILE));
    },
  },
  packagerConfig: {
    name: 'Quire',
    executableName: 'quire',
    asar: { unpack: '**/*.{node,so,so.*,dll,dylib}' },
    // The offline default model (electron/node/default-model.ts).
    extraResource: ['models/nano/quire-nano'],
    // The ORT C API headers package is 385 MB of build-time input; it never ships.
    ignore: [/^\/node_modules\/com\.github\.asus4\.onnxruntime/, /^\/test/, /^\/bench/, /^\/native\/build/],
  },
  rebuildConfig: {},
  makers: [
    new MakerSquirrel({ name: 'Quire' }),
    new MakerZIP({}, ['darwin', 'linux', 'win32']),
    new MakerDMG({ format: 'ULFO' }),
    new MakerDeb({ options: { name: 'quire', productName: 'Quire', categories: ['Office', 'Utility'] } }),
    // maker-rpm has no 8.x release yet; the resolvable form keeps its 7.x class out of Forge 8's types.
    { name: '@electron-forge/maker-rpm', config: { options: { name: 'quire', productName: 'Quire' } } },
  ],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/main/main.ts', config: 'electron/main/vite.config.ts', target: 'main' },
        { entry: 'electron/preload/preload.ts', config: 'electron/preload/vite.config.ts', target: 'preload' },
        // Run in their own thread/process; main points at them with useBundledEntryPoints (same file names).
        { entry: { 'engine-host': 'electron/node/engine/engine-host-process.ts' }, config: 'electron/main/vite.config.ts', target: 'main' },
        { entry: { 'document-worker': 'electron/node/documents/worker.ts' }, config: 'electron/main/vite.config.ts', target: 'main' },
        { entry: { 'text-worker': 'electron/node/runtime/text-worker.ts' }, config: 'electron/main/vite.config.ts', target: 'main' },
      ],
      renderer: [{ name: 'main_window', config: 'renderer/vite.config.ts' }],
    }),
    new FusesPlugin(fuses),
  ],
};

export default config;
