import { parentPort } from 'node:worker_threads';
import { toEnvelope } from '../../common/errors.ts';
import { loadModelText } from './model-text.ts';
import { encodeDocuments, encodeTail } from './prompt-encoding.ts';
import { haystackTokens } from './haystack.ts';
import { promptDocument } from './prompt.ts';
import type { TextReply, TextRequest } from './text-service.ts';

// Entry of the text worker started by TextService: requests one at a time, in order, each answered once.
async function handle(request: TextRequest): Promise<TextReply> {
  try {
    const text = await loadModelText(request.dir);
    if (request.op === 'documents') return { id: request.id, ok: true, tokens: null, encoded: encodeDocuments(text, request.documents.map(promptDocument), request.style) };
    if (request.op === 'tail') return { id: request.id, ok: true, tokens: null, tail: encodeTail(text, request.rest, request.turns, request.style, request.stable) };
    if (request.op === 'load') return { id: request.id, ok: true, tokens: null };
    if (request.op === 'decode') return { id: request.id, ok: true, tokens: null, text: text.tokenizer.decode(request.tokens) };
    if (request.op === 'haystack') return { id: request.id, ok: true, tokens: haystackTokens(text, request) };
    if (request.op === 'tokens') return { id: request.id, ok: true, tokens: text.tokenizer.encode(request.text, { addBos: request.addSpecial, parseSpecial: true }) };
    return { id: request.id, ok: true, tokens: text.encode(request.messages, request.addGenerationPrompt) };
  } catch (error) {
    return { id: request.id, ok: false, error: toEnvelope(error) };
  }
}

// The replies' id arrays move to the caller instead of being copied (a book's prefix is megabytes).
function transferables(reply: Extract<TextReply, { ok: true }>): ArrayBuffer[] {
  return [reply.tokens, reply.encoded?.prefix, reply.tail?.afterHead, reply.tail?.tail].flatMap((ids) => (ids ? [ids.buffer as ArrayBuffer] : []));
}

let queue = Promise.resolve();
parentPort!.on('message', (request: TextRequest) => {
  queue = queue.then(async () => {
    const reply = await handle(request);
    parentPort!.postMessage(reply, reply.ok ? transferables(reply) : []);
  });
});
