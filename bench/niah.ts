// NIAH accuracy and wall time per cell, per KV cache dtype: the quality cost of KV quantization that peers'
// users dispute, measured on quire-nano (models/nano/quire-nano, converted here to a temp folder once per
// KV dtype; int8/int4 with the converter's calibrated static scales). Without quire-nano the same run goes on
// a random-weight model of a similar shape: its accuracy is ~0 by construction and only the timings mean
// anything. Prints a table per dtype and writes bench/out/niah-<kv>.png.
//   node bench/niah.ts [--hf models/nano/quire-nano] [--lengths 256,512,1024,2048,4096] [--depths 0,10,…,100]
//                      [--samples 5] [--task niah] [--dir /tmp/quire-bench-niah]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderHeatmapPng } from '../electron/node/eval/heatmap-png.ts';
import { runNiah, type NiahCell } from '../electron/node/eval/niah.ts';
import type { TaskName } from '../electron/node/eval/tasks.ts';
import { convertCheckpoint } from '../models/convert.ts';
import type { KvDtype, Precision } from '../models/model-spec.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';

const { values } = parseArgs({
  options: {
    hf: { type: 'string', default: 'models/nano/quire-nano' },
    lengths: { type: 'string', default: '256,512,1024,2048,4096' },
    depths: { type: 'string', default: '0,10,20,30,40,50,60,70,80,90,100' },
    samples: { type: 'string', default: '5' },
    task: { type: 'string', default: 'niah' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-niah') },
  },
});

const lengths = values.lengths.split(',').map(Number);
const depths = values.depths.split(',').map(Number);
const samples = Number(values.samples);
const task = values.task as TaskName;
const out = join(import.meta.dirname, 'out');
mkdirSync(out, { recursive: true });

// quire-nano's shape (models/nano/train.py) with YaRN over 16× a 256-token original context.
const STAND_IN = { hiddenSize: 128, intermediateSize: 512, layers: 3, heads: 4, kvHeads: 2, originalContext: 256, factor: 16, rope: 'yarn' as const };
let hf = values.hf;
let note = '';
if (!existsSync(join(hf, 'config.json'))) {
  hf = join(values.dir, 'stand-in');
  if (!existsSync(join(hf, 'config.json'))) await writeTinyCheckpoint(hf, STAND_IN);
  note = `${values.hf} not found: random-weight stand-in of quire-nano's shape (accuracy ~0 by construction; timings only)`;
}

// fp32 weights with an fp32 (the reference), int8 or int4 cache; an fp16 cache comes only with fp16 weights
// (the cache keeps the activation dtype), so that row also carries fp16 weights.
const CACHES: { kv: KvDtype; precision: Precision }[] = [
  { kv: 'fp32', precision: 'fp32' },
  { kv: 'fp16', precision: 'fp16' },
  { kv: 'int8', precision: 'fp32' },
  { kv: 'int4', precision: 'fp32' },
];

const table = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // Numbers right-aligned, words left-aligned.
  const line = (cells: string[]) => `| ${cells.map((c, i) => (/^[\d.%-]*$/.test(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
};

console.log(`niah bench: ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}; ${task}, ${samples} samples per cell, lengths ${lengths.join(',')}, depths ${depths.join(',')}`);
console.log(`model: ${hf}${note ? ` — ${note}` : ''}`);
const summary: string[][] = [];
for (const { kv, precision } of CACHES) {
  const dir = join(values.dir, `${kv}-${precision}`);
  await convertCheckpoint(hf, dir, { precision, kv });
  const started = performance.now();
  const result = await runNiah(dir, {
    lengths,
    depths,
    samples,
    task,
    onCell: (c) => process.stderr.write(`${kv} length ${c.length} depth ${c.depth}: ${c.accuracy.toFixed(2)} (${c.seconds.toFixed(2)} s)\n`),
  });
  const total = (performance.now() - started) / 1000;
  writeFileSync(join(out, `niah-${kv}.png`), renderHeatmapPng(result.cells, `${task} KV ${kv}`));
  const at = (l: number, d: number) => result.cells.find((c) => c.length === l && c.depth === d)!;
  console.log(`\nKV ${kv} (weights ${precision}): accuracy per depth × length, then seconds per cell (${samples} prompts each)`);
  console.log(table(['depth', ...lengths.map(String)], depths.map((d) => [`${d}%`, ...lengths.map((l) => at(l, d).accuracy.toFixed(2))])));
  console.log(table(['depth', ...lengths.map(String)], depths.map((d) => [`${d}%`, ...lengths.map((l) => at(l, d).seconds.toFixed(2))])));
  const byLength = (l: number, f: (c: NiahCell) => number) => depths.reduce((n, d) => n + f(at(l, d)), 0) / depths.length;
  for (const l of lengths) summary.push([kv, String(l), byLength(l, (c) => c.accuracy).toFixed(3), byLength(l, (c) => c.seconds).toFixed(2), '']);
  summary.push([kv, 'all', result.mean.toFixed(3), (total / result.cells.length).toFixed(2), `plot bench/out/niah-${kv}.png`]);
}
// Prompts run deepest needle first and reuse the cached filler before the needle, so shallow cells cost more.
console.log('\nsummary: mean accuracy over depths and mean wall seconds per cell (prefill of the uncached part plus greedy decode)');
console.log(table(['kv', 'length', 'accuracy', 's/cell', 'note'], summary));
