// Issue 13 point 8: an interrupted re-conversion leaves the installed model as it was, what killed processes
// leave is cleaned at start, and settings name only installed models.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { cleanOrphans, STALE_STAGING_MS } from '../../../electron/node/orphans.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { readManifest } from '../../../models/manifest.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';

let hf: string;
beforeAll(async () => {
  hf = join(mkdtempSync(join(tmpdir(), 'quire-orphans-hf-')), 'Tiny');
  await writeTinyCheckpoint(hf, { seed: 9, layers: 3 });
});

describe('interrupted conversions and orphans', () => {
  it('keeps the installed model whole when a re-conversion stops midway', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-orphans-'));
    const out = join(root, 'models', 'tiny');
    await convertCheckpoint(hf, out, { precision: 'fp32' });
    const before = readFileSync(join(out, 'quire.json'), 'utf8');
    let tensors = 0;
    const stop = new Error('stopped midway');
    await expect(
      convertCheckpoint(hf, out, {
        precision: 'fp16',
        onProgress: () => {
          if (++tensors === 5) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(readFileSync(join(out, 'quire.json'), 'utf8')).toBe(before);
    const manifest = readManifest(out);
    expect(manifest.precision).toBe('fp32');
    expect(statSync(join(out, 'model.onnx.data')).size).toBe(manifest.bytes.data);
    // Nothing half-written is left beside it.
    expect(readdir(join(root, 'models'))).toEqual(['tiny']);
    // A finished re-conversion replaces it whole.
    await convertCheckpoint(hf, out, { precision: 'fp16' });
    expect(readManifest(out).precision).toBe('fp16');
    expect(readdir(join(root, 'models'))).toEqual(['tiny']);
  }, 60_000);

  it('removes stale staging folders and dead engines’ snapshot temp files, and puts back a model left aside', () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-orphans-'));
    const models = join(root, 'models');
    const stale = join(models, '.big-model.1a2b3c4d.partial');
    const fresh = join(models, '.other.5e6f7a8b.partial');
    for (const dir of [stale, fresh]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'model.onnx.data'), 'x');
    }
    const long = (Date.now() - STALE_STAGING_MS * 2) / 1000;
    utimesSync(stale, long, long);
    utimesSync(join(stale, 'model.onnx.data'), long, long);
    // A swap that died between its two renames: the old folder is all there is.
    const aside = join(models, '.kept.0a1b2c3d.old');
    mkdirSync(aside, { recursive: true });
    writeFileSync(join(aside, 'quire.json'), '{}');
    const snapshots = join(root, 'snapshots', 'doc-1');
    mkdirSync(snapshots, { recursive: true });
    const dead = join(snapshots, 'abc.qkv.999999999.1700000000000.tmp');
    const live = join(snapshots, `abc.qkv.${process.pid}.1700000000000.tmp`);
    const kept = join(snapshots, 'abc.qkv');
    for (const file of [dead, live, kept]) writeFileSync(file, 'x');
    // An earlier version's RoPE table cache, which nothing reads now.
    const tables = join(root, 'rope-tables');
    mkdirSync(tables);
    writeFileSync(join(tables, 'abc-1048576.f32'), 'x');

    const report = cleanOrphans(root);
    expect(existsSync(tables)).toBe(false);
    expect(report.removed).toContain(tables);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(join(models, 'kept', 'quire.json'))).toBe(true);
    expect(report.restored).toEqual([join(models, 'kept')]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(kept)).toBe(true);
  });

  it('refuses a model id that is not installed, and forgets the chosen model when it is removed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-orphans-'));
    await convertCheckpoint(hf, join(root, 'models', 'tiny'), { precision: 'fp32' });
    const services = createAppServices({ mode: 'cli', root });
    try {
      const bad = await services.router('settings.update', { modelId: 'no-such-model' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await services.router('settings.update', { modelId: 'tiny' })).toMatchObject({ ok: true, value: { modelId: 'tiny' } });
      expect(await services.router('models.remove', { id: 'tiny' })).toMatchObject({ ok: true, value: { removed: true } });
      expect(await services.router('settings.get', {})).toMatchObject({ ok: true, value: { modelId: null } });
    } finally {
      await services.close();
    }
  }, 60_000);
});

function readdir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
