// Engine load time and peak memory at long contexts, beside the memory planner (issue 21 point 3): a generated
// long-context test model (the bench/scale.ts shape: hidden 256, 2 layers, 4/1 heads, YaRN ×128 to 1,048,576
// positions, the Llama-3 vocabulary), per context a fresh engine process is loaded (timed), its cache filled
// (a real prefill up to --prefill-max, a synthetic snapshot above it) and one prefill chunk run at the end of
// the context; its peak RSS (VmHWM) beside planFit's total (for a restored cache, less the RoPE rows no step
// reached: test/unit/engine/engine-peak.ts). Goals: load at 1M ≤ 2× load at 128K; predicted within 10% of measured.
//   node_modules/.bin/node bench/engine-memory.ts [--contexts 65536,131072,262144,1048576] [--prefill-max 0]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { longContextModel } from './long-context-model.ts';
import { enginePeak } from '../test/unit/engine/engine-peak.ts';

const { values } = parseArgs({
  options: {
    contexts: { type: 'string', default: '65536,131072,262144,1048576' },
    'prefill-max': { type: 'string', default: '0' },
  },
});
const root = mkdtempSync(join(tmpdir(), 'quire-bench-engine-memory-'));
process.env.QUIRE_DATA_DIR = join(root, 'data');
const dir = await longContextModel(root, join(root, 'model'));

const MB = 1e6;
const rows: string[] = [];
const loads = new Map<number, number>();
for (const context of values.contexts.split(',').map(Number)) {
  const fill = context <= Number(values['prefill-max']) ? 'prefill' : 'snapshot';
  const { loadSeconds, peakBytes, plan, predictedBytes } = await enginePeak(dir, context, fill);
  loads.set(context, loadSeconds);
  const b = plan.bytes;
  const terms = `weights ${(b.weights / MB).toFixed(0)} + KV ${(b.kv / MB).toFixed(0)}${b.kvCopy ? ` + its copy ${(b.kvCopy / MB).toFixed(0)}` : ''} + RoPE ${(b.ropeTables / MB).toFixed(0)} + runtime ${(b.runtime / MB).toFixed(0)} + activations/logits ${((b.activations + b.logits) / MB).toFixed(0)}`;
  rows.push(`| ${context / 1024}K | ${fill} | ${loadSeconds.toFixed(2)} s | ${(peakBytes / MB).toFixed(0)} MB | ${(b.total / MB).toFixed(0)} MB (${terms}) | ${(predictedBytes / MB).toFixed(0)} MB | ${(predictedBytes / peakBytes).toFixed(3)} |`);
  console.log(rows.at(-1));
}
console.log('\n| context | cache filled by | load | measured peak RSS | planned (a whole context prefilled) | predicted for this run | predicted / measured |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (loads.has(131072) && loads.has(1048576)) console.log(`\nload 1M / 128K: ${(loads.get(1048576)! / loads.get(131072)!).toFixed(2)} (goal ≤ 2)`);
