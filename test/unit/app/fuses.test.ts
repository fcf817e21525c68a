import { FuseV1Options } from '@electron/fuses';
import { describe, expect, it } from 'vitest';
import config, { fuses } from '../../../forge.config.ts';

describe('forge configuration', () => {
  it('hardens every fuse for release builds', () => {
    expect(fuses[FuseV1Options.RunAsNode]).toBe(false);
    expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(fuses[FuseV1Options.EnableNodeCliInspectArguments]).toBe(process.env.QUIRE_E2E_BUILD === '1');
    expect(fuses[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(fuses[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
  });
  it('applies the fuses plugin and builds installers for every platform', () => {
    const pluginNames = (config.plugins ?? []).map((p) => (p as { name: string }).name);
    expect(pluginNames).toEqual(expect.arrayContaining(['vite', 'fuses']));
    const makers = (config.makers ?? []).map((m) => ('name' in m && typeof m.name === 'string' ? m.name : (m as { constructor: { name: string } }).constructor.name));
    expect(makers.join(' ')).toMatch(/squirrel/i);
    expect(makers.join(' ')).toMatch(/zip/i);
    expect(makers.join(' ')).toMatch(/dmg/i);
    expect(makers.join(' ')).toMatch(/deb/i);
    expect(makers.join(' ')).toMatch(/rpm/i);
  });
});
