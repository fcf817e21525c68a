// Installing a model from a folder on this computer (issue 25 point 3): a Hugging Face checkpoint already
// downloaded is converted (the folder left as it was), a converted Quire model is copied in, and anything
// else is refused in words.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelInstaller } from '../../../electron/node/model-installer.ts';
import { listInstalledModels } from '../../../electron/node/installed-models.ts';
import { modelsDir } from '../../../electron/node/paths.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';

const fresh = (name: string) => mkdtempSync(join(tmpdir(), `quire-${name}-`));

describe('installing from a folder on this computer', () => {
  it('converts a downloaded Hugging Face checkpoint, naming the model for its folder, and leaves the folder be', async () => {
    const root = fresh('folder-install');
    const checkpoint = join(fresh('hf'), 'My-Llama 3');
    await writeTinyCheckpoint(checkpoint, { seed: 3, layers: 2 });
    const before = readdirSync(checkpoint).sort();
    const phases = new Set<string>();
    const model = await new ModelInstaller(root).install({ folder: checkpoint, precision: 'fp32' }, (p) => phases.add(p.phase));
    expect(model.id).toBe('my-llama-3');
    expect(phases).toEqual(new Set(['convert']));
    expect(listInstalledModels(modelsDir(root)).map((m) => m.id)).toEqual(['my-llama-3']);
    expect(readdirSync(checkpoint).sort()).toEqual(before);
  });

  it('copies a converted Quire model folder in as it is', async () => {
    const root = fresh('folder-copy');
    const checkpoint = join(fresh('hf'), 'tiny');
    await writeTinyCheckpoint(checkpoint, { seed: 4, layers: 2 });
    const converted = join(fresh('converted'), 'tiny-converted');
    await convertCheckpoint(checkpoint, converted, { precision: 'fp32', io: 'fp32', kv: 'fp32' });
    const model = await new ModelInstaller(root).install({ folder: converted, precision: 'fp32' }, () => undefined);
    expect(model).toMatchObject({ id: 'tiny-converted', precision: 'fp32' });
    expect(readdirSync(join(modelsDir(root), 'tiny-converted')).sort()).toEqual(readdirSync(converted).sort());
  });

  it('refuses a relative path, a missing folder and a folder that holds no model', async () => {
    const installer = new ModelInstaller(fresh('folder-refuse'));
    const install = (folder: string) => installer.install({ folder, precision: 'fp32' }, () => undefined);
    await expect(install('models/tiny')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(install(join(tmpdir(), 'no-such-quire-folder'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const photos = join(fresh('photos'), 'Holiday');
    mkdirSync(photos);
    writeFileSync(join(photos, 'beach.jpg'), 'not a model');
    await expect(install(photos)).rejects.toMatchObject({ code: 'UNSUPPORTED_MODEL', message: expect.stringMatching(/neither a converted Quire model \(quire\.json\) nor a Hugging Face checkpoint/) });
  });
});

describe('paused downloads', () => {
  it('lists each download stopped before its conversion with the bytes it has, so installing it again resumes', () => {
    const root = fresh('paused');
    const partial = join(root, 'downloads', 'ultralong-8b-1m', 'UltraLong-8B 1M Instruct');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'config.json'), '{}');
    writeFileSync(join(partial, 'model-00001-of-00007.safetensors.part'), new Uint8Array(1000));
    mkdirSync(join(root, 'downloads', 'empty-one'), { recursive: true });
    expect(new ModelInstaller(root).pausedDownloads()).toEqual([{ id: 'ultralong-8b-1m', bytes: 1002 }]);
    expect(new ModelInstaller(fresh('none')).pausedDownloads()).toEqual([]);
  });
});
