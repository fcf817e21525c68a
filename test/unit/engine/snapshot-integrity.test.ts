// A damaged KV snapshot is never used: whichever region is hit (header, tokens, tensor data with random bytes,
// NaN or zeros, the checksums), the document is prefilled again, the caller is warned, the answer's logits are
// those of a clean prefill, and a good snapshot replaces the bad one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnginePath } from '../../../electron/node/engine/backend.ts';
import { EngineSession } from '../../../electron/node/engine/engine-session.ts';
import { readBlockSums, readSnapshotHeader, tensorsOffset } from '../../../electron/node/engine/kv-snapshot.ts';
import { loadNativeAddon } from '../../../electron/node/engine/native-addon.ts';
import { tinyModel } from './tiny-model.ts';
import { maxDiff } from '../logits.ts';

const CONTEXT = 512;
const native = loadNativeAddon();
const PATHS: EnginePath[] = native.ok ? ['native', 'onnxruntime-node'] : ['onnxruntime-node'];
const doc = Array.from({ length: 120 }, (_, i) => (i * 53 + 7) % 250);
const question = [11, 12, 13];

type Damage = (file: Buffer, at: { header: number; tokens: number; tensors: number; trailer: number }) => void;

const nan = new Uint8Array(new Float32Array(64).fill(Number.NaN).buffer);
const DAMAGES: Record<string, Damage> = {
  'header JSON': (f, at) => void (f[at.header] ^= 0x01),
  'token ids': (f, at) => void f.writeInt32LE(249, at.tokens + 8),
  'tensor data: random bytes': (f, at) => void randomBytes(256).copy(f, at.tensors + 1000),
  'tensor data: NaN': (f, at) => void f.set(nan, at.tensors + 4096),
  'tensor data: zeros': (f, at) => void f.fill(0, at.tensors, at.tensors + 512),
  'tensor data: last byte': (f, at) => void (f[at.trailer - 1] ^= 0x80),
  'block checksums': (f, at) => void (f[at.trailer] ^= 0x01),
};

let dir: string;
beforeAll(async () => {
  dir = await tinyModel({ originalContext: 128, factor: 4 });
});

describe.each(PATHS)('a damaged snapshot on the %s path', (path) => {
  let s: EngineSession;
  let clean: Float32Array;
  let snapshot: string;
  let pristine: Buffer;
  beforeAll(async () => {
    s = await EngineSession.load(dir, { path, context: CONTEXT });
    snapshot = join(mkdtempSync(join(tmpdir(), 'quire-integrity-')), 'doc', 'a.qkv');
    expect(await s.loadDocument(doc, snapshot)).toBe('prefill');
    clean = await s.sync([...doc, ...question]);
    pristine = readFileSync(snapshot);
  });
  afterAll(() => s.release());

  it.each(Object.keys(DAMAGES))('(%s) is discarded, the document prefilled again, and its answer right', async (name) => {
    const header = await readSnapshotHeader(snapshot);
    const damaged = Buffer.from(pristine);
    const at = {
      header: pristine.indexOf('"modelHash"') + 14,
      tokens: header.dataOffset,
      tensors: tensorsOffset(header),
      trailer: tensorsOffset(header) + 2 * header.layers * header.kvHeads * header.tokenCount * header.rowBytes,
    };
    DAMAGES[name](damaged, at);
    expect(damaged.equals(pristine)).toBe(false);
    writeFileSync(snapshot, damaged);

    s.rewind(0);
    const warnings: string[] = [];
    const before = s.prefilledTokens;
    expect(await s.loadDocument(doc, snapshot, { onWarning: (w) => warnings.push(w) })).toBe('prefill');
    expect(s.prefilledTokens - before).toBe(doc.length);
    expect(warnings).toEqual([expect.stringMatching(/saved cache was damaged \(.+\); it was discarded and the document processed again/)]);
    expect(maxDiff(await s.sync([...doc, ...question]), clean)).toBeLessThan(1e-5);
    // The bad file was replaced by a good one, which restores.
    expect(readFileSync(snapshot).equals(pristine)).toBe(true);
    s.rewind(0);
    expect(await s.loadDocument(doc, snapshot)).toBe('snapshot');
  });
});

describe.runIf(native.ok)('the native addon', () => {
  it('checksums blocks exactly as the JS path does, across head and tensor boundaries, and checks them on load', async () => {
    const s = await EngineSession.load(dir, { path: 'native', context: CONTEXT });
    await s.prefill(doc);
    const file = join(mkdtempSync(join(tmpdir(), 'quire-integrity-')), 'body.bin');
    writeFileSync(file, '');
    // An odd block size, so blocks straddle the 120-row head spans.
    const session = (s.backend as unknown as { session: { saveKv: (...a: unknown[]) => Promise<Uint32Array>; loadKv: (...a: unknown[]) => Promise<void> } }).session;
    const sums = await session.saveKv(file, 0, doc.length, 1000);
    const body = readFileSync(file);
    const expected = Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) => crc32(body.subarray(i * 1000, (i + 1) * 1000)));
    expect(Array.from(sums)).toEqual(expected);
    await expect(session.loadKv(file, 0, doc.length, 1000, sums)).resolves.toBeUndefined();
    const wrong = sums.slice();
    wrong[3] ^= 1;
    await expect(s.backend.loadKv(file, 0, doc.length, 1000, wrong)).rejects.toMatchObject({ code: 'CORRUPT', message: 'snapshot block 3 fails its checksum' });
    await expect(s.backend.loadKv(file, 0, doc.length, 1000, sums.subarray(1))).rejects.toMatchObject({ code: 'CORRUPT' });
    await s.release();
  });

  it('reads the checksums the JS path wrote', async () => {
    const js = await EngineSession.load(dir, { path: 'onnxruntime-node', context: CONTEXT });
    const file = join(mkdtempSync(join(tmpdir(), 'quire-integrity-')), 'a.qkv');
    await js.prefill(doc);
    await js.saveSnapshot(file);
    const header = await readSnapshotHeader(file);
    expect((await readBlockSums(file, header)).length).toBe(1);
    const s = await EngineSession.load(dir, { path: 'native', context: CONTEXT });
    expect(await s.restoreSnapshot(file)).toBe(doc.length);
    await js.release();
    await s.release();
  });
  // The addon's own calls, below EngineSession (which always uses BLOCK_BYTES).
  type Kv = { saveKv: (path: string, offset: number, tokens: number, blockBytes: number) => Promise<Uint32Array>; loadKv: (path: string, offset: number, tokens: number, blockBytes: number, sums: Uint32Array) => Promise<void> };
  const kvOf = (s: EngineSession) => (s.backend as unknown as { session: Kv }).session;
  const blockSums = (body: Buffer, blockBytes: number) =>
    Array.from({ length: Math.ceil(body.length / blockBytes) }, (_, i) => crc32(body.subarray(i * blockBytes, (i + 1) * blockBytes)));

  it('sums blocks of every length as zlib does (64-byte folds, 16-byte folds and the bytes after them)', async () => {
    const s = await EngineSession.load(dir, { path: 'native', context: CONTEXT });
    await s.prefill(doc);
    const file = join(mkdtempSync(join(tmpdir(), 'quire-integrity-')), 'body.bin');
    for (const blockBytes of [1, 15, 16, 63, 64, 65, 80, 127, 128, 1000, 4099]) {
      writeFileSync(file, '');
      const sums = await kvOf(s).saveKv(file, 0, doc.length, blockBytes);
      expect(Array.from(sums), `${blockBytes}-byte blocks`).toEqual(blockSums(readFileSync(file), blockBytes));
    }
    await s.release();
  });

  it('moves the body in pieces of 16 blocks: the same bytes whatever the pieces, a bad block in a later piece named, a torn file refused', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'quire-integrity-'));
    const [small, whole, again] = ['small.bin', 'whole.bin', 'again.bin'].map((name) => join(folder, name));
    for (const f of [small, whole, again]) writeFileSync(f, '');
    const a = await EngineSession.load(dir, { path: 'native', context: CONTEXT });
    await a.prefill(doc);
    // 1000-byte blocks: 16000-byte pieces, which begin and end inside the 120-row head spans.
    const sums = await kvOf(a).saveKv(small, 0, doc.length, 1000);
    await kvOf(a).saveKv(whole, 0, doc.length, 1 << 20);
    const body = readFileSync(small);
    expect(body.length).toBeGreaterThan(3 * 16 * 1000);
    expect(body.equals(readFileSync(whole))).toBe(true);
    // Read back in pieces into a fresh cache, it saves as the same bytes.
    const b = await EngineSession.load(dir, { path: 'native', context: CONTEXT });
    await kvOf(b).loadKv(small, 0, doc.length, 1000, sums);
    await kvOf(b).saveKv(again, 0, doc.length, 1 << 20);
    expect(readFileSync(again).equals(body)).toBe(true);

    const damaged = Buffer.from(body);
    damaged[(2 * 16 + 5) * 1000 + 17] ^= 0x04; // block 37, in the third piece
    writeFileSync(small, damaged);
    await expect(b.backend.loadKv(small, 0, doc.length, 1000, sums)).rejects.toMatchObject({ code: 'CORRUPT', message: 'snapshot block 37 fails its checksum' });
    writeFileSync(small, body.subarray(0, 16 * 1000 + 500));
    await expect(b.backend.loadKv(small, 0, doc.length, 1000, sums)).rejects.toMatchObject({ code: 'CORRUPT', message: 'snapshot body is truncated' });
    await a.release();
    await b.release();
  });
});
