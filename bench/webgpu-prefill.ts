// The figures of docs/gpu-providers.md, "WebGPU prefill with >= 32 tokens": max |logit − float64 reference| over
// every position, per provider, new tokens per run and chunk size, with the time each prefill took. On a machine
// without a GPU the WebGPU rows run on SwiftShader (Debian's chromium); the script re-runs itself with the
// Vulkan environment test/gpu-env.ts sets up, since the loader path is read only at process start.
//   node bench/webgpu-prefill.ts [--head-dim 16|128] [--providers cpu,webgpu] [--cases 32:32,1000:512,…]
// "Before the fix" is the same run with Quire's Vulkan layer switched off through the loader:
//   VK_LOADER_LAYERS_DISABLE=VK_LAYER_QUIRE_subgroup_guard node bench/webgpu-prefill.ts
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import type { Provider } from '../electron/node/engine/provider-choice.ts';
import { useSwiftShaderIfPresent } from '../test/gpu-env.ts';
import { Float64Llama } from '../test/conformance/reference.ts';

if (!process.env.QUIRE_BENCH_CHILD && !process.env.VK_ICD_FILENAMES && useSwiftShaderIfPresent({ ...process.env }) !== null) {
  const env = { ...process.env, QUIRE_BENCH_CHILD: '1' };
  useSwiftShaderIfPresent(env);
  const child = spawnSync(process.execPath, process.argv.slice(1), { env, stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const { values } = parseArgs({
  options: {
    'head-dim': { type: 'string', default: '16' },
    providers: { type: 'string', default: 'cpu,webgpu' },
    cases: { type: 'string', default: '1:1,16:16,31:31,32:32,33:33,64:64,100:100,257:257,1000:1000,1000:512,1000:32,1000:31' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-webgpu-prefill') },
  },
});

const headDim = Number(values['head-dim']);
const hidden = 4 * headDim;
const dir = join(values.dir, `hd${headDim}`);
if (!existsSync(join(dir, 'model', 'quire.json'))) {
  await writeTinyCheckpoint(join(dir, 'hf'), { originalContext: 128, factor: 8, hiddenSize: hidden, heads: 4, kvHeads: 2, intermediateSize: 2 * hidden, seed: 7 });
  await convertCheckpoint(join(dir, 'hf'), join(dir, 'model'), { precision: 'fp32' });
}
const cases = values.cases.split(',').map((c) => c.split(':').map(Number) as [number, number]);
const longest = Math.max(...cases.map(([n]) => n));
const ids = Array.from({ length: longest }, (_, i) => (i * 37 + 11) % 500);
const reference = new Float64Llama(join(dir, 'hf')).logits(ids);
const V = reference[0].length;
let sum = 0, sum2 = 0;
for (const row of reference) for (const v of row) (sum += v), (sum2 += v * v);
const count = reference.length * V;
console.log(`head_dim ${headDim}, hidden ${hidden}; reference logits' standard deviation ${Math.sqrt(sum2 / count - (sum / count) ** 2).toFixed(2)}`);
console.log('provider\tnew tokens\tchunk\tmax |Δ|\tms');
for (const provider of values.providers.split(',') as Provider[]) {
  const s = await EngineSession.load(join(dir, 'model'), { provider, context: 1024, providerCheck: 'off' });
  console.log(`# ${s.report.reason}`);
  for (const [n, chunk] of cases) {
    s.rewind(0);
    const started = performance.now();
    const got = await s.prefill(ids.slice(0, n), { chunk, allLogits: true });
    const ms = performance.now() - started;
    let worst = 0;
    for (let t = 0; t < n; t++) for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[t * V + v] - reference[t][v]));
    console.log(`${provider}\t${n}\t${chunk}\t${worst.toExponential(1)}\t${ms.toFixed(0)}`);
  }
  await s.release();
}
