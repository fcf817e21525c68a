// Int4 quality at real width: a checkpoint converted fp32 and int4, both run on the same ids, every position's
// logits compared (cosine, top-1 agreement). Quire's quantizer is round-to-nearest with the block's
// largest-magnitude value over −8, ggml's reference Q4_0 rule, so this is also llama.cpp's Q4_0 of the weights.
//   node bench/int4-quality.ts --hf <checkpoint dir> [--tokens 256] [--dir /tmp/quire-bench-int4-quality]
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QuireError } from '../electron/common/errors.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { convertCheckpoint } from '../models/convert.ts';

const { values } = parseArgs({
  options: {
    hf: { type: 'string' },
    tokens: { type: 'string', default: '256' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-int4-quality') },
  },
});
if (!values.hf) throw new QuireError('USAGE', '--hf <checkpoint dir> is required');
const n = Number(values.tokens);
const ids = Array.from({ length: n }, (_, i) => (i * 7919 + 1) % 500);

async function logits(precision: 'fp32' | 'int4'): Promise<{ values: Float32Array; vocab: number }> {
  const model = join(values.dir, precision);
  if (!existsSync(join(model, 'quire.json'))) await convertCheckpoint(values.hf!, model, { precision });
  const session = await EngineSession.load(model, { context: n });
  const all = await session.prefill(ids, { allLogits: true });
  const vocab = session.model.dims.vocabSize;
  await session.release();
  return { values: all, vocab };
}

const reference = await logits('fp32');
const int4 = await logits('int4');
const V = reference.vocab;
let cosineSum = 0;
let cosineMin = 1;
let top1 = 0;
for (let p = 0; p < n; p++) {
  const a = reference.values.subarray(p * V, (p + 1) * V);
  const b = int4.values.subarray(p * V, (p + 1) * V);
  let [ab, aa, bb, ia, ib] = [0, 0, 0, 0, 0];
  for (let i = 0; i < V; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    if (a[i] > a[ia]) ia = i;
    if (b[i] > b[ib]) ib = i;
  }
  const c = ab / Math.sqrt(aa * bb);
  cosineSum += c;
  cosineMin = Math.min(cosineMin, c);
  if (ia === ib) top1++;
}
console.log(`int4 against fp32 on ${values.hf}, ${n} positions: logits cosine mean ${(cosineSum / n).toFixed(4)}, min ${cosineMin.toFixed(4)}; top-1 agreement ${((100 * top1) / n).toFixed(1)}%`);
