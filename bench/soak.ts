// Soak: the app's services (the same router the UI calls) asking questions over one or two documents in a loop
// on a tiny real model, for N minutes. Every 15 s a row: questions per minute, p50/p95 latency, resident memory
// of this process (the server's side) and of the engine's process; at the end the last minute against the first.
// Flat memory over the run means nothing accumulates per question (conversations, caches, snapshots, buffers);
// flat CPU time per question means questions do not get costlier (wall-clock rates also follow whatever else
// the machine runs).
// Conversations alternate between document sets (so the engine switches documents and restores snapshots), run
// eight questions each, then are deleted, so the database stays the same size and what grows is a leak.
// Run: node_modules/.bin/node bench/soak.ts [--minutes 2] [--docs 1|2] [--answer 16]
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Conversation } from '../electron/common/contract.ts';
import { createAppServices } from '../electron/node/app-services.ts';
import { childService } from '../electron/node/service-process.ts';
import type { EngineReply, EngineRequest } from '../electron/node/engine/engine-protocol.ts';
import { entryPoints } from '../electron/node/entry-points.ts';
import { installTinyModel } from '../test/e2e/tiny-model.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg('minutes', 2);
const DOCS = arg('docs', 2);
const ANSWER_TOKENS = arg('answer', 16);
const REPORT_EVERY_MS = 15_000;
const TURNS_PER_CONVERSATION = 8;
const MB = 2 ** 20;

const QUESTIONS = [
  'Who keeps the garden?',
  'What does clause 12 say about the roof?',
  'Summarise the duties of the tenant.',
  'Which clause mentions the fence?',
  'Quote the clause about rent.',
  'What happens at the end of the lease?',
];

const root = mkdtempSync(join(tmpdir(), 'quire-soak-'));
let engineChild: ReturnType<typeof fork> | undefined;
let engineStarts = 0;
const services = createAppServices({
  mode: 'cli',
  root,
  // The engine's process as plain Node starts it, with its pid kept for the memory column.
  engineProcess: () => {
    engineStarts++;
    engineChild = fork(entryPoints.engineHost, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return childService<EngineRequest, EngineReply>(engineChild);
  },
});

async function call<T>(name: string, payload: unknown): Promise<T> {
  const outcome = await services.router(name, payload);
  if (!outcome.ok) throw new Error(`${name}: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.value as T;
}

// Resident memory of a process in MB, from /proc (Linux), else from ps.
function rssOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return NaN;
  }
}

// CPU seconds a process has used (user + system), from /proc (Linux; clock ticks of 1/100 s), else NaN.
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
const ownCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

interface Sample {
  at: number;
  questions: number;
  latencies: number[];
  rss: number;
  heap: number;
  engine: number;
  // CPU seconds used since the previous sample, by this process and by the engine's: per question, they show
  // whether questions get costlier, whatever else the machine is doing.
  cpu: number;
  engineCpu: number;
}

async function main() {
  await installTinyModel(root);
  await call('settings.update', { answerTokens: ANSWER_TOKENS, contextTokens: 8192 });
  const clauses = (topic: string, n: number) =>
    Array.from({ length: n }, (_, i) => `Clause ${i + 1}: the ${topic} shall be kept in good order, and the rent paid on the first day.`).join('\n');
  const docs: string[] = [];
  for (const [name, topic] of [
    ['lease.txt', 'garden'],
    ['annex.txt', 'roof and fence'],
  ].slice(0, DOCS)) {
    docs.push((await call<{ id: string }>('library.import', { name, bytes: new TextEncoder().encode(clauses(topic, 60)) })).id);
  }
  const sets = DOCS === 1 ? [[docs[0]]] : [[docs[0]], [docs[1]], docs];
  console.log(`soak: ${MINUTES} min, ${DOCS} document(s), answers of ${ANSWER_TOKENS} tokens, tiny model on cpu, ${TURNS_PER_CONVERSATION} questions per conversation`);
  console.log('  time  questions  q/min  p50 ms  p95 ms  RSS MB  heap MB  engine RSS MB');

  const started = performance.now();
  const end = started + MINUTES * 60_000;
  const samples: Sample[] = [];
  const all: { at: number; ms: number }[] = [];
  let window: number[] = [];
  let asked = 0;
  let nextReport = started + REPORT_EVERY_MS;
  let lastCpu = ownCpu();
  let lastEngineCpu = cpuOf(engineChild?.pid);
  const report = () => {
    const now = performance.now();
    const sample: Sample = {
      at: (now - started) / 1000,
      questions: window.length,
      latencies: window,
      rss: process.memoryUsage().rss / MB,
      heap: process.memoryUsage().heapUsed / MB,
      engine: rssOf(engineChild?.pid),
      cpu: ownCpu() - lastCpu,
      // The engine starts with the first question: its whole time counts from there.
      engineCpu: cpuOf(engineChild?.pid) - (Number.isNaN(lastEngineCpu) ? 0 : lastEngineCpu),
    };
    lastCpu += sample.cpu;
    lastEngineCpu = cpuOf(engineChild?.pid);
    samples.push(sample);
    const perMinute = (window.length / (REPORT_EVERY_MS / 1000)) * 60;
    console.log(
      [
        `${sample.at.toFixed(0)}s`.padStart(6),
        String(window.length).padStart(9),
        perMinute.toFixed(0).padStart(6),
        percentile(window, 50).toFixed(0).padStart(7),
        percentile(window, 95).toFixed(0).padStart(7),
        sample.rss.toFixed(0).padStart(7),
        sample.heap.toFixed(0).padStart(8),
        sample.engine.toFixed(0).padStart(14),
      ].join(' '),
    );
    window = [];
  };
  let set = 0;
  while (performance.now() < end) {
    const conversation = await call<Conversation>('chat.create', { documentIds: sets[set++ % sets.length] });
    for (let turn = 0; turn < TURNS_PER_CONVERSATION && performance.now() < end; turn++) {
      const t0 = performance.now();
      await call('chat.ask', { conversationId: conversation.id, question: QUESTIONS[asked++ % QUESTIONS.length] });
      const ms = performance.now() - t0;
      window.push(ms);
      all.push({ at: t0 - started, ms });
      if (performance.now() >= nextReport) {
        report();
        nextReport += REPORT_EVERY_MS;
      }
    }
    await call('chat.delete', { id: conversation.id });
  }
  if (window.length) report();

  const seconds = (performance.now() - started) / 1000;
  const lat = all.map((q) => q.ms);
  console.log(
    `\n${all.length} questions in ${seconds.toFixed(0)} s: ${((all.length / seconds) * 60).toFixed(0)} per minute, p50 ${percentile(lat, 50).toFixed(0)} ms, p95 ${percentile(lat, 95).toFixed(0)} ms; engine started ${engineStarts} time(s)`,
  );
  // The first minute (its samples) against the last minute.
  const firstMinute = samples.filter((s) => s.at <= 60 + 1);
  const lastMinute = samples.filter((s) => s.at > seconds - 60 - 1);
  const summary = (ss: Sample[], from: number, to: number) => {
    const qs = all.filter((q) => q.at / 1000 >= from && q.at / 1000 < to).map((q) => q.ms);
    const mean = (f: (s: Sample) => number) => ss.reduce((n, s) => n + f(s), 0) / Math.max(1, ss.length);
    const sum = (f: (s: Sample) => number) => ss.reduce((n, s) => n + f(s), 0);
    const asked = sum((s) => s.questions);
    return {
      perMinute: (qs.length / (to - from)) * 60,
      p50: percentile(qs, 50),
      p95: percentile(qs, 95),
      rss: mean((s) => s.rss),
      heap: mean((s) => s.heap),
      engine: mean((s) => s.engine),
      cpuPerQuestion: (sum((s) => s.cpu) / asked) * 1000,
      engineCpuPerQuestion: (sum((s) => s.engineCpu) / asked) * 1000,
    };
  };
  const first = summary(firstMinute, 0, Math.min(60, seconds));
  const last = summary(lastMinute, Math.max(0, seconds - 60), seconds);
  const row = (label: string, f: number, l: number, unit: string) =>
    console.log(`${label.padEnd(16)} ${f.toFixed(0).padStart(8)} ${l.toFixed(0).padStart(8)} ${`${l - f >= 0 ? '+' : ''}${(l - f).toFixed(0)}`.padStart(8)} ${unit}`);
  console.log(`\n${''.padEnd(16)} ${'first min'.padStart(8)} ${'last min'.padStart(8)} ${'change'.padStart(8)}`);
  row('questions/min', first.perMinute, last.perMinute, '');
  row('p50 latency', first.p50, last.p50, 'ms');
  row('p95 latency', first.p95, last.p95, 'ms');
  row('RSS', first.rss, last.rss, 'MB');
  row('heap used', first.heap, last.heap, 'MB');
  row('engine RSS', first.engine, last.engine, 'MB');
  row('CPU/question', first.cpuPerQuestion, last.cpuPerQuestion, 'ms (this process)');
  row('engine CPU/q', first.engineCpuPerQuestion, last.engineCpuPerQuestion, 'ms');
}

try {
  await main();
} finally {
  await services.close();
  rmSync(root, { recursive: true, force: true });
}
