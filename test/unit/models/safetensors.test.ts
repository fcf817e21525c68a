import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../../electron/common/random.ts';
import { float32ToBf16, float32ToHalf } from '../../../models/float16.ts';
import { parseLlamaConfig } from '../../../models/hf-config.ts';
import { dequantizeInt4Rows, quantizeInt4Rows } from '../../../models/int4.ts';
import { nativeAddonFile } from '../../../models/native-addon-file.ts';
import { Checkpoint, writeSafetensors } from '../../../models/safetensors.ts';
import { TensorPrefetch } from '../../../models/tensor-prefetch.ts';

const root = mkdtempSync(join(tmpdir(), 'quire-st-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const values = Float32Array.from({ length: 6 * 5 }, (_, i) => (i - 15) * 0.375);
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// Drops a file from the page cache, so that the reader takes it from the disk with O_DIRECT.
function evict(file: string): void {
  if (process.platform !== 'linux') return;
  const fd = openSync(file, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

describe('safetensors', () => {
  it('reads F32, F16 and BF16 in row chunks', () => {
    const dir = join(root, 'a');
    mkdirSync(dir);
    writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'f32', dtype: 'F32', shape: [6, 5], chunks: () => [bytes(values)] },
      { name: 'f16', dtype: 'F16', shape: [6, 5], chunks: () => [bytes(float32ToHalf(values))] },
      { name: 'bf16', dtype: 'BF16', shape: [6, 5], chunks: () => [bytes(float32ToBf16(values))] },
    ]);
    const ckpt = new Checkpoint(dir);
    for (const name of ['f32', 'f16', 'bf16']) expect(Array.from(ckpt.read(name))).toEqual(Array.from(values));
    // 2 rows of 5 float32 per 40-byte chunk
    const chunks = [...ckpt.rows('f32', 40)].map((c) => [c.rowStart, c.rows]);
    expect(chunks).toEqual([[0, 2], [2, 2], [4, 2]]);
    expect(() => ckpt.info('nope')).toThrow(/no tensor "nope"/);
    expect(ckpt.sourceChecksum()).toMatch(/^[0-9a-f]{64}$/);
    ckpt.close();
  });

  it('reading ahead on threads gives the same chunks and checksum as reading on this one', () => {
    const dir = join(root, 'prefetch');
    mkdirSync(dir);
    const r = Array.from({ length: 7 }, (_, t) => Float32Array.from({ length: 9 * 5 }, (_, i) => Math.sin(i + t * 100)));
    writeSafetensors(join(dir, 'model.safetensors'), [
      ...r.map((v, t) => ({ name: `t${t}`, dtype: 'BF16' as const, shape: [9, 5], chunks: () => [bytes(float32ToBf16(v))] })),
      { name: 'f32', dtype: 'F32', shape: [6, 5], chunks: () => [bytes(values)] },
      { name: 'norm', dtype: 'F16', shape: [5], chunks: () => [bytes(float32ToHalf(values.subarray(0, 5)))] },
    ]);
    const read = (prefetch: boolean) => {
      evict(join(dir, 'model.safetensors'));
      const ckpt = new Checkpoint(dir, { prefetch });
      const seen: unknown[] = [];
      // Pieces of 1, 2 and 4 rows: seven tensors go round the four-slot ring several times.
      for (const [name, chunkBytes] of [['t0', 10], ['t1', 20], ['t2', 40], ['t3', 1000], ['t4', 10], ['t5', 20], ['t6', 10], ['f32', 40], ['norm', 10]] as const) {
        for (const c of ckpt.chunks(name, chunkBytes)) seen.push([name, c.dtype, c.rowStart, c.rows, Array.from(c.bytes)]);
      }
      // A reader that stops after the first chunk; the next tensor still starts at its own first row.
      for (const c of ckpt.chunks('t0', 10)) {
        seen.push(c.rows);
        break;
      }
      seen.push(Array.from(ckpt.read('t1')));
      ckpt.close();
      return { seen, checksum: ckpt.sourceChecksum() };
    };
    const serial = read(false);
    expect(read(true)).toEqual(serial);
    expect(serial.seen.filter((c) => (c as unknown[])[0] === 't0').length).toBe(9);
  });

  it('a checkpoint cut short while read ahead is CORRUPT, not a hang', () => {
    const dir = join(root, 'cut');
    mkdirSync(dir);
    const file = join(dir, 'model.safetensors');
    writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [6, 5], chunks: () => [bytes(values)] }]);
    const ckpt = new Checkpoint(dir, { prefetch: true });
    truncateSync(file, statSync(file).size - 30);
    evict(file);
    let error: unknown;
    try {
      for (const chunk of ckpt.chunks('w', 40)) expect(chunk.rows).toBe(2);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/unexpected end of file in w$/) });
    ckpt.close();
  });

  it('rounds to fp16 with ties to even, overflow to inf', () => {
    expect(Array.from(float32ToHalf(Float32Array.from([1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 2 ** -25, -0])))).toEqual([0x3c00, 0x3c00, 0x3c02, 0x7c00, 0, 0x8000]);
  });

  it('int4 blocks: the extreme value is exact, others within one step (ORT/q4_0 saturation on the far side)', () => {
    const k = 64;
    const src = Float32Array.from({ length: 2 * k }, (_, i) => Math.sin(i * 1.7) * (i % 7));
    const packed = new Uint8Array(k);
    const scales = new Float32Array(4);
    quantizeInt4Rows(src, 2, k, packed, scales);
    const back = dequantizeInt4Rows(packed, scales, 2, k);
    for (let i = 0; i < src.length; i++) {
      const step = Math.abs(scales[i >> 5]);
      // values on the extreme's side round to nearest; the other side saturates at +7 steps
      const bound = Math.sign(src[i]) === -Math.sign(scales[i >> 5]) ? step / 2 : step;
      expect(Math.abs(back[i] - src[i])).toBeLessThanOrEqual(bound + 1e-6);
    }
    for (let b = 0; b < 4; b++) {
      const block = Array.from(src.subarray(b * 32, b * 32 + 32));
      const extreme = block.reduce((a, v) => (Math.abs(v) > Math.abs(a) ? v : a), 0);
      expect(back[b * 32 + block.indexOf(extreme)]).toBeCloseTo(extreme, 6);
    }
  });

  it('refuses configs the graph cannot express', () => {
    const base = { model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 10, rms_norm_eps: 1e-5, rope_theta: 1e4, max_position_embeddings: 128 };
    expect(parseLlamaConfig(base).headDim).toBe(16);
    expect(() => parseLlamaConfig({ ...base, num_key_value_heads: 3 })).toThrow(/multiple of num_key_value_heads/);
    expect(() => parseLlamaConfig({ ...base, head_dim: 24 })).toThrow(/head_dim 24/);
    expect(() => parseLlamaConfig({ ...base, rope_scaling: { rope_type: 'dynamic', factor: 2 } })).toThrow(/rope_type "dynamic"/);
    expect(() => parseLlamaConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(/needs "low_freq_factor"/);
    expect(parseLlamaConfig({ ...base, rope_parameters: { rope_type: 'yarn', rope_theta: 5e5, factor: 4, original_max_position_embeddings: 32 } }).rope).toMatchObject({ rope_type: 'yarn', rope_theta: 5e5, factor: 4 });
  });
});

// O_DIRECT wants a disk: tmpfs takes it or not depending on the kernel, and serves from memory either way.
const TMPFS_MAGIC = 0x01021994;
const addon = (() => {
  try {
    return createRequire(import.meta.url)(nativeAddonFile.path) as { inPageCache?: unknown };
  } catch {
    return null;
  }
})();
function opensDirect(file: string): boolean {
  try {
    closeSync(openSync(file, constants.O_RDONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  }
}

describe('checkpoint reads with O_DIRECT', () => {
  afterEach(() => vi.unstubAllEnvs());
  // Not a multiple of the 4096-byte block, so the file's last block is a partial one.
  const size = 6 * 4096 + 1234;
  const random = mulberry32(7);
  const data = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
  const file = join(root, 'direct.bin');
  writeFileSync(file, data);
  const directReads = typeof addon?.inPageCache === 'function' && statfsSync(root).type !== TMPFS_MAGIC && opensDirect(file);
  // [start, length, piece]: unaligned starts and lengths, pieces crossing block boundaries and not a multiple of
  // one, tiny and empty ranges, the file's last bytes, an odd start (read buffered, to stay 16-bit aligned).
  const ranges: [number, number, number][] = [
    [0, size, 4096],
    [2, 10_000, 3000],
    [4094, 4, 2],
    [2 * 4096 - 2, 8192 + 6, 8192],
    [4096, 4096, 4096],
    [6, 2, 2],
    [100, 0, 1],
    [size - 10, 10, 10],
    [size - 5002, 5002, 4096],
    [1, 9001, 4000],
  ];

  const readAll = (path: string) => {
    const prefetch = new TensorPrefetch(16384);
    try {
      // Copied as they come: a piece is a view into the ring, valid until the next.
      const pieces = ranges.map(([start, length, piece], i) => Array.from(prefetch.read(path, start, length, piece, `r${i}`), (p) => Array.from(p)));
      return { pieces, digests: prefetch.digests(), direct: prefetch.directPieces() };
    } finally {
      prefetch.close();
    }
  };
  const expected = ranges.map(([start, length, piece]) => {
    const out: number[][] = [];
    for (let done = 0; done < length || out.length === 0; done += piece) out.push(Array.from(data.subarray(start + done, start + Math.min(length, done + piece))));
    return out;
  });

  it.skipIf(!directReads)('gives the bytes and digests of buffered reads, wherever the ranges start and end', () => {
    evict(file);
    const direct = readAll(file);
    // Every piece from the disk (20) but the odd-start range's three and the empty range's one.
    expect(direct.direct).toBe(20);
    expect(direct.pieces).toEqual(expected);
    vi.stubEnv('QUIRE_CONVERT_DIRECT', '0');
    const buffered = readAll(file);
    expect(buffered.direct).toBe(0);
    expect(buffered).toEqual({ ...direct, direct: 0 });
  });

  it.skipIf(!directReads)('reads what the page cache holds from there', () => {
    readFileSync(file);
    expect(readAll(file).direct).toBe(0);
    evict(file);
    expect(readAll(file).direct).toBeGreaterThan(0);
  });

  it.skipIf(!existsSync('/dev/shm'))('reads tmpfs (/dev/shm) buffered, the same bytes', () => {
    const shm = mkdtempSync('/dev/shm/quire-st-');
    try {
      writeFileSync(join(shm, 'direct.bin'), data);
      const read = readAll(join(shm, 'direct.bin'));
      expect(read.direct).toBe(0);
      expect(read.pieces).toEqual(expected);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });

  it.skipIf(!directReads)('a range past the end of the file is CORRUPT', () => {
    evict(file);
    const prefetch = new TensorPrefetch(16384);
    try {
      expect(() => [...prefetch.read(file, size - 4096 - 2, 4096 + 10, 4096, 'tail')]).toThrow(expect.objectContaining({ code: 'CORRUPT', message: expect.stringMatching(/unexpected end of file in tail$/) }));
      expect(prefetch.directPieces()).toBeGreaterThan(0);
    } finally {
      prefetch.close();
    }
  });
});
