import { mkdtempSync, readdirSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openModelFolder, ropeInputs, type ModelFolder } from '../../../electron/node/engine/model-folder.ts';
import { cachedRopeInputs } from '../../../electron/node/engine/rope-cache.ts';
import { apiTinyModel } from '../api/api-process.ts';

let model: ModelFolder;
beforeAll(async () => {
  model = openModelFolder(await apiTinyModel());
});

describe('RoPE tables on disk', () => {
  it('computes a long context once, then reads the same tables back; a damaged file is computed again', () => {
    const folder = mkdtempSync(join(tmpdir(), 'quire-rope-'));
    const expected = ropeInputs(model, 512);
    const first = cachedRopeInputs(model, 512, folder, 256);
    expect(readdirSync(folder)).toHaveLength(1);
    const again = cachedRopeInputs(model, 512, folder, 256);
    expect(again.dims).toEqual(expected.dims);
    expect(again.elementType).toBe(expected.elementType);
    expect(Array.from(again.cos)).toEqual(Array.from(expected.cos));
    expect(Array.from(again.sin)).toEqual(Array.from(expected.sin));
    expect(Array.from(first.sin)).toEqual(Array.from(expected.sin));
    const [file] = readdirSync(folder);
    truncateSync(join(folder, file), 100);
    expect(Array.from(cachedRopeInputs(model, 512, folder, 256).cos)).toEqual(Array.from(expected.cos));
  });

  it('leaves short contexts to compute, and keeps only the last few tables', () => {
    const folder = mkdtempSync(join(tmpdir(), 'quire-rope-'));
    cachedRopeInputs(model, 128, folder, 256);
    expect(readdirSync(folder)).toEqual([]);
    for (const context of [256, 300, 400, 500]) cachedRopeInputs(model, context, folder, 256);
    expect(readdirSync(folder).filter((f) => f.endsWith('.bin'))).toHaveLength(3);
  });
});
