// `quire serve --api` on CPU with a small generated model (the engine bench's shape): time to the first
// token of a follow-up question about an n-token document through the API — from the live KV cache, from the
// snapshot after a server restart, and re-processing the whole prompt (a fresh data folder) — and the HTTP
// overhead per generated token against in-process generation of the same tokens. Prints a table.
//   node bench/api-follow-up.ts [--documents 2048,8192] [--decode 256] [--dir /tmp/quire-bench-api]
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../models/convert.ts';
import { writeTinyCheckpoint } from '../models/tiny-checkpoint.ts';
import { TINY_EOS_IDS, TINY_SPECIAL_TOKENS, TINY_VOCAB_SIZE } from '../models/tokenizer/tiny.ts';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { startApi, type ApiProcess } from '../test/unit/api/api-process.ts';
import { printTable, seconds } from './roofline.ts';

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: '2048,8192' },
    decode: { type: 'string', default: '256' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-api-v2') },
  },
});

// The engine bench's widths with the tiny tokenizer's own vocabulary, so that answers decode to text.
const SHAPE = { hiddenSize: 256, intermediateSize: 704, layers: 4, heads: 4, kvHeads: 2, originalContext: 4096, factor: 16 };
const decodeSteps = Number(values.decode);
const model = join(values.dir, 'model');
if (!existsSync(join(model, 'quire.json'))) {
  await writeTinyCheckpoint(join(values.dir, 'hf'), { ...SHAPE, mutedTokens: [...TINY_EOS_IDS] });
  await convertCheckpoint(join(values.dir, 'hf'), model, { precision: 'fp32' });
}
// Ordinary (non-special) token ids.
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 7919 + seed) % (TINY_VOCAB_SIZE - TINY_SPECIAL_TOKENS.length));

// Seconds to the first streamed token of a completion of `prompt`, and the stream's tokens per second after it.
async function streamed(api: ApiProcess, prompt: number[], maxTokens: number): Promise<{ ttft: number; perToken: number; cached: number }> {
  const start = performance.now();
  const response = await fetch(`${api.baseUrl}/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${api.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let first = 0;
  let buffer = '';
  let cached = 0;
  const reader = response.body!.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    buffer += decoder.decode(read.value, { stream: true });
    if (!first && buffer.includes('"text":"') && /"text":"[^"]/.test(buffer)) first = performance.now();
    if (buffer.includes('"error":')) throw new Error(`the stream failed: ${buffer.slice(buffer.indexOf('"error":'), buffer.indexOf('"error":') + 300)}`);
    const usage = /"cached_tokens":(\d+)/.exec(buffer);
    if (usage) cached = Number(usage[1]);
  }
  const end = performance.now();
  first ||= end;
  return { ttft: (first - start) / 1000, perToken: (end - first) / 1000 / Math.max(1, maxTokens - 1), cached };
}

async function warm(api: ApiProcess): Promise<void> {
  await streamed(api, [1, 2, 3], 1);
}

const rows: string[][] = [];
for (const n of values.documents.split(',').map(Number)) {
  const document = ids(n, 1);
  const ask = (q: number) => [...document, ...ids(24, 1000 + q)];
  const data = mkdtempSync(join(tmpdir(), 'quire-bench-api-data-'));
  const first = await startApi(model, data);
  await warm(first);
  await streamed(first, ask(1), 1);
  const live = await streamed(first, ask(2), 1);
  await first.stop();
  const restarted = await startApi(model, data);
  await warm(restarted);
  const snapshot = await streamed(restarted, ask(3), 1);
  await restarted.stop();
  const fresh = await startApi(model, mkdtempSync(join(tmpdir(), 'quire-bench-api-data-')));
  await warm(fresh);
  const full = await streamed(fresh, ask(3), 1);
  await fresh.stop();
  rows.push([String(n), full.ttft.toFixed(3), live.ttft.toFixed(3), snapshot.ttft.toFixed(3), `${snapshot.cached}`, `${(full.ttft / snapshot.ttft).toFixed(1)}×`]);
}
console.log('Follow-up time to first token through the API (s)');
printTable(['document tokens', 're-process', 'live cache', 'snapshot after restart', 'cached_tokens', 'snapshot speed-up'], rows);

// HTTP overhead per token: the same greedy tokens streamed through the API and generated in-process.
const prompt = ids(64, 7);
// The model's own context, as the server loads it.
const session = await EngineSession.load(model, { provider: 'cpu' });
await session.prefill(prompt);
const start = performance.now();
await session.generate({ maxNewTokens: decodeSteps, sampling: { greedy: true } });
const inProcess = seconds(start) / decodeSteps;
await session.release();
const api = await startApi(model, mkdtempSync(join(tmpdir(), 'quire-bench-api-data-')));
await warm(api);
const through = await streamed(api, prompt, decodeSteps);
await api.stop();
console.log(`\nDecode of ${decodeSteps} tokens (ms per token)`);
printTable(
  ['in-process', 'through the API (streamed)', 'overhead per token'],
  [[(inProcess * 1000).toFixed(3), (through.perToken * 1000).toFixed(3), ((through.perToken - inProcess) * 1000).toFixed(3)]],
);
