// The engine's side of the host protocol, run in its own process (child_process.fork in plain Node, an
// Electron utilityProcess in the app) so prefill and decode never block a caller. One request runs at a time,
// in arrival order; `cancel` (abort the running request), `yield` (another waits) and `forget` (drop a paused
// answer) are handled at once.
import { QuireError, toEnvelope } from '../../common/errors.ts';
import { loadTokenizer } from '../../../models/tokenizer/tokenizer.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { EngineSession, type LoadOptions, type PrefillOptions } from './engine-session.ts';
import { throttledProgress } from '../../../models/verify-model.ts';
import { generateText } from './generate-text.ts';
import type { SamplingOptions } from './sampler.ts';
import type { EngineRequest, EngineReply } from './engine-protocol.ts';
import { answerPrompt, PREFIX_NOT_HELD, resumeAnswer, type AnswerInProgress, type AnswerListeners, type AnswerResult, type Outcome, type PrefixHeld } from './answer-prompt.ts';
import { parentChannel } from '../service-process.ts';

export interface Port {
  on(listener: (message: EngineRequest) => void): void;
  send(message: EngineReply): void;
}

// Calls that leave the cache as it was (or, for answer, keep track of it themselves).
const KEEPS_CACHE = new Set<EngineRequest['method']>(['answer', 'resume', 'encode', 'state']);

// What the engine's process holds between calls: the loaded model, its tokenizer, and the key of the prefix its
// cache holds (answer calls; any other call that changes the cache forgets it).
interface Served {
  session: EngineSession | null;
  tokenizer: Tokenizer | null;
  held: PrefixHeld;
  // Answers that yielded their turn, by the number their caller resumes them with.
  paused: Map<number, AnswerInProgress>;
  nextPaused: number;
  // Another request waits: the running answer yields when it may (reset as each request starts).
  contested: boolean;
}

// An answer's reply: a paused one is kept for its `resume` and named in the result.
function reply(served: Served, outcome: Outcome | typeof PREFIX_NOT_HELD): AnswerResult | typeof PREFIX_NOT_HELD {
  if (outcome === PREFIX_NOT_HELD) return outcome;
  if (!outcome.paused) return outcome.result;
  const id = served.nextPaused++;
  served.paused.set(id, outcome.paused);
  return { ...outcome.result, paused: id };
}

function loaded(served: Served): EngineSession {
  if (!served.session) throw new QuireError('INVALID_INPUT', 'no model loaded');
  return served.session;
}

type Handled = Exclude<EngineRequest, { method: 'cancel' | 'yield' | 'forget' }>;

async function handle(served: Served, port: Port, request: Handled, signal: AbortSignal): Promise<unknown> {
  const send = (event: Extract<EngineReply, { event: string }>['event']) => (data: unknown) => port.send({ id: request.id, event, data });
  const progress = send('progress');
  const prefillOptions = (chunk?: number): PrefillOptions => ({ signal, onProgress: progress, ...(chunk ? { chunk } : {}) });
  const answerListeners = (): AnswerListeners => ({
    signal,
    onProgress: progress,
    onPhase: send('phase'),
    onText: send('text'),
    onLogprob: send('logprob'),
    onWarning: send('warning'),
    onAnswer: send('answer'),
    contested: () => served.contested,
  });
  if (!KEEPS_CACHE.has(request.method)) served.held.key = null;
  switch (request.method) {
    case 'load': {
      await served.session?.release();
      served.session = null;
      // A model whose files changed is verified in full before it loads: its progress goes to the caller.
      served.session = await EngineSession.load(request.params.dir, { ...(request.params.options as LoadOptions), onVerifyProgress: throttledProgress(send('verify')) });
      served.tokenizer = await loadTokenizer(request.params.dir);
      return served.session.report;
    }
    case 'encode':
      if (!served.tokenizer) throw new QuireError('INVALID_INPUT', 'no model loaded');
      return Array.from(served.tokenizer.encode(request.params.text, { addBos: request.params.addBos ?? false, parseSpecial: request.params.parseSpecial ?? false }));
    case 'sync':
      return loaded(served).sync(request.params.tokens, prefillOptions(request.params.chunk));
    case 'answer': {
      if (!served.tokenizer) throw new QuireError('INVALID_INPUT', 'no model loaded');
      return reply(served, await answerPrompt(loaded(served), served.tokenizer, served.held, request.params, answerListeners()));
    }
    case 'resume': {
      const answer = served.paused.get(request.params.paused);
      if (!answer) throw new QuireError('INTERNAL', 'the paused answer is gone (the engine process restarted)');
      served.paused.delete(request.params.paused);
      return reply(served, await resumeAnswer(loaded(served), served.held, answer, answerListeners()));
    }
    case 'generate': {
      if (!served.tokenizer) throw new QuireError('INVALID_INPUT', 'no model loaded');
      return generateText(loaded(served), served.tokenizer, {
        maxNewTokens: request.params.maxNewTokens,
        sampling: request.params.sampling as SamplingOptions,
        stop: request.params.stop ?? [],
        signal,
        onText: send('text'),
      });
    }
    case 'rewind':
      loaded(served).rewind(request.params.length);
      return loaded(served).length;
    case 'saveSnapshot':
      await loaded(served).saveSnapshot(request.params.path, request.params.length);
      return null;
    case 'restoreSnapshot':
      return loaded(served).restoreSnapshot(request.params.path);
    case 'state': {
      const s = loaded(served);
      return { length: s.length, prefilledTokens: s.prefilledTokens, report: s.report };
    }
    case 'unload':
      await served.session?.release();
      served.session = null;
      served.tokenizer = null;
      return null;
  }
}

export function serveEngine(port: Port): void {
  const served: Served = { session: null, tokenizer: null, held: { key: null }, paused: new Map(), nextPaused: 1, contested: false };
  let running: AbortController | null = null;
  let queue = Promise.resolve();

  port.on((request) => {
    if (request.method === 'cancel') {
      running?.abort();
      served.session?.cancel();
      return;
    }
    if (request.method === 'yield') {
      served.contested = true;
      return;
    }
    if (request.method === 'forget') {
      served.paused.delete(request.paused);
      return;
    }
    queue = queue.then(async () => {
      running = new AbortController();
      served.contested = false;
      try {
        port.send({ id: request.id, ok: true, result: await handle(served, port, request, running.signal) });
      } catch (error) {
        port.send({ id: request.id, ok: false, error: toEnvelope(error) });
      } finally {
        running = null;
      }
    });
  });
}

// Started as an Electron utilityProcess (the desktop app) or by child_process.fork; merely imported, it serves nothing.
const channel = parentChannel<EngineRequest, EngineReply>(import.meta.filename);
if (channel) serveEngine(channel);
