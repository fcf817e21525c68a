import { describe, expect, it } from 'vitest';
import { CatalogEntry } from '../../../electron/common/contract.ts';
import { findCatalogModel, loadCatalog, parseCatalog } from '../../../models/catalog.ts';

describe('model catalog', () => {
  it('lists UltraLong 1M/2M/4M and Llama-3.1-8B-Instruct with their native contexts', () => {
    const byRepo = new Map(loadCatalog().map((m) => [m.hfRepo, m]));
    expect(byRepo.get('nvidia/Llama-3.1-Nemotron-8B-UltraLong-1M-Instruct')?.nativeContext).toBe(1048576);
    expect(byRepo.get('nvidia/Llama-3.1-Nemotron-8B-UltraLong-2M-Instruct')?.nativeContext).toBe(2097152);
    expect(byRepo.get('nvidia/Llama-3.1-Nemotron-8B-UltraLong-4M-Instruct')?.nativeContext).toBe(4194304);
    const llama = byRepo.get('meta-llama/Llama-3.1-8B-Instruct');
    expect(llama?.nativeContext).toBe(131072);
    expect(llama?.gated).toBe(true);
    expect(byRepo.get('nvidia/Llama-3.1-Nemotron-8B-UltraLong-1M-Instruct')?.licence).toBe('cc-by-nc-4.0');
  });

  it('satisfies the contract schema', () => {
    for (const entry of loadCatalog()) expect(() => CatalogEntry.parse(entry)).not.toThrow();
  });

  it('refuses malformed or duplicate entries', () => {
    const [first] = loadCatalog();
    expect(() => parseCatalog([{ ...first, downloadBytes: -1 }])).toThrow(/downloadBytes/);
    expect(() => parseCatalog([{ ...first, extra: 1 }])).toThrow(/model catalog/);
    expect(() => parseCatalog([first, first])).toThrow(/duplicate id/);
    expect(() => findCatalogModel('nope')).toThrow(/no model/);
    expect(findCatalogModel(first.id)).toEqual(first);
  });
});
