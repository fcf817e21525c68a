// models.remove builds a path from the id a client sends. Ids that are not plain folder names must be
// refused before any path is built, and nothing outside the models folder may ever be deleted.
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../../electron/node/app-services.ts';
import { isModelId } from '../../../electron/common/model-id.ts';

let services: AppServices;
let base: string;
let root: string;

// A folder that looks like an installed model (it has a quire.json), so only containment protects it.
function modelLike(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'quire.json'), '{}');
  writeFileSync(join(dir, 'precious.txt'), 'keep me');
  return dir;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'quire-remove-'));
  root = join(base, 'data');
  mkdirSync(join(root, 'models'), { recursive: true });
  modelLike(join(base, 'victim'));
  modelLike(join(root, 'victim'));
  modelLike('/tmp/quire-remove-victim-abs');
  services = createAppServices({ mode: 'cli', root });
});

afterAll(async () => {
  await services?.close();
});

describe('models.remove refuses ids that are not folder names', () => {
  it.each([
    '../victim',
    '../../victim',
    '../../../victim',
    '..',
    '.',
    'a/../../victim',
    'x/../../../victim',
    '/tmp/quire-remove-victim-abs',
    '..\\..\\victim',
    'victim\u0000',
    ' victim',
    '.hidden',
  ])('%j', async (id) => {
    const outcome = await services.router('models.remove', { id });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    if (!outcome.ok) expect(outcome.error.message).not.toMatch(/\n/);
    expect(existsSync(join(base, 'victim', 'precious.txt'))).toBe(true);
    expect(existsSync(join(root, 'victim', 'precious.txt'))).toBe(true);
    expect(existsSync('/tmp/quire-remove-victim-abs/precious.txt')).toBe(true);
  });

  it('removes a real model by its id', async () => {
    modelLike(join(root, 'models', 'good-model'));
    expect(await services.router('models.remove', { id: 'good-model' })).toEqual({ ok: true, value: { removed: true } });
    expect(existsSync(join(root, 'models', 'good-model'))).toBe(false);
  });

  it('removes a models/ entry that links elsewhere without touching what it points at', async () => {
    symlinkSync(join(base, 'victim'), join(root, 'models', 'linked'));
    expect(await services.router('models.remove', { id: 'linked' })).toMatchObject({ ok: true });
    expect(existsSync(join(base, 'victim', 'precious.txt'))).toBe(true);
  });

  it('an unknown id is simply not removed', async () => {
    expect(await services.router('models.remove', { id: 'no-such-model' })).toEqual({ ok: true, value: { removed: false } });
  });

  it('ids of the catalog, of hub repositories and of the demo are names', () => {
    for (const id of ['quire-nano', 'ultralong-8b-1m', 'nvidia--llama-3.1-nemotron-8b-ultralong-1m-instruct']) expect(isModelId(id)).toBe(true);
  });
});
