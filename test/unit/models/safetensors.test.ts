import { mkdirSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float32ToBf16, float32ToHalf } from '../../../models/float16.ts';
import { parseLlamaConfig } from '../../../models/hf-config.ts';
import { dequantizeInt4Rows, quantizeInt4Rows } from '../../../models/int4.ts';
import { Checkpoint, writeSafetensors } from '../../../models/safetensors.ts';

const root = mkdtempSync(join(tmpdir(), 'quire-st-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const values = Float32Array.from({ length: 6 * 5 }, (_, i) => (i - 15) * 0.375);
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

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
