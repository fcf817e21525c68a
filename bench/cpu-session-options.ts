// What each onnxruntime session option buys Quire's int4 model on the CPU, measured in one run: prefill and
// decode tokens/s of the native path for each variant (intra-op threads, spinning, prefill chunk),
// variants alternated round by round and the best of --rounds kept, since the cores may be shared.
//   node bench/cpu-session-options.ts --model <int4 model dir> [--context 2048] [--decode 16] [--rounds 2]
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { QuireError } from '../electron/common/errors.ts';
import { loadNativeAddon } from '../electron/node/engine/native-addon.ts';
import { NativeBackend } from '../electron/node/engine/native-backend.ts';
import { openModelFolder, ropeInputs } from '../electron/node/engine/model-folder.ts';
import type { NativeSessionOptions } from '../electron/node/engine/native-addon.ts';
import { printTable, seconds } from './roofline.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    context: { type: 'string', default: '2048' },
    decode: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
  },
});
if (!values.model) throw new QuireError('USAGE', '--model <int4 model dir> is required');
const native = loadNativeAddon();
if (!native.ok) throw new QuireError('UNSUPPORTED_MODEL', native.reason);
const { addon } = native;

interface Variant {
  name: string;
  options: Omit<NativeSessionOptions, 'provider'>;
  chunk: number;
}

const cores = availableParallelism();
const SPIN = { sessionConfig: { 'session.intra_op.allow_spinning': '1' } };
const VARIANTS: Variant[] = [
  { name: "1 thread, spinning (onnxruntime's defaults here)", options: { intraOpThreads: 1, ...SPIN }, chunk: 512 },
  { name: `${cores} threads, spinning`, options: SPIN, chunk: 512 },
  { name: `${cores} threads, no spinning (Quire's defaults)`, options: {}, chunk: 512 },
  { name: `${cores} threads, no spinning, chunk 256`, options: {}, chunk: 256 },
  { name: `${cores} threads, no spinning, chunk 1024`, options: {}, chunk: 1024 },
];

const model = openModelFolder(values.model);
const n = Number(values.context);
const decodeSteps = Number(values.decode);
const ids = Array.from({ length: n }, (_, i) => (i * 7919 + 1) % 500);
const rope = ropeInputs(model, n + decodeSteps + 1);

async function measure(v: Variant): Promise<{ prefill: number; decode: number }> {
  const backend = new NativeBackend(addon, model, rope, { provider: 'cpu', ...v.options });
  try {
    let start = performance.now();
    for (let past = 0; past < n; past += v.chunk) await backend.step(ids.slice(past, past + v.chunk), past, 1);
    const prefill = n / seconds(start);
    start = performance.now();
    for (let i = 0; i < decodeSteps; i++) await backend.step([ids[i]], n + i, 1);
    return { prefill, decode: decodeSteps / seconds(start) };
  } finally {
    await backend.release();
  }
}

const loadBefore = loadavg()[0];
const best = VARIANTS.map(() => ({ prefill: 0, decode: 0 }));
for (let round = 0; round < Number(values.rounds); round++) {
  const order = VARIANTS.map((_, i) => i);
  if (round % 2 === 1) order.reverse();
  for (const i of order) {
    const r = await measure(VARIANTS[i]);
    best[i] = { prefill: Math.max(best[i].prefill, r.prefill), decode: Math.max(best[i].decode, r.decode) };
    process.stderr.write(`round ${round + 1}: ${VARIANTS[i].name}: ${r.prefill.toFixed(1)} / ${r.decode.toFixed(1)} tok/s\n`);
  }
}
console.log(`session options on ${cpus()[0]?.model ?? 'cpu'} × ${cores}, load ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}; ${model.manifest.name} (${model.manifest.precision}, kv ${model.manifest.kvDtype}), ${n}-token prefill, ${decodeSteps} decode steps, best of ${values.rounds}`);
printTable(['variant', 'prefill tok/s', 'decode tok/s'], VARIANTS.map((v, i) => [v.name, best[i].prefill.toFixed(1), best[i].decode.toFixed(1)]));
