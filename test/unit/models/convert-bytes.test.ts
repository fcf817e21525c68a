import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portableBlake3 } from '../../../models/blake3.ts';
import { convertCheckpoint } from '../../../models/convert.ts';
import { ONNX_TYPE, type Precision } from '../../../models/model-spec.ts';
import { ExternalData, GraphBuilder } from '../../../models/onnx-writer.ts';
import type { SafeDtype } from '../../../models/safetensors.ts';
import { writeTinyCheckpoint } from '../../../models/tiny-checkpoint.ts';
import { nativeWeightCodecs } from '../../../models/weight-codecs.ts';

// The converter's output, byte for byte, as it was before the native codecs and the reading threads: sha256s
// of model.onnx (a demo checkpoint's has no path in it) and model.onnx.data, taken with the JavaScript quantizer
// of commit 8836473. Faster conversion must not change one byte. The source checksums are those of per-tensor
// BLAKE3 (they changed by design from per-tensor sha256), from the addon and the TypeScript BLAKE3 alike. The
// sha256s are taken here from the files: quire.json's checksums are BLAKE3 now, checked against the files too.
const GOLDEN: Record<string, { model: string; data: string; source: string }> = {
  'BF16-int4': {
    model: '14363d4be85f7997c61a7e4f254d3493b1149989ba2aefd38bd878525c5bdfd3',
    data: '5875dc87c5c54d9a3797f42430924982fd51a7cd52ac6ae4ca4edf7e3e960d33',
    source: '8e8e864c7df4bd3ede5319294aec056df122aaabfa5f6835409b05484bf05c76',
  },
  'BF16-fp16': {
    model: '1b6a133107f134bf2bd92f03ad0c8bd7062d228f3e529b28e3010ff7ee837cd7',
    data: 'dc980834f1193da2c9af0e157d3a3fc581f1fb9d55268485b47c06bf45acaa99',
    source: '8e8e864c7df4bd3ede5319294aec056df122aaabfa5f6835409b05484bf05c76',
  },
  'F16-int4': {
    model: '14363d4be85f7997c61a7e4f254d3493b1149989ba2aefd38bd878525c5bdfd3',
    data: '5f804ac49be752d9416de113eb7016347d65eee80f959eb89f5cc4af35ed7a44',
    source: 'f1a90561cd5b7f3c811bfcc11bb1cdbabedfcae16e209f64683f61d3b0be7fd2',
  },
  'F32-int4': {
    model: '14363d4be85f7997c61a7e4f254d3493b1149989ba2aefd38bd878525c5bdfd3',
    data: 'e53146629159caf9bdf902d7d8a4272655397bb0cd8bea715696f73586dde930',
    source: '74b1633cea02228fa28796c93a7de7a8f27e65a0ff54db167830b77b0f8c23b1',
  },
  'F32-fp16': {
    model: '1b6a133107f134bf2bd92f03ad0c8bd7062d228f3e529b28e3010ff7ee837cd7',
    data: '7ba2fe42c347e4404d8c6847fb40d4e0b8adab2f9e8e6aacf8cf6b04fe0c969a',
    source: '74b1633cea02228fa28796c93a7de7a8f27e65a0ff54db167830b77b0f8c23b1',
  },
};

const root = mkdtempSync(join(tmpdir(), 'quire-convert-bytes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CASES: { dtype: SafeDtype; precision: Precision }[] = [
  { dtype: 'BF16', precision: 'int4' },
  { dtype: 'BF16', precision: 'fp16' },
  { dtype: 'F16', precision: 'int4' },
  { dtype: 'F32', precision: 'int4' },
  { dtype: 'F32', precision: 'fp16' },
];

describe('conversion output bytes', () => {
  const paths = nativeWeightCodecs() ? ['native', 'JavaScript'] : ['JavaScript'];
  for (const { dtype, precision } of CASES) {
    it.each(paths)(`${dtype} → ${precision} (%s codecs) writes the same bytes as before`, async (path) => {
      const hf = join(root, `hf-${dtype}`);
      await writeTinyCheckpoint(hf, { dtype, hiddenSize: 128, intermediateSize: 384, layers: 1, heads: 4, kvHeads: 2, shards: 2, seed: 5 });
      const before = process.env.QUIRE_CONVERT_NATIVE;
      process.env.QUIRE_CONVERT_NATIVE = path === 'native' ? '1' : '0';
      try {
        const out = join(root, `out-${dtype}-${precision}-${path}`);
        const m = await convertCheckpoint(hf, out, { precision });
        const files = { model: readFileSync(join(out, 'model.onnx')), data: readFileSync(join(out, 'model.onnx.data')) };
        const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
        expect({ model: sha256(files.model), data: sha256(files.data), source: m.source.checksum }).toEqual(GOLDEN[`${dtype}-${precision}`]);
        expect(m.source.algorithm).toBe('blake3');
        const blake3 = (bytes: Uint8Array) => {
          const h = portableBlake3();
          h.update(bytes);
          return h.digest();
        };
        expect(m.checksumAlgorithm).toBe('blake3');
        expect({ model: m.checksums?.['model.onnx'], data: m.checksums?.['model.onnx.data'] }).toEqual({ model: blake3(files.model), data: blake3(files.data) });
      } finally {
        if (before === undefined) delete process.env.QUIRE_CONVERT_NATIVE;
        else process.env.QUIRE_CONVERT_NATIVE = before;
      }
    });
  }
});

describe('model.onnx.data written behind on a thread', () => {
  // Tensors of 3 bytes, 9 MiB + 5 (more than one 8 MiB piece of the ring), none, and 70 KiB: gaps of every size.
  const tensors = [3, 9 * 1024 * 1024 + 5, 0, 70 * 1024].map((n, t) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + t * 7) & 255));
  const write = (path: string, thread: boolean) => {
    const data = new ExternalData(path, 'x.data', { thread });
    const g = new GraphBuilder();
    tensors.forEach((bytes, t) => data.add(g, `t${t}`, ONNX_TYPE.UINT8, [bytes.length], [bytes.subarray(0, 1), bytes.subarray(1)]));
    data.close();
    return { sha: data.checksum(), initializers: JSON.stringify(g.initializers), file: readFileSync(path) };
  };

  it('gives the same file, offsets and checksum as writing on this thread', () => {
    const here = write(join(root, 'here.data'), false);
    const behind = write(join(root, 'behind.data'), true);
    expect(behind.sha).toBe(here.sha);
    expect(behind.initializers).toBe(here.initializers);
    expect(Buffer.compare(behind.file, here.file)).toBe(0);
  });

  it("hands the thread's write error back with its code", () => {
    const data = new ExternalData(join(root, 'no-such-folder', 'x.data'), 'x.data', { thread: true });
    expect(() => {
      data.add(new GraphBuilder(), 't', ONNX_TYPE.UINT8, [3], [new Uint8Array(3)]);
      data.close();
    }).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
