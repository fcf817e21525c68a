import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { agreement, printTable, seconds } from './roofline.ts';

export interface FollowUpTiming {
  prefillSeconds: number;
  // CPU seconds per wall second while prefilling the document: the cores the engine really used.
  prefillCores: number;
  // The last document position's logits, to compare with another engine on the same ids.
  documentLogits: Float32Array;
  // Time to the first token of a follow-up question: with nothing cached (document and question prefilled),
  // with the document still in this process's cache, and from its snapshot in a fresh session.
  ttftNone: number;
  ttftCache: number;
  ttftSnapshot: number;
  decodeTps: number;
}

// The measurement both engine benches make of Quire: prefill an n-token document, save its snapshot, decode,
// then answer a follow-up from the live cache and, as after a restart, from the snapshot.
export async function measureFollowUp(
  model: string,
  options: { document: number[]; question: number[]; decodeSteps: number; chunk: number; snapshot: string; threads?: number },
): Promise<FollowUpTiming> {
  const { document, question, decodeSteps, chunk, snapshot } = options;
  const load = { context: document.length + question.length + decodeSteps + 1, ...(options.threads ? { intraOpThreads: options.threads } : {}) };
  rmSync(snapshot, { force: true });
  const a = await EngineSession.load(model, load);
  const cpu = process.cpuUsage();
  let start = performance.now();
  const documentLogits = await a.prefill(document, { chunk });
  const prefillSeconds = seconds(start);
  const used = process.cpuUsage(cpu);
  await a.saveSnapshot(snapshot);
  await a.prefill(question, { chunk });
  const ttftNone = seconds(start);
  start = performance.now();
  await a.generate({ maxNewTokens: decodeSteps + 1, sampling: { greedy: true } });
  const decodeTps = decodeSteps / seconds(start);
  a.rewind(document.length);
  start = performance.now();
  await a.sync([...document, ...question], { chunk });
  const ttftCache = seconds(start);
  await a.release();
  const b = await EngineSession.load(model, load);
  start = performance.now();
  await b.loadDocument(document, snapshot, { chunk });
  await b.prefill(question, { chunk });
  const ttftSnapshot = seconds(start);
  await b.release();
  return { prefillSeconds, prefillCores: (used.user + used.system) / 1e6 / prefillSeconds, documentLogits, ttftNone, ttftCache, ttftSnapshot, decodeTps };
}

// A converted model's prefill and decode with one of Quire's CPU kernels off (the environment variable `env` set
// to onnxruntime) and on — on its widest path (quire), or on each path named in `paths` — alternated, best of
// `rounds`; the kernel is chosen when a session loads. Each one's last-token logits are compared with onnxruntime's:
// the kernels compute the same thing.
export async function compareKernelsOnModel(model: string, env: string, opts: { tokens: number; rounds: number; threads: number; dir: string; paths?: string[] }): Promise<void> {
  const document = Array.from({ length: opts.tokens }, (_, i) => (i * 7919 + 1) % 500);
  const question = Array.from({ length: 24 }, (_, i) => (i * 31 + 5) % 500);
  const kernels = ['onnxruntime', ...(opts.paths?.length ? opts.paths : ['quire'])];
  const best: Record<string, { prefill: number; decode: number; logits: Float32Array }> = {};
  for (let round = 0; round < opts.rounds; round++) {
    for (const kernel of kernels) {
      process.env[env] = kernel;
      const t = await measureFollowUp(model, { document, question, decodeSteps: 16, chunk: 512, snapshot: join(opts.dir, `${kernel}.snapshot`), threads: opts.threads });
      const prev = best[kernel];
      best[kernel] = { prefill: Math.max(prev?.prefill ?? 0, opts.tokens / t.prefillSeconds), decode: Math.max(prev?.decode ?? 0, t.decodeTps), logits: t.documentLogits };
    }
  }
  delete process.env[env];
  const ort = best.onnxruntime;
  console.log(`${model}: ${opts.tokens}-token document, ${opts.threads} threads, ${env} ${kernels.join(', ')} in turn, best of ${opts.rounds} rounds`);
  printTable(
    ['kernel', 'prefill tok/s', 'decode tok/s', 'prefill ×', 'decode ×', 'logits cosine, top-1 (against onnxruntime)'],
    kernels.map((k) => {
      const v = best[k];
      if (k === 'onnxruntime') return [k, v.prefill.toFixed(1), v.decode.toFixed(1), '', '', ''];
      const agree = agreement(ort.logits, v.logits);
      return [k, v.prefill.toFixed(1), v.decode.toFixed(1), `${(v.prefill / ort.prefill).toFixed(2)}×`, `${(v.decode / ort.decode).toFixed(2)}×`, `${agree.cosine.toFixed(6)}, ${agree.top1 ? 'same' : 'differs'}`];
    }),
  );
}
