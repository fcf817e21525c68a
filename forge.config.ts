import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerDMG } from '@electron-forge/maker-dmg';
import { MakerSquirrel } from '@electron-forge/maker-squirrel';
import { MakerZIP } from '@electron-forge/maker-zip';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

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

const config: ForgeConfig = {
  packagerConfig: {
    name: 'Quire',
    executableName: 'quire',
    asar: { unpack: '**/*.{node,so,so.*,dll,dylib}' },
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
      ],
      renderer: [{ name: 'main_window', config: 'renderer/vite.config.ts' }],
    }),
    new FusesPlugin(fuses),
  ],
};

export default config;
