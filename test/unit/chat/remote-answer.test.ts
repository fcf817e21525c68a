// RemoteAnswerer against the server stub: one upload of the documents per question, speeds measured only
// where they mean something, and the prompt laid out as the local path lays it out (issue 26 points 5, 7, 8).
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_MEASURED_TOKENS, REMOTE_GENERATION, RemoteAnswerer, type RemoteEngines } from '../../../electron/node/chat/remote-answer.ts';
import { DEFAULT_SETTINGS, samplingFor } from '../../../electron/node/settings.ts';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { conversationMessages, type Turn } from '../../../electron/node/runtime/prompt.ts';
import { startVllmStub, type VllmStub, type VllmStubOptions } from '../../fixtures/vllm-stub.ts';

const MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';
const BOOK = Array.from({ length: 60 }, (_, i) => `Entry ${i + 1}: the keeper trimmed lamp number ${i} before the storm.`).join('\n');
const documents = [{ title: 'log', format: 'txt', text: BOOK }];
const engine = { engineId: 'box', model: MODEL, host: '' };
const sampling = samplingFor({ ...DEFAULT_SETTINGS, answerTokens: 64 }, { generation: REMOTE_GENERATION });

let stub: VllmStub | null = null;
afterEach(async () => {
  await stub?.close();
  stub = null;
});

async function setUp(options: VllmStubOptions, style?: RemoteEngines['style']) {
  stub = await startVllmStub({ model: MODEL, maxModelLen: 8192, ...options });
  const client = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null, retryDelaysMs: [] });
  const recorded: number[] = [];
  const engines: RemoteEngines = {
    client: () => client,
    // The server's count, or where it has no /tokenize the model's own tokenizer (the stub's here).
    count: async (c, model, messages, signal) => ({ tokens: ((await c.tokenizeChat(model, messages, signal)) ?? stub!.tokenize(messages)).length, exact: true, source: 'server' }),
    speed: () => 0,
    recordSpeed: (_id, _model, tokensPerSecond) => void recorded.push(tokensPerSecond),
    ...(style ? { style } : {}),
  };
  return { stub, answerer: new RemoteAnswerer(engines), recorded };
}

function ask(answerer: RemoteAnswerer, turns: Turn[], signal = new AbortController().signal) {
  return answerer.answer(engine, documents, turns, sampling, { signal, onProgress: () => undefined, onText: () => undefined });
}

const chatBodies = (s: VllmStub) => s.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: { role: string; content: string }[] });
// Requests that carried the documents' text.
const uploads = (s: VllmStub) => s.requests.filter((r) => JSON.stringify(r.body ?? '').includes('Entry 37: the keeper'));

describe('RemoteAnswerer', () => {
  it('lists the models once and sends the documents once per question: the completion', async () => {
    const { stub, answerer } = await setUp({ reply: 'Lamp 3.' });
    await answerer.fit(engine, documents, { answerTokens: sampling.maxTokens });
    const afterFit = uploads(stub).length;
    expect(afterFit).toBe(1);
    const first = await ask(answerer, [{ role: 'user', content: 'Which lamp first?' }]);
    await ask(answerer, [{ role: 'user', content: 'Which lamp first?' }, { role: 'assistant', content: first.text }, { role: 'user', content: 'And last?' }]);
    expect(uploads(stub).length - afterFit).toBe(2);
    expect(uploads(stub).slice(afterFit).every((r) => r.path === '/v1/chat/completions')).toBe(true);
    expect(stub.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
  });

  it('counts the whole prompt as the server does, without sending the documents to count it', async () => {
    const { stub, answerer } = await setUp({ reply: 'Lamp 3.' });
    const turns: Turn[] = [{ role: 'user', content: 'Which lamp was trimmed before the storm?' }];
    const { stats } = await ask(answerer, turns);
    expect(stats.promptTokens).toBe(stub.tokenize(conversationMessages(documents, turns, 'instructions')).length);
  });

  it('times the first content token, not the role chunk sent before the prompt is read', async () => {
    const { answerer, recorded } = await setUp({ kind: 'transformers', prefillDelayMs: 400 });
    const { stats } = await ask(answerer, [{ role: 'user', content: 'Which lamp?' }]);
    expect(stats.secondsToFirstToken).toBeGreaterThanOrEqual(0.35);
    expect(stats.promptTokens).toBeGreaterThan(MIN_MEASURED_TOKENS);
    expect(recorded).toHaveLength(1);
    // Read over the prefill's 400 ms at least, where the role chunk made it 76,482 tokens/s (issue 26).
    expect(recorded[0]).toBeLessThanOrEqual(stats.promptTokens / 0.35);
  });

  it('records no speed for a follow-up the server may have cached without saying, nor for a short read, nor a stopped answer', async () => {
    const { answerer, recorded } = await setUp({ kind: 'transformers', prefillDelayMs: 100 });
    const question: Turn = { role: 'user', content: 'Which lamp?' };
    const first = await ask(answerer, [question]);
    expect(recorded).toHaveLength(1);
    // transformers serve does not report cached tokens: the follow-up's reading is unknown.
    await ask(answerer, [question, { role: 'assistant', content: first.text }, { role: 'user', content: 'Why?' }]);
    expect(recorded).toHaveLength(1);

    const vllm = await setUp({ prefillDelayMs: 100 });
    await ask(vllm.answerer, [question]);
    expect(vllm.recorded).toHaveLength(1);
    // vLLM reports its cache: the follow-up read only its last turns, fewer than MIN_MEASURED_TOKENS.
    const follow = await ask(vllm.answerer, [question, { role: 'assistant', content: first.text }, { role: 'user', content: 'Why?' }]);
    expect(follow.stats.prefilledTokens).toBeLessThan(MIN_MEASURED_TOKENS);
    expect(vllm.recorded).toHaveLength(1);

    const stopping = await setUp({ prefillDelayMs: 300, tokenDelayMs: 200, reply: 'one two three four five six' });
    const controller = new AbortController();
    const asked = ask(stopping.answerer, [question], controller.signal);
    setTimeout(() => controller.abort(), 450);
    expect((await asked).stats.stopped).toBe(true);
    expect(stopping.recorded).toEqual([]);
  });

  it.each([
    ['the server says the model wants the bare layout (a Quire server)', { promptStyle: 'bare' as const }, undefined],
    ['this computer knows the model (an installed quire-nano)', {}, () => 'bare' as const],
  ])('lays the prompt out as the local path does where %s', async (_, options, style) => {
    const { stub, answerer } = await setUp({ reply: 'Lamp 3.', ...options }, style);
    const turns: Turn[] = [{ role: 'user', content: 'Which lamp?' }];
    await ask(answerer, turns);
    expect(chatBodies(stub)[0].messages).toEqual(conversationMessages(documents, turns, 'bare'));
    expect(chatBodies(stub)[0].messages.map((m) => m.role)).toEqual(['user']);
  });

  it('keeps the instructions layout for a model nothing describes', async () => {
    const { stub, answerer } = await setUp({ reply: 'Lamp 3.' });
    const turns: Turn[] = [{ role: 'user', content: 'Which lamp?' }];
    await ask(answerer, turns);
    expect(chatBodies(stub)[0].messages).toEqual(conversationMessages(documents, turns, 'instructions'));
  });
});
