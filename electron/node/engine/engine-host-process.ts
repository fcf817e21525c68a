// The engine's side of the host protocol, run in its own process (child_process.fork in plain Node, an
// Electron utilityProcess in the app) so prefill and decode never block a caller. One request runs at a time,
// in arrival order; `cancel` is handled at once and aborts the running request.
import { QuireError, toEnvelope } from '../../common/errors.ts';
import { loadTokenizer } from '../../../models/tokenizer/tokenizer.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { EngineSession, type LoadOptions, type PrefillOptions } from './engine-session.ts';
import { throttledProgress } from '../../../models/verify-model.ts';
import { generateText } from './generate-text.ts';
import { runNiah } from '../eval/niah.ts';
import type { SamplingOptions } from './sampler.ts';
import type { EngineRequest, EngineReply } from './engine-protocol.ts';
import { answerPrompt, type PrefixHeld } from './answer-prompt.ts';
import { parentChannel } from '../service-process.ts';

export interface Port {
  on(listener: (message: EngineRequest) => void): void;
  send(message: EngineReply): void;
}

// Calls that leave the cache as it was (or, for answer, keep track of it themselves).
const KEEPS_CACHE = new Set<EngineRequest['method']>(['answer', 'encode', 'state']);

// What the engine's process holds between calls: the loaded model, its tokenizer, and the key of the prefix its
// cache holds (answer calls; any other call that changes the cache forgets it).
interface Served {
  session: EngineSession | null;
  tokenizer: Tokenizer | null;
  held: PrefixHeld;
}

function loaded(served: Served): EngineSession {
  if (!served.session) throw new QuireError('INVALID_INPUT', 'no model loaded');
  return served.session;
}

async function handle(served: Served, port: Port, request: Exclude<EngineRequest, { method: 'cancel' }>, signal: AbortSignal): Promise<unknown> {
  const send = (event: Extract<EngineReply, { event: string }>['event']) => (data: unknown) => port.send({ id: request.id, event, data });
  const progress = send('progress');
  const prefillOptions = (chunk?: number): PrefillOptions => ({ signal, onProgress: progress, ...(chunk ? { chunk } : {}) });
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
      return answerPrompt(loaded(served), served.tokenizer, served.held, request.params, {
        signal,
        onProgress: progress,
        onPhase: send('phase'),
        onText: send('text'),
        onLogprob: send('logprob'),
        onWarning: send('warning'),
        onAnswer: send('answer'),
      });
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
    case 'niah':
      await served.session?.release();
      served.session = null;
      served.tokenizer = null;
      return runNiah(request.params.dir, { ...request.params.options, signal, onCell: send('cell') });
  }
}

export function serveEngine(port: Port): void {
  const served: Served = { session: null, tokenizer: null, held: { key: null } };
  let running: AbortController | null = null;
  let queue = Promise.resolve();

  port.on((request) => {
    if (request.method === 'cancel') {
      running?.abort();
      served.session?.cancel();
      return;
    }
    queue = queue.then(async () => {
      running = new AbortController();
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
