// The engine's side of the host protocol, run in its own process (child_process.fork in plain Node, an
// Electron utilityProcess in the app) so prefill and decode never block a caller. One request runs at a time,
// in arrival order; `cancel` is handled at once and aborts the running request.
import { QuireError, toEnvelope } from '../../common/errors.ts';
import { loadTokenizer } from '../../../models/tokenizer/tokenizer.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { EngineSession, type LoadOptions, type PrefillOptions } from './engine-session.ts';
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

export function serveEngine(port: Port): void {
  let session: EngineSession | null = null;
  let tokenizer: Tokenizer | null = null;
  let running: AbortController | null = null;
  // The prefix the cache holds by key (answer calls): any other call that changes the cache forgets it.
  const held: PrefixHeld = { key: null };
  let queue = Promise.resolve();

  const loaded = (): EngineSession => {
    if (!session) throw new QuireError('INVALID_INPUT', 'no model loaded');
    return session;
  };

  async function handle(request: Exclude<EngineRequest, { method: 'cancel' }>, signal: AbortSignal): Promise<unknown> {
    const send = (event: Extract<EngineReply, { event: string }>['event']) => (data: unknown) => port.send({ id: request.id, event, data });
    const progress = send('progress');
    const prefillOptions = (chunk?: number): PrefillOptions => ({ signal, onProgress: progress, ...(chunk ? { chunk } : {}) });
    if (!KEEPS_CACHE.has(request.method)) held.key = null;
    switch (request.method) {
      case 'load': {
        await session?.release();
        session = null;
        session = await EngineSession.load(request.params.dir, request.params.options as LoadOptions);
        tokenizer = await loadTokenizer(request.params.dir);
        return session.report;
      }
      case 'encode':
        if (!tokenizer) throw new QuireError('INVALID_INPUT', 'no model loaded');
        return Array.from(tokenizer.encode(request.params.text, { addBos: request.params.addBos ?? false, parseSpecial: request.params.parseSpecial ?? false }));
      case 'sync':
        return loaded().sync(request.params.tokens, prefillOptions(request.params.chunk));
      case 'answer': {
        if (!tokenizer) throw new QuireError('INVALID_INPUT', 'no model loaded');
        return answerPrompt(loaded(), tokenizer, held, request.params, {
          signal,
          onProgress: progress,
          onPhase: send('phase'),
          onText: send('text'),
          onWarning: send('warning'),
          onAnswer: send('answer'),
        });
      }
      case 'generate': {
        if (!tokenizer) throw new QuireError('INVALID_INPUT', 'no model loaded');
        return generateText(loaded(), tokenizer, {
          maxNewTokens: request.params.maxNewTokens,
          sampling: request.params.sampling as SamplingOptions,
          stop: request.params.stop ?? [],
          signal,
          onText: send('text'),
        });
      }
      case 'rewind':
        loaded().rewind(request.params.length);
        return loaded().length;
      case 'saveSnapshot':
        await loaded().saveSnapshot(request.params.path, request.params.length);
        return null;
      case 'restoreSnapshot':
        return loaded().restoreSnapshot(request.params.path);
      case 'state': {
        const s = loaded();
        return { length: s.length, prefilledTokens: s.prefilledTokens, report: s.report };
      }
      case 'unload':
        await session?.release();
        session = null;
        tokenizer = null;
        return null;
      case 'niah':
        await session?.release();
        session = null;
        tokenizer = null;
        return runNiah(request.params.dir, { ...request.params.options, signal, onCell: send('cell') });
    }
  }

  port.on((request) => {
    if (request.method === 'cancel') {
      running?.abort();
      session?.cancel();
      return;
    }
    queue = queue.then(async () => {
      running = new AbortController();
      try {
        port.send({ id: request.id, ok: true, result: await handle(request, running.signal) });
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
