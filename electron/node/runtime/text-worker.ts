import { parentPort } from 'node:worker_threads';
import { toEnvelope } from '../../common/errors.ts';
import { loadModelText } from './model-text.ts';
import { documentPrefix } from './prompt.ts';
import type { TextReply, TextRequest } from './text-service.ts';

// Entry of the text worker started by TextService: requests one at a time, in order, each answered once.
async function handle(request: TextRequest): Promise<TextReply> {
  try {
    const text = await loadModelText(request.dir);
    if (request.op === 'count') return { id: request.id, ok: true, count: documentPrefix(text.encode, [request.document], request.style).length, tokens: null };
    if (request.op === 'decode') return { id: request.id, ok: true, count: request.tokens.length, tokens: null, text: text.tokenizer.decode(request.tokens) };
    if (request.op === 'tokens') {
      const tokens = Uint32Array.from(text.tokenizer.encode(request.text, { addBos: request.addSpecial, parseSpecial: true }));
      return { id: request.id, ok: true, count: tokens.length, tokens };
    }
    const tokens =
      request.op === 'encode'
        ? text.encode(request.messages, request.addGenerationPrompt)
        : Uint32Array.from(documentPrefix(text.encode, request.documents, request.style));
    return { id: request.id, ok: true, count: tokens.length, tokens };
  } catch (error) {
    return { id: request.id, ok: false, error: toEnvelope(error) };
  }
}

let queue = Promise.resolve();
parentPort!.on('message', (request: TextRequest) => {
  queue = queue.then(async () => {
    const reply = await handle(request);
    parentPort!.postMessage(reply, reply.ok && reply.tokens ? [reply.tokens.buffer as ArrayBuffer] : []);
  });
});
