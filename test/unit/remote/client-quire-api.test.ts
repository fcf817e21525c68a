// The remote client against a real OpenAI-compatible server, Quire's own (`quire serve --api` in a child
// process with a tiny model): the model card's context, /tokenize equal to the model's own chat template,
// streaming with usage, a follow-up served from the server's prefix cache, its error bodies as REMOTE_* codes,
// and a cancel during the prefill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { loadModelText } from '../../../electron/node/runtime/model-text.ts';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { apiTinyModel, startApi, type ApiProcess } from '../api/api-process.ts';

let modelDir: string;
let api: ApiProcess;
let client: OpenAiClient;

beforeAll(async () => {
  modelDir = await apiTinyModel();
  // The server's answer cap (4,096 by default) raised, so a max_tokens past the context reaches the context check.
  api = await startApi(modelDir, undefined, ['--max-tokens', '16384']);
  client = new OpenAiClient({ baseUrl: api.baseUrl, apiKey: api.key, retryDelaysMs: [] });
}, 180_000);
afterAll(() => api?.stop());

const DOCUMENT = Array.from({ length: 80 }, (_, i) => `Entry ${i}: the keeper trimmed lamp ${i % 9} and logged ship ${i * 11}.`).join('\n');
const ask = (question: string) => [
  { role: 'system' as const, content: `Answer from the document.\n\n${DOCUMENT}` },
  { role: 'user' as const, content: question },
];

async function failure(promise: Promise<unknown>): Promise<QuireError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QuireError);
  expect((error as Error).message).not.toContain(api.key);
  return error as QuireError;
}

describe('OpenAiClient against quire serve --api', () => {
  it('reads the model card and tokenizes with the model’s own chat template', async () => {
    expect(await client.models()).toEqual([{ id: 'model', maxModelLen: 16_384, ownedBy: 'quire', promptStyle: 'bare' }]);
    const messages = ask('Which lamp was trimmed first?');
    expect(await client.tokenizeChat('model', messages)).toEqual(Array.from((await loadModelText(modelDir)).encode(messages, true)));
  });

  it('streams an answer with usage, and the follow-up’s document comes from the server’s cache', async () => {
    const pieces: string[] = [];
    let first = 0;
    const answer = await client.chat({ model: 'model', messages: ask('Which ship came first?'), maxTokens: 6, temperature: 0 }, { onText: (p) => pieces.push(p), onFirstToken: () => first++ });
    expect(first).toBe(1);
    expect(pieces.join('')).toBe(answer.text);
    expect(answer.finishReason).toBe('length');
    const promptTokens = (await client.tokenizeChat('model', ask('Which ship came first?')))!.length;
    expect(answer.usage).toMatchObject({ promptTokens, completionTokens: 6 });

    const followUp = await client.chat({ model: 'model', messages: ask('And which came last?'), maxTokens: 6, temperature: 0 }, { onText: () => undefined });
    expect(followUp.usage!.cachedTokens).toBeGreaterThan(promptTokens / 2);
  });

  it('maps the server’s refusals to REMOTE_* codes', async () => {
    expect((await failure(new OpenAiClient({ baseUrl: api.baseUrl, apiKey: 'wrong', retryDelaysMs: [] }).models())).code).toBe('REMOTE_UNAUTHORIZED');
    expect((await failure(client.chat({ model: 'other', messages: ask('q'), maxTokens: 4 }, { onText: () => undefined }))).code).toBe('REMOTE_MODEL_MISSING');
    const tooLong = await failure(client.chat({ model: 'model', messages: ask('q'), maxTokens: 16_000 }, { onText: () => undefined }));
    expect(tooLong.code).toBe('REMOTE_CONTEXT_EXCEEDED');
    expect(tooLong.message).toContain('maximum context length is 16384 tokens');
  });

  it('a cancel during the prefill rejects CANCELLED and the server takes the next question', async () => {
    const controller = new AbortController();
    // About 12K of the 16K context: seconds of reading on a CPU.
    const perDocument = (await client.tokenizeChat('model', [{ role: 'user', content: DOCUMENT }]))!.length;
    const long = Array.from({ length: Math.floor(12_000 / perDocument) }, () => DOCUMENT).join('\n');
    const asked = client.chat(
      { model: 'model', messages: [{ role: 'user', content: `${long}\nSummarize.` }], maxTokens: 4, signal: controller.signal },
      { onText: () => undefined },
    );
    setTimeout(() => controller.abort(), 300);
    expect((await failure(asked)).code).toBe('CANCELLED');
    const next = await client.chat({ model: 'model', messages: ask('Still there?'), maxTokens: 2 }, { onText: () => undefined });
    expect(next.usage!.completionTokens).toBe(2);
  });
});
