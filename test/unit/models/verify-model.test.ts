// Converted weights carry the checksum of every file the conversion wrote (BLAKE3; sha256 in manifests written
// before it); a damaged file is found by a check (MODEL_CORRUPT, naming it and the repair) instead of by garbage
// answers.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { portableBlake3 } from '../../../models/blake3.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { verifyModel } from '../../../models/verify-model.ts';
import { createAppServices } from '../../../electron/node/app-services.ts';
import { installTinyModel } from '../../e2e/tiny-model.ts';
import { runCli } from '../run-cli.ts';

let dir: string;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const blake3 = (path: string) => {
  const h = portableBlake3();
  h.update(readFileSync(path));
  return h.digest();
};

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'quire-verify-'));
  await writeTinyCheckpoint(join(root, 'hf'), { originalContext: 128, factor: 4 });
  dir = join(root, 'model');
  await convertCheckpoint(join(root, 'hf'), dir, { precision: 'fp32' });
}, 120_000);

// Runs `damage` on a file, expects the check to fail, and puts the file back.
async function expectCorrupt(file: string, damage: (bytes: Buffer) => Buffer, message: RegExp) {
  const path = join(dir, file);
  const pristine = readFileSync(path);
  writeFileSync(path, damage(Buffer.from(pristine)));
  try {
    await expect(verifyModel(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(message) });
  } finally {
    writeFileSync(path, pristine);
  }
}

describe('converted weights checksums', () => {
  it('are recorded at conversion for every file written, equal to the files on disk', async () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'quire.json'), 'utf8'));
    expect(Object.keys(manifest.checksums).sort()).toEqual(['model.onnx', 'model.onnx.data', ...manifest.files.tokenizer].sort());
    // The data file's sum is taken while it streams out, alignment gaps included, and still matches the file.
    expect(manifest.checksumAlgorithm).toBe('blake3');
    for (const [file, sum] of Object.entries(manifest.checksums)) expect(blake3(join(dir, file)), file).toBe(sum);
    const progress: number[] = [];
    await expect(verifyModel(dir, { onProgress: (p) => progress.push(p.doneBytes) })).resolves.toMatchObject({ status: 'ok' });
    expect(progress.at(-1)).toBeGreaterThan(manifest.bytes.data);
  });

  it('find 64 KB overwritten in the weights, a changed graph or tokenizer, and a missing file', async () => {
    const data = readFileSync(join(dir, 'model.onnx.data'));
    const at = Math.floor(data.length / 2);
    await expectCorrupt('model.onnx.data', (b) => (randomBytes(64 * 1024).copy(b, at), b), /^model\.onnx\.data in .+ does not match the checksum recorded when it was converted; convert the model again/);
    await expectCorrupt('model.onnx.data', (b) => b.fill(0, at, at + 64 * 1024), /model\.onnx\.data/);
    await expectCorrupt('model.onnx', (b) => ((b[b.length - 1] ^= 1), b), /^model\.onnx in/);
    await expectCorrupt('tokenizer.json', (b) => Buffer.concat([b, Buffer.from(' ')]), /^tokenizer\.json in/);
    await expectCorrupt('model.onnx', () => Buffer.alloc(0), /model\.onnx in/);
    const graph = readFileSync(join(dir, 'model.onnx'));
    rmSync(join(dir, 'model.onnx'));
    try {
      await expect(verifyModel(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/^model\.onnx is missing/) });
    } finally {
      writeFileSync(join(dir, 'model.onnx'), graph);
    }
    await expect(verifyModel(dir)).resolves.toMatchObject({ status: 'ok' });
  });

  it('say so when a model was converted before checksums existed', async () => {
    const path = join(dir, 'quire.json');
    const pristine = readFileSync(path, 'utf8');
    const { checksums: _, ...old } = JSON.parse(pristine);
    writeFileSync(path, JSON.stringify(old));
    try {
      await expect(verifyModel(dir)).resolves.toMatchObject({ status: 'unchecked', reason: expect.stringMatching(/convert it again/) });
    } finally {
      writeFileSync(path, pristine);
    }
  });

  // A model converted before BLAKE3: sha256 checksums and no checksumAlgorithm. It verifies with sha256, damage
  // is found, and sha256 sums read as BLAKE3 would not match.
  it('verify a manifest written with sha256 as sha256', async () => {
    const path = join(dir, 'quire.json');
    const pristine = readFileSync(path, 'utf8');
    const { checksumAlgorithm: _, ...manifest } = JSON.parse(pristine);
    manifest.checksums = Object.fromEntries(Object.keys(manifest.checksums).map((file) => [file, sha256(join(dir, file))]));
    try {
      writeFileSync(path, JSON.stringify(manifest));
      await expect(verifyModel(dir)).resolves.toMatchObject({ status: 'ok' });
      await expectCorrupt('model.onnx.data', (b) => ((b[b.length >> 1] ^= 1), b), /^model\.onnx\.data in .+ does not match the checksum/);
      writeFileSync(path, JSON.stringify({ ...manifest, checksumAlgorithm: 'blake3' }));
      await expect(verifyModel(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    } finally {
      writeFileSync(path, pristine);
    }
    await expect(verifyModel(dir)).resolves.toMatchObject({ status: 'ok' });
  });

  it('are checked by quire inspect model --verify, a damaged file failing in one line', async () => {
    const ok = await runCli(['inspect', 'model', dir, '--verify', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ verified: 'ok' });
    // Without --verify the output is as before.
    expect(JSON.parse((await runCli(['inspect', 'model', dir, '--json'])).stdout)).not.toHaveProperty('verified');
    const path = join(dir, 'model.onnx.data');
    const pristine = readFileSync(path);
    const damaged = Buffer.from(pristine);
    damaged[100] ^= 0xff;
    writeFileSync(path, damaged);
    try {
      const bad = await runCli(['inspect', 'model', dir, '--verify', '--json']);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^quire: MODEL_CORRUPT: model\.onnx\.data in .+ convert the model again/)]);
    } finally {
      writeFileSync(path, pristine);
    }
  });
});

describe('models.verify', () => {
  it('checks an installed model through the router, streaming progress, and refuses unknown ids', { timeout: 120_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'quire-verify-app-'));
    const installed = await installTinyModel(root, 'tiny-verify');
    const services = createAppServices({ mode: 'cli', root });
    try {
      const progress: unknown[] = [];
      services.bus.subscribe((name, payload) => name === 'models.verifyProgress' && progress.push(payload));
      expect(await services.router('models.verify', { id: 'tiny-verify' })).toEqual({ ok: true, value: { status: 'ok', message: expect.stringMatching(/files match the checksums/) } });
      expect(progress.at(-1)).toMatchObject({ id: 'tiny-verify', doneBytes: expect.any(Number) });
      const data = join(installed, 'model.onnx.data');
      const bytes = readFileSync(data);
      bytes.fill(0xff, 4096, 4096 + 64 * 1024);
      writeFileSync(data, bytes);
      expect(await services.router('models.verify', { id: 'tiny-verify' })).toMatchObject({ ok: false, error: { code: 'MODEL_CORRUPT' } });
      expect(await services.router('models.verify', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    } finally {
      await services.close();
    }
  });
});
