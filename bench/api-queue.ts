// Short requests behind a long answer, through Quire's OpenAI-compatible API on CPU with the tiny test model:
// in each round a long answer streams and, at a random moment of it, two short requests (2 tokens) arrive
// together, as in issue 26's measurement. Their latency (request sent to answer received) as p50/p95 with the
// engine's fair share (a long answer yields its turn after its time slice) beside the arrival-order queue (the
// same run with time slices off), and beside the floor: the same short requests on an idle engine. The long
// answer's own time shows what sharing costs it.
//   node bench/api-queue.ts [--rounds 12] [--long 4000] [--dir /tmp/quire-bench-queue]
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiEngine } from '../electron/node/api/api-engine.ts';
import { startApiServer, type ApiServer } from '../electron/node/api/openai-server.ts';
import { modelAt } from '../electron/node/installed-models.ts';
import { ModelRuntime, TIME_SLICE_MS } from '../electron/node/runtime/model-runtime.ts';
import { TextService } from '../electron/node/runtime/text-service.ts';
import { mulberry32 } from '../electron/common/random.ts';
import { installTinyModel } from '../test/e2e/tiny-model.ts';
import { printTable } from './roofline.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '12' },
    long: { type: 'string', default: '4000' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-queue') },
  },
});
const rounds = Number(values.rounds);
const longTokens = Number(values.long);
const modelDir = join(values.dir, 'models', 'tiny-demo');
if (!existsSync(join(modelDir, 'quire.json'))) {
  mkdirSync(values.dir, { recursive: true });
  await installTinyModel(values.dir);
}
const model = modelAt(modelDir);
const KEY = 'bench-key';

interface Served {
  server: ApiServer;
  close(): Promise<void>;
}

async function serve(timeSliceMs: number | null): Promise<Served> {
  const root = mkdtempSync(join(tmpdir(), 'quire-bench-queue-data-'));
  const runtime = new ModelRuntime({ root, timeSliceMs });
  const text = new TextService();
  const engine = new ApiEngine({ runtime, text, root, model: () => model, settings: () => ({ contextTokens: 16_384, provider: 'cpu' }) });
  const server = await startApiServer({ port: 0, key: KEY, engine, maxAnswerTokens: longTokens });
  return {
    server,
    close: async () => {
      await server.close();
      // The engine's reply to the last answer may still be on its way after the answer went out.
      await engine.settled();
      await runtime.close();
      await text.close();
    },
  };
}

// Seconds from sending a completion to receiving all of it.
async function complete(server: ApiServer, prompt: string, maxTokens: number): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${server.baseUrl}/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, max_tokens: maxTokens, temperature: 0 }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  await response.json();
  return (performance.now() - start) / 1000;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

interface Figures {
  shorts: number[];
  longs: number[];
}

async function measure(timeSliceMs: number | null, withLong: boolean): Promise<Figures> {
  const served = await serve(timeSliceMs);
  const random = mulberry32(26);
  const figures: Figures = { shorts: [], longs: [] };
  try {
    await complete(served.server, 'warm up', 2);
    // How long the long answer takes alone, to place the short requests inside it.
    const alone = withLong ? await complete(served.server, 'The long report begins', longTokens) : 1;
    for (let round = 0; round < rounds; round++) {
      const long = withLong ? complete(served.server, 'The long report begins', longTokens) : null;
      await new Promise((resolve) => setTimeout(resolve, (0.1 + 0.7 * random()) * alone * 1000));
      const shorts = await Promise.all([complete(served.server, `Short question ${round} a`, 2), complete(served.server, `Short question ${round} b`, 2)]);
      figures.shorts.push(...shorts);
      if (long) figures.longs.push(await long);
    }
  } finally {
    await served.close();
  }
  return figures;
}

const ms = (s: number) => (s * 1000).toFixed(0);
const idle = await measure(TIME_SLICE_MS, false);
const arrival = await measure(null, true);
const shared = await measure(TIME_SLICE_MS, true);
console.log(`${rounds} rounds, each a ${longTokens}-token answer with two 2-token requests arriving at a random moment of it (ms)`);
printTable(
  ['queue', 'short p50', 'short p95', 'short max', 'long answer p50'],
  [
    ['idle engine (floor)', ms(percentile(idle.shorts, 50)), ms(percentile(idle.shorts, 95)), ms(Math.max(...idle.shorts)), '-'],
    ['arrival order (before)', ms(percentile(arrival.shorts, 50)), ms(percentile(arrival.shorts, 95)), ms(Math.max(...arrival.shorts)), ms(percentile(arrival.longs, 50))],
    [`fair share, ${TIME_SLICE_MS} ms slices (after)`, ms(percentile(shared.shorts, 50)), ms(percentile(shared.shorts, 95)), ms(Math.max(...shared.shorts)), ms(percentile(shared.longs, 50))],
  ],
);
