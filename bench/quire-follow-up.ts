import { rmSync } from 'node:fs';
import { EngineSession } from '../electron/node/engine/engine-session.ts';
import { seconds } from './roofline.ts';

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
