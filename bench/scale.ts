// Whole books at their real size through the app's own services and router: a long-context test model the bench
// generates (tiny widths, 2 layers, YaRN ×128 over 8,192 → 1,048,576 positions, the real Llama-3 tokenizer and
// the Llama-3.1 template), book text it makes, and per size each stage's time next to its goal (issue 21):
// import, count, fit, engine load at the chosen context, the first question (a real prefill up to --prefill-max
// tokens; above it the document's cache is a synthetic snapshot, so 1M runs everything but the prefill), a
// follow-up with the cache live (Quire's own time before the engine starts, and to the first token), the first
// question after a restart, and peak RSS of the app's process and of its children. Ends with each stage's
// log-log slope from the smallest size to the largest.
// --profile DIR writes a CPU profile of each size's live follow-up (Quire's side, up to the engine's answer call)
// as DIR/follow-up-<size>.cpuprofile, for Chrome's or VS Code's profiler. --follow-ups N asks N live follow-ups
// a size and reports the median and the least of Quire's time in each (to 0.1 ms): one follow-up on shared cores
// is set by when a core is free.
//   node_modules/.bin/node bench/scale.ts [--sizes 65536,262144,1048576] [--prefill-max 65536] [--follow-ups 1] [--dir DIR] [--profile DIR]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAppServices, type AppServices } from '../electron/node/app-services.ts';
import { makeHeader, writeCacheBody, writeSnapshot } from '../electron/node/engine/kv-snapshot.ts';
import { openModelFolder } from '../electron/node/engine/model-folder.ts';
import { variedText } from '../test/unit/models/tokenizer-llama3-fixture.ts';
import { callRouter } from '../test/unit/router-call.ts';
import { longContextModel } from './long-context-model.ts';
import { recordingEngine as recordingEngineOf } from '../test/unit/runtime/recording-engine.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '65536,262144,1048576' },
    'prefill-max': { type: 'string', default: '65536' },
    dir: { type: 'string', default: join(tmpdir(), 'quire-bench-scale') },
    profile: { type: 'string' },
    'follow-ups': { type: 'string', default: '1' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const prefillMax = Number(values['prefill-max']);
const ANSWER = 16;

// When the engine's process was sent each answer call: Quire's own time before the engine starts ends there.
let answerSentAt = 0;
let onAnswerSent: (() => void) | null = null;
const profiler = values.profile ? new Session() : null;
profiler?.connect();
const recordingEngine = recordingEngineOf((message) => {
  if (message.method !== 'answer') return;
  answerSentAt = performance.now();
  onAnswerSent?.();
});
// The follow-up's own work, profiled from the ask to the engine's answer call (the profiler starts before the
// clock does).
async function startProfile(): Promise<void> {
  if (!profiler) return;
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiler.post('Profiler.start');
}
async function profileUntilSent<T>(size: number, asked: Promise<T>): Promise<T> {
  if (!profiler) return asked;
  await Promise.race([new Promise<void>((resolve) => (onAnswerSent = resolve)), asked]);
  onAnswerSent = null;
  const { profile } = await profiler.post('Profiler.stop');
  mkdirSync(values.profile!, { recursive: true });
  writeFileSync(join(values.profile!, `follow-up-${size}.cpuprofile`), JSON.stringify(profile));
  return asked;
}

// Peak resident memory of this process and of its children (the engine, the parsers), sampled every 200 ms from
// /proc: a `ps` run synchronously here would block this process's event loop for milliseconds inside the very
// stages being timed.
const peaks = { app: 0, children: 0 };
const residentBytes = (pid: string) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const sampler = setInterval(() => {
  peaks.app = Math.max(peaks.app, process.memoryUsage().rss);
  try {
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    peaks.children = Math.max(peaks.children, children.reduce((sum, pid) => sum + residentBytes(pid), 0));
  } catch {
    // A child that exited between the two reads.
  }
}, 200);
sampler.unref();

// A document's cache as a snapshot of zeros under the name its prefix gets: the first question restores it
// instead of reading a million tokens on two cores (the restore is timed; the prefill is what it stands in for).
async function syntheticSnapshot(services: AppServices, dir: string, documentId: string): Promise<void> {
  const m = services.activeModel();
  const { header: stored, tokens } = await services.prompts.prefix(m, [{ id: documentId, load: () => services.documents.get(documentId)! }]);
  const ids = await tokens();
  const folder = openModelFolder(dir);
  const header = makeHeader(folder.layout, { modelHash: folder.modelHash, ropeHash: folder.ropeHash }, ids);
  const capacity = ids.length;
  const zeros = new Uint8Array(folder.layout.kvHeads * capacity * header.rowBytes);
  await writeSnapshot(services.runtime.store.path(m.id, stored.key), header, ids, (file, _tmp, offset) => writeCacheBody(file, offset, folder.layout, ids.length, capacity, () => zeros, header.blockBytes));
}

const seconds = (t: number) => (performance.now() - t) / 1000;
type Row = Record<string, number>;
const rows: { size: number; row: Row }[] = [];

mkdirSync(values.dir, { recursive: true });
const modelRoot = mkdtempSync(join(values.dir, 'model-'));
const dir = await longContextModel(values.dir, join(modelRoot, 'models', 'scale-test'));
for (const size of sizes) {
  const root = mkdtempSync(join(values.dir, `data-${size}-`));
  mkdirSync(join(root, 'models'), { recursive: true });
  execFileSync('cp', ['-r', dir, join(root, 'models', 'scale-test')]);
  const row: Row = {};
  let services = createAppServices({ mode: 'cli', root, engineProcess: recordingEngine });
  const context = 2 ** Math.ceil(Math.log2(size + 4096));
  await callRouter(services, 'settings.update', { answerTokens: ANSWER, contextTokens: Math.min(context, 1_048_576) });
  // This text averages about 4.1 characters per Llama-3 token; the largest size keeps room for the question and
  // the answer inside the 1M-position context.
  const text = variedText(Math.round(size * 4.1 * (size >= 1_048_576 ? 0.97 : 1)), 11);
  let t = performance.now();
  const { id } = await callRouter(services, 'library.import', { name: `book-${size}.txt`, bytes: new TextEncoder().encode(text) });
  row.import = seconds(t);
  t = performance.now();
  const tokens = (await callRouter(services, 'library.list', {})).find((d) => d.id === id)!.tokens!;
  row.count = seconds(t);
  t = performance.now();
  await callRouter(services, 'chat.fit', { documentIds: [id] });
  row.fit = seconds(t);
  t = performance.now();
  await services.runtime.ensure(services.activeModel(), services.engineSettings());
  row.load = seconds(t);
  if (tokens > prefillMax) await syntheticSnapshot(services, services.activeModel().dir, id);
  const conversation = await callRouter(services, 'chat.create', { documentIds: [id] });
  t = performance.now();
  await callRouter(services, 'chat.ask', { conversationId: conversation.id, question: 'What did the keeper log?' });
  row.first = seconds(t);
  const quire: number[] = [];
  const ttft: number[] = [];
  for (let i = 0; i < Number(values['follow-ups']); i++) {
    if (i === 0) await startProfile();
    t = performance.now();
    const asked = callRouter(services, 'chat.ask', { conversationId: conversation.id, question: 'And then?' });
    const live = await (i === 0 ? profileUntilSent(size, asked) : asked);
    quire.push((answerSentAt - t) / 1000);
    ttft.push(live.messages.at(-1)!.stats!.secondsToFirstToken!);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  row.followUpQuire = median(quire);
  row.followUpQuireLeast = Math.min(...quire);
  row.followUpTtft = median(ttft);
  await services.close();
  services = createAppServices({ mode: 'cli', root, engineProcess: recordingEngine });
  t = performance.now();
  const restarted = await callRouter(services, 'chat.ask', { conversationId: conversation.id, question: 'Where?' });
  row.restartQuire = (answerSentAt - t) / 1000;
  row.restartTtft = restarted.messages.at(-1)!.stats!.secondsToFirstToken;
  await services.close();
  row.appPeakMB = peaks.app / 1e6;
  row.childrenPeakMB = peaks.children / 1e6;
  row.tokens = tokens;
  rows.push({ size, row });
  console.log(`${size}: ${JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v.toFixed(4))])))}`);
  rmSync(root, { recursive: true, force: true });
}

const GOALS: Record<string, string> = {
  import: '', count: 'import+count+fit ≤ 2 s at 1M', fit: '', load: '1M ≤ 2× 128K',
  first: '', followUpQuire: '≤ 0.050 s, ≤ 1% growth (median)', followUpQuireLeast: '', followUpTtft: '', restartQuire: 'no document encode', restartTtft: '',
  appPeakMB: '', childrenPeakMB: '',
};
console.log(`\n| stage | ${rows.map((r) => `${r.size / 1024}K`).join(' | ')} | log-log slope | goal |`);
console.log(`|---|${rows.map(() => '---|').join('')}---|---|`);
for (const stage of Object.keys(GOALS)) {
  const first = rows[0].row[stage];
  const last = rows.at(-1)!.row[stage];
  const slope = rows.length > 1 && first > 0 && last > 0 ? Math.log(last / first) / Math.log(rows.at(-1)!.size / rows[0].size) : NaN;
  console.log(`| ${stage} | ${rows.map((r) => r.row[stage].toFixed(4)).join(' | ')} | ${Number.isNaN(slope) ? '—' : slope.toFixed(2)} | ${GOALS[stage]} |`);
}
console.log(`\nprefill up to ${prefillMax} tokens; above it the first question restores a synthetic snapshot. ${new Date().toISOString().slice(0, 10)}, ${process.env.HOSTNAME ?? ''}`);
