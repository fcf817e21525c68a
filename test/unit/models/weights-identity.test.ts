// A converted model whose files changed since they were verified is not used until verified again: found
// cheaply at every load (size, modification time, sampled blocks), verified in full with progress, refused as
// MODEL_CORRUPT naming the file and the repair; and a snapshot is bound to the weights' content.
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { openModelFolder } from '../../../electron/node/engine/model-folder.ts';
import { changedFile, VERIFIED_FILE } from '../../../models/weights-identity.ts';
import { tinyModel } from '../engine/tiny-model.ts';
import { runCli } from '../run-cli.ts';

const DATA = 'model.onnx.data';

// A private copy of the shared tiny model (the copy's files have new modification times, as after a move).
async function modelCopy(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'quire-weights-')), 'model');
  cpSync(await tinyModel(), dir, { recursive: true });
  return dir;
}

function overwrite(path: string, at: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

async function load(dir: string, onVerifyProgress?: () => void): Promise<void> {
  const session = await EngineSession.load(dir, { provider: 'cpu', context: 64, onVerifyProgress });
  await session.release();
}

describe('weights identity', () => {
  it('is recorded at conversion, so a converted model loads without a full verification', async () => {
    const dir = await tinyModel();
    expect(JSON.parse(readFileSync(join(dir, VERIFIED_FILE), 'utf8'))[DATA].size).toBe(statSync(join(dir, DATA)).size);
    expect(changedFile(dir)).toBeNull();
  });

  it('refuses weights with random bytes written into them, naming the file and the repair', async () => {
    const dir = await modelCopy();
    let verified = 0;
    await load(dir, () => verified++);
    // The copy was verified in full once (its files are not the recorded ones), then recorded: no second time.
    expect(verified).toBeGreaterThan(0);
    verified = 0;
    await load(dir, () => verified++);
    expect(verified).toBe(0);

    const size = statSync(join(dir, DATA)).size;
    overwrite(join(dir, DATA), Math.floor(size / 3), randomBytes(Math.min(64 * 1024, Math.floor(size / 4))));
    expect(changedFile(dir)).toBe(DATA);
    await expect(load(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/model\.onnx\.data .*convert the model again/) });
    // And at every load after, not only the first.
    await expect(load(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
  });

  it('finds damage that kept the modification time where a sampled block holds it', async () => {
    const dir = await modelCopy();
    await load(dir);
    const path = join(dir, DATA);
    const { atime, mtime } = statSync(path);
    overwrite(path, 16, randomBytes(256));
    utimesSync(path, atime, mtime);
    expect(changedFile(dir)).toBe(DATA);
    await expect(load(dir)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
  });

  it('is recorded by quire inspect model --verify, so the next load needs no full check', async () => {
    const dir = await modelCopy();
    expect(changedFile(dir)).not.toBeNull();
    expect((await runCli(['inspect', 'model', dir, '--verify', '--json'])).code).toBe(0);
    expect(changedFile(dir)).toBeNull();
  });

  it('binds snapshots to the content of the weights: other checksums, another model hash', async () => {
    const dir = await modelCopy();
    const before = openModelFolder(dir).modelHash;
    const manifestPath = join(dir, 'quire.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.checksums[DATA] = 'f'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(openModelFolder(dir).modelHash).not.toBe(before);
  });
});
