import { mkdtemp, open, readdir, readFile, stat, truncate, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { enforceSnapshotBudget } from '../../../electron/node/runtime/prefix-store.ts';
import {
  BLOCKS_PER_IO,
  BlockSums,
  checkSnapshot,
  makeHeader,
  readBlockSums,
  readCacheBody,
  readSnapshotHeader,
  readSnapshotTokens,
  tensorsOffset,
  writeCacheBody,
  writeSnapshot,
  type KvLayout,
} from '../../../electron/node/engine/kv-snapshot.ts';

const layout: KvLayout = { layers: 3, kvHeads: 2, headDim: 8, kvDtype: 'fp32' };
const identity = { modelHash: 'm1', ropeHash: 'r1' };
const capacity = 16;
const rowBytes = 8 * 4;

function randomCache(seed: number): Uint8Array[] {
  return Array.from({ length: layout.layers * 2 }, (_, i) => {
    const bytes = new Uint8Array(layout.kvHeads * capacity * rowBytes);
    for (let j = 0; j < bytes.length; j++) bytes[j] = (j * 31 + i * 7 + seed) & 255;
    return bytes;
  });
}

async function saved(dir: string, tokens: number[], cache = randomCache(1)) {
  const header = makeHeader(layout, identity, tokens);
  const path = join(dir, 'doc1', 'a.qkv');
  await writeSnapshot(path, header, tokens, (file, _tmp, offset) =>
    writeCacheBody(file, offset, layout, tokens.length, capacity, (l, k) => cache[l * 2 + k], header.blockBytes),
  );
  return { path, header, cache };
}

describe('kv snapshots', () => {
  it('round-trips the prefix rows of every head, and only those', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-kv-'));
    const tokens = [5, 9, 2, 7, 1];
    const { path, cache } = await saved(dir, tokens);
    const header = await readSnapshotHeader(path);
    expect(header.tokenCount).toBe(5);
    expect(header.dataOffset % 4096).toBe(0);
    expect(Array.from(await readSnapshotTokens(path, header))).toEqual(tokens);
    const restored = Array.from({ length: 6 }, () => new Uint8Array(layout.kvHeads * capacity * rowBytes));
    const sums = await readBlockSums(path, header);
    await readCacheBody(path, tensorsOffset(header), layout, header.tokenCount, capacity, (l, k) => restored[l * 2 + k], header.blockBytes, sums);
    for (let t = 0; t < 6; t++) {
      for (let h = 0; h < layout.kvHeads; h++) {
        const start = h * capacity * rowBytes;
        expect(restored[t].subarray(start, start + 5 * rowBytes)).toEqual(cache[t].subarray(start, start + 5 * rowBytes));
        // Rows past the prefix are not written.
        expect(restored[t][start + 5 * rowBytes]).toBe(0);
      }
    }
  });

  it('refuses snapshots for another model, rope table or dtype', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-kv-'));
    const { path } = await saved(dir, [1, 2, 3]);
    const header = await readSnapshotHeader(path);
    expect(() => checkSnapshot(header, { ...layout, ...identity })).not.toThrow();
    expect(() => checkSnapshot(header, { ...layout, ...identity, ropeHash: 'r2' })).toThrow(/ropeHash/);
    expect(() => checkSnapshot(header, { ...layout, ...identity, modelHash: 'x' })).toThrow(expect.objectContaining({ code: 'SNAPSHOT_MISMATCH' }));
    expect(() => checkSnapshot(header, { ...layout, ...identity, kvDtype: 'fp16' })).toThrow(/kvDtype/);
    await expect(
      readCacheBody(path, tensorsOffset(header), layout, header.tokenCount, 2, () => new Uint8Array(0), header.blockBytes, new Uint32Array(1)),
    ).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
  });

  it('rejects truncated, foreign and missing files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-kv-'));
    const { path, header } = await saved(dir, [1, 2, 3]);
    await truncate(path, header.dataOffset + 10);
    await expect(readSnapshotHeader(path)).rejects.toMatchObject({ code: 'CORRUPT' });
    await writeFile(join(dir, 'x.qkv'), 'hello world, not a snapshot');
    await expect(readSnapshotHeader(join(dir, 'x.qkv'))).rejects.toMatchObject({ code: 'CORRUPT' });
    await expect(readSnapshotHeader(join(dir, 'none.qkv'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves nothing behind when writing fails midway', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-kv-'));
    const header = makeHeader(layout, identity, [1]);
    const path = join(dir, 'doc', 'a.qkv');
    await expect(writeSnapshot(path, header, [1], async () => { throw new Error('disk full'); })).rejects.toThrow('disk full');
    expect(await readdir(join(dir, 'doc'))).toEqual([]);
    // A body of the wrong size, or without its checksums, is refused too.
    await expect(writeSnapshot(path, header, [1], async () => new Uint32Array(1))).rejects.toThrow(/expected/);
    const cache = randomCache(2);
    const body = (file: FileHandle, offset: number) => writeCacheBody(file, offset, layout, 1, capacity, (l, k) => cache[l * 2 + k], header.blockBytes);
    await expect(writeSnapshot(path, header, [1], async (file, _tmp, offset) => (await body(file, offset)).subarray(1))).rejects.toThrow(/checksums/);
    expect(await readdir(join(dir, 'doc'))).toEqual([]);
  });

  it('evicts least recently used snapshots down to the budget, sparing the one in use', async () => {
    const root = await mkdtemp(join(tmpdir(), 'quire-kv-'));
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      const header = makeHeader(layout, { modelHash: `m${i}`, ropeHash: 'r' }, [i]);
      const path = join(root, `doc${i}`, 'a.qkv');
      await writeSnapshot(path, header, [i], (file, _tmp, offset) =>
        writeCacheBody(file, offset, layout, 1, capacity, () => new Uint8Array(layout.kvHeads * capacity * rowBytes), header.blockBytes),
      );
      await utimes(path, new Date(1000 * (i + 1)), new Date(1000 * (i + 1)));
      paths.push(path);
    }
    const size = (await stat(paths[0])).size;
    await utimes(paths[0], new Date(), new Date()); // now the most recent
    const deleted = await enforceSnapshotBudget(root, 2 * size, new Set([paths[1]]));
    expect(deleted).toEqual([paths[2]]);
    expect(await enforceSnapshotBudget(root, 0, new Set([paths[1]]))).toEqual([paths[0]]);
  });

  it('checksums the tensor data in fixed blocks across head and tensor boundaries', async () => {
    const bytes = Uint8Array.from({ length: 2500 }, (_, i) => (i * 131) & 255);
    const sums = new BlockSums(1000);
    // Fed in pieces that straddle block boundaries, as head spans do.
    for (const [a, b] of [[0, 7], [7, 1500], [1500, 2000], [2000, 2500]]) sums.feed(bytes.subarray(a, b));
    const expected = [crc32(bytes.subarray(0, 1000)), crc32(bytes.subarray(1000, 2000)), crc32(bytes.subarray(2000))];
    expect(Array.from(sums.finish())).toEqual(expected);
    const check = new BlockSums(1000, Uint32Array.from(expected));
    check.feed(bytes);
    expect(() => check.finish()).not.toThrow();
    const damaged = bytes.slice();
    damaged[1500] ^= 1;
    expect(() => new BlockSums(1000, Uint32Array.from(expected)).feed(damaged)).toThrow(expect.objectContaining({ code: 'CORRUPT', message: expect.stringMatching(/block 1/) }));
    // A missing block is as bad as a wrong one.
    const short = new BlockSums(1000, Uint32Array.from(expected));
    short.feed(bytes.subarray(0, 2000));
    expect(() => short.finish()).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
  });

  it('refuses a damaged header, tokens or tensor data, each with CORRUPT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-kv-'));
    const tokens = [5, 9, 2, 7, 1];
    const { path, header } = await saved(dir, tokens);
    const pristine = await readFile(path);
    const restore = async () => {
      const h = await readSnapshotHeader(path);
      await readSnapshotTokens(path, h);
      const target = Array.from({ length: 6 }, () => new Uint8Array(layout.kvHeads * capacity * rowBytes));
      await readCacheBody(path, tensorsOffset(h), layout, h.tokenCount, capacity, (l, k) => target[l * 2 + k], h.blockBytes, await readBlockSums(path, h));
    };
    await expect(restore()).resolves.toBeUndefined();
    const json = pristine.indexOf('"tokenCount"');
    const regions: [string, number][] = [
      ['header', json + 2],
      ['tokens', header.dataOffset + 4],
      ['tensor data', tensorsOffset(header) + 40],
      ['checksums', pristine.length - 2],
    ];
    for (const [region, at] of regions) {
      const damaged = Buffer.from(pristine);
      damaged[at] ^= 0x10;
      await writeFile(path, damaged);
      await expect(restore(), region).rejects.toMatchObject({ code: 'CORRUPT' });
    }
  });

  describe('moves the body in pieces of BLOCKS_PER_IO blocks', () => {
    // 36-byte blocks: 576-byte pieces over 160-byte head spans (5 rows of 32 bytes), so pieces begin and end
    // inside heads and tensors.
    const blockBytes = 36;
    const tokens = 5;
    const bodyBytes = 2 * layout.layers * layout.kvHeads * tokens * rowBytes;

    async function body(dir: string) {
      const cache = randomCache(3);
      const path = join(dir, 'body.bin');
      await writeFile(path, '');
      const file = await open(path, 'r+');
      // Each write, as [position, bytes].
      const writes: [number, number][] = [];
      const recording = {
        writev: (parts: Uint8Array[], position: number) => {
          writes.push([position, parts.reduce((n, p) => n + p.length, 0)]);
          return file.writev(parts, position);
        },
      } as unknown as FileHandle;
      const sums = await writeCacheBody(recording, 0, layout, tokens, capacity, (l, k) => cache[l * 2 + k], blockBytes);
      await file.close();
      return { path, cache, sums, writes };
    }
    // A cache in shared memory is checked on worker threads (block-sum-workers.ts), any other on this thread.
    const restore = (path: string, sums: Uint32Array, shared: boolean) => {
      const bytes = layout.kvHeads * capacity * rowBytes;
      const target = Array.from({ length: 6 }, () => new Uint8Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)));
      return readCacheBody(path, 0, layout, tokens, capacity, (l, k) => target[l * 2 + k], blockBytes, sums).then(() => target);
    };

    it('writes the same bytes and block sums across piece boundaries, and reads them back into place', async () => {
      expect(bodyBytes).toBeGreaterThan(2 * BLOCKS_PER_IO * blockBytes);
      const { path, cache, sums, writes } = await body(await mkdtemp(join(tmpdir(), 'quire-kv-')));
      const piece = BLOCKS_PER_IO * blockBytes;
      expect(writes).toEqual(Array.from({ length: Math.ceil(bodyBytes / piece) }, (_, i) => [i * piece, Math.min(piece, bodyBytes - i * piece)]));
      const written = await readFile(path);
      expect(written.length).toBe(bodyBytes);
      const expected: number[] = [];
      for (let at = 0; at < written.length; at += blockBytes) expected.push(crc32(written.subarray(at, at + blockBytes)));
      expect(Array.from(sums)).toEqual(expected);
      // The file is the heads' prefix rows in order: tensor by tensor, head by head.
      for (let t = 0; t < 6; t++) {
        for (let h = 0; h < layout.kvHeads; h++) {
          const at = (t * layout.kvHeads + h) * tokens * rowBytes;
          expect(written.subarray(at, at + tokens * rowBytes)).toEqual(Buffer.from(cache[t].subarray(h * capacity * rowBytes, h * capacity * rowBytes + tokens * rowBytes)));
        }
      }
      for (const shared of [false, true]) {
        const restored = await restore(path, sums, shared);
        for (let t = 0; t < 6; t++) {
          for (let h = 0; h < layout.kvHeads; h++) {
            const start = h * capacity * rowBytes;
            expect(restored[t].subarray(start, start + tokens * rowBytes)).toEqual(cache[t].subarray(start, start + tokens * rowBytes));
          }
        }
      }
    });

    it('names the bad block in a later piece, and refuses a file torn inside a piece', async () => {
      const { path, sums } = await body(await mkdtemp(join(tmpdir(), 'quire-kv-')));
      const pristine = await readFile(path);
      const damaged = Buffer.from(pristine);
      const block = BLOCKS_PER_IO + 3; // in the second piece
      damaged[block * blockBytes + 7] ^= 0x20;
      for (const shared of [false, true]) {
        await writeFile(path, damaged);
        await expect(restore(path, sums, shared)).rejects.toMatchObject({ code: 'CORRUPT', message: `snapshot block ${block} fails its checksum` });
        await writeFile(path, pristine.subarray(0, BLOCKS_PER_IO * blockBytes + 100));
        await expect(restore(path, sums, shared)).rejects.toMatchObject({ code: 'CORRUPT', message: 'snapshot body is truncated' });
      }
    });

    it('reads a piece of more head spans than one system call takes (IOV_MAX)', async () => {
      // 64 layers × 16 heads × K and V: 2048 spans of one 32-byte row, all in one piece.
      const wide: KvLayout = { layers: 64, kvHeads: 16, headDim: 8, kvDtype: 'fp32' };
      const caches = Array.from({ length: wide.layers * 2 }, (_, i) => Uint8Array.from({ length: wide.kvHeads * 2 * rowBytes }, (_, j) => (i * 13 + j) & 255));
      const dir = await mkdtemp(join(tmpdir(), 'quire-kv-'));
      const header = makeHeader(wide, identity, [4]);
      const path = join(dir, 'wide.qkv');
      await writeSnapshot(path, header, [4], (file, _tmp, offset) => writeCacheBody(file, offset, wide, 1, 2, (l, k) => caches[l * 2 + k], header.blockBytes));
      const target = caches.map((c) => new Uint8Array(c.length));
      const h = await readSnapshotHeader(path);
      await readCacheBody(path, tensorsOffset(h), wide, 1, 2, (l, k) => target[l * 2 + k], h.blockBytes, await readBlockSums(path, h));
      for (let t = 0; t < caches.length; t++) {
        for (let head = 0; head < wide.kvHeads; head++) {
          const at = head * 2 * rowBytes;
          expect(target[t].subarray(at, at + rowBytes)).toEqual(caches[t].subarray(at, at + rowBytes));
        }
      }
    });
  });
});
