// `quire serve --api` end to end: the real CLI in a child process with a tiny model, driven over HTTP.
import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelText } from '../../../electron/node/runtime/model-text.ts';
import { conversationMessages, documentPrefix } from '../../../electron/node/runtime/prompt.ts';
import { readSnapshotHeader } from '../../../electron/node/engine/kv-snapshot.ts';
import { API_SNAPSHOT_MIN_TOKENS } from '../../../electron/node/api/api-engine.ts';
import { listSnapshots } from '../../../electron/node/runtime/prefix-store.ts';
import { API_QUEUE_LIMIT } from '../../../electron/node/runtime/engine-queue.ts';
import { API_MAX_BODY_BYTES } from '../../../electron/node/api/openai-server.ts';
import { loadTokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { runCli } from '../run-cli.ts';
import { apiTinyModel, startApi, type ApiProcess } from './api-process.ts';

let model: string;
let api: ApiProcess;

beforeAll(async () => {
  model = await apiTinyModel();
  api = await startApi(model);
});
afterAll(() => api?.stop());

const auth = (server = api) => ({ Authorization: `Bearer ${server.key}`, 'Content-Type': 'application/json' });
const root = (server = api) => server.baseUrl.slice(0, -'/v1'.length);

async function post(path: string, body: unknown, init: RequestInit = {}, server = api): Promise<{ status: number; json: any }> {
  const response = await fetch(root(server) + path, { method: 'POST', headers: auth(server), body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
  return { status: response.status, json: await response.json() };
}

// Server-sent events as the JSON objects they carry, and whether the stream ended with [DONE].
async function events(response: Response): Promise<{ chunks: any[]; done: boolean }> {
  const text = await response.text();
  const data = text.split('\n\n').filter(Boolean).map((block) => {
    expect(block.startsWith('data: ')).toBe(true);
    return block.slice('data: '.length);
  });
  const done = data.at(-1) === '[DONE]';
  return { chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d)), done };
}

// A raw request with a chosen Host header (fetch will not send another host's name).
function withHost(host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path, headers: { host, authorization: `Bearer ${api.key}` } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

const DOCUMENT = Array.from({ length: 90 }, (_, i) => `Paragraph ${i}: the harbour master logged ship ${i * 7} at dawn.`).join('\n');

describe('quire serve --api', () => {
  it('prints the contract line and refuses requests without the key, with a wrong key, or for another host', async () => {
    expect(api.stdout()).toMatch(/^quire api: http:\/\/127\.0\.0\.1:\d+\/v1 key: \S+\n$/);
    const none = await fetch(`${api.baseUrl}/models`);
    expect(none.status).toBe(401);
    expect((await none.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    const wrong = await fetch(`${api.baseUrl}/models`, { headers: { Authorization: `Bearer ${api.key}x` } });
    expect(wrong.status).toBe(401);
    expect(await withHost(`127.0.0.1:${api.port}`, '/v1/models')).toBe(200);
    expect(await withHost(`localhost:${api.port}`, '/v1/models')).toBe(200);
    expect(await withHost(`evil.example:${api.port}`, '/v1/models')).toBe(421);
    expect(await withHost(`127.0.0.1:${api.port + 1}`, '/v1/models')).toBe(421);
  });

  it('serves the model card with the context the engine loads with', async () => {
    const response = await fetch(`${api.baseUrl}/models`, { headers: auth() });
    const body = await response.json();
    expect(body).toEqual({
      object: 'list',
      data: [{ id: 'model', object: 'model', created: expect.any(Number), owned_by: 'quire', root: 'model', parent: null, max_model_len: 16_384, prompt_style: 'bare' }],
    });
    expect((await fetch(`${api.baseUrl}/models/model`, { headers: auth() })).status).toBe(200);
    const missing = await fetch(`${api.baseUrl}/models/other`, { headers: auth() });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('model_not_found');
  });

  it('tokenizes and detokenizes exactly as the model tokenizer and chat template do', async () => {
    const tokenizer = await loadTokenizer(model);
    const text = 'Call me Ishmael. Some years ago <|eot_id|> never mind how long.';
    const plain = await post('/tokenize', { model: 'model', prompt: text });
    expect(plain.status).toBe(200);
    expect(plain.json.tokens).toEqual(Array.from(tokenizer.encode(text, { addBos: true, parseSpecial: true })));
    expect(plain.json).toMatchObject({ count: plain.json.tokens.length, max_model_len: 16_384 });
    const bare = await post('/tokenize', { prompt: text, add_special_tokens: false });
    expect(bare.json.tokens).toEqual(plain.json.tokens.slice(1));
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }];
    const chat = await post('/tokenize', { model: 'model', messages });
    expect(chat.json.tokens).toEqual(Array.from((await loadModelText(model)).encode(messages as never, true)));
    const back = await post('/detokenize', { model: 'model', tokens: bare.json.tokens });
    expect(back.json).toEqual({ prompt: text });
  });

  it('answers greedily through the API exactly as quire generate does', async () => {
    const prompt = 'The lighthouse keeper wrote in his log that';
    const cli = await runCli(['generate', '--model', model, '--prompt', prompt, '--max-new-tokens', '12', '--json', '--provider', 'cpu']);
    expect(cli.code).toBe(0);
    const local = JSON.parse(cli.stdout) as { tokens: number[]; text: string };
    const whole = await post('/v1/completions', { model: 'model', prompt, max_tokens: 12, temperature: 0 });
    expect(whole.status).toBe(200);
    expect(whole.json).toMatchObject({ object: 'text_completion', model: 'model', choices: [{ index: 0, text: local.text, finish_reason: 'length' }] });
    expect(whole.json.usage).toMatchObject({ completion_tokens: 12, total_tokens: whole.json.usage.prompt_tokens + 12 });
    // The same prompt as token ids gives the same answer.
    const ids = await post('/tokenize', { prompt });
    const byIds = await post('/v1/completions', { prompt: ids.json.tokens, max_tokens: 12, temperature: 0 });
    expect(byIds.json.choices[0].text).toBe(local.text);
  });

  it('streams chat completions chunk by chunk as OpenAI does, with usage when asked', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'Tell me ' }, { type: 'text', text: 'about ships.' }] }];
    const whole = await post('/v1/chat/completions', { model: 'model', messages, max_tokens: 10, temperature: 0 });
    expect(whole.status).toBe(200);
    expect(whole.json).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'length' }] });
    const response = await fetch(`${api.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ model: 'model', messages, max_tokens: 10, temperature: 0, stream: true, stream_options: { include_usage: true } }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { chunks, done } = await events(response);
    expect(done).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const deltas = chunks.slice(1, -2);
    expect(deltas.every((c) => c.choices[0].finish_reason === null && c.usage === null)).toBe(true);
    expect(deltas.map((c) => c.choices[0].delta.content).join('')).toBe(whole.json.choices[0].message.content);
    expect(chunks.at(-2).choices[0]).toMatchObject({ delta: {}, finish_reason: 'length' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: whole.json.usage.prompt_tokens, completion_tokens: 10 } });
    // The same prompt again comes from the live cache but its last token, which is run for its logits.
    expect(chunks.at(-1).usage.prompt_tokens_details.cached_tokens).toBe(whole.json.usage.prompt_tokens - 1);
  });

  it('streams text completions and honours stop strings', async () => {
    const first = await post('/v1/completions', { prompt: 'Once upon a time', max_tokens: 12, temperature: 0 });
    const text: string = first.json.choices[0].text;
    const cut = text.slice(3, 5);
    const response = await fetch(`${api.baseUrl}/completions`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ prompt: 'Once upon a time', max_tokens: 12, temperature: 0, stream: true, stop: [cut] }),
    });
    const { chunks, done } = await events(response);
    expect(done).toBe(true);
    expect(chunks.every((c) => c.object === 'text_completion' && c.usage === undefined)).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(text.slice(0, text.indexOf(cut)));
    expect(chunks.at(-1).choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });
  });

  it('serves a follow-up about the same document from the live cache', async () => {
    const text = await loadModelText(model);
    const documents = [{ title: 'Harbour log', format: 'txt', text: DOCUMENT }];
    const prefix = documentPrefix((m) => text.encode(m), documents, 'instructions');
    expect(prefix.length).toBeGreaterThan(API_SNAPSHOT_MIN_TOKENS);
    const ask = (question: string) =>
      post('/v1/chat/completions', { messages: conversationMessages(documents, [{ role: 'user', content: question }], 'instructions'), max_tokens: 4, temperature: 0 });
    const first = await ask('Which ship came at dawn?');
    expect(first.status).toBe(200);
    const followUp = await ask('Who logged the ships?');
    expect(followUp.json.usage.prompt_tokens_details.cached_tokens).toBeGreaterThanOrEqual(prefix.length);
    expect(followUp.json.usage.prompt_tokens - followUp.json.usage.prompt_tokens_details.cached_tokens).toBeLessThan(30);
  });

  it('refuses malformed, mistyped, oversized and over-long requests in one line, and keeps serving', async () => {
    const cases: [unknown, number, string | null][] = [
      ['{"prompt": ', 400, null],
      [{ prompt: 12 }, 400, 'prompt'],
      [{ prompt: 'x', max_tokens: 'ten' }, 400, 'max_tokens'],
      [{ prompt: 'x', temperature: -1 }, 400, 'temperature'],
      [{ prompt: 'x', n: 3 }, 400, 'n'],
      [{ prompt: 'x', frequency_penalty: 0.5 }, 400, 'frequency_penalty'],
      [{ prompt: 'x', logit_bias: { '12': 5 } }, 400, 'logit_bias'],
      [{ prompt: [1, 2, 10_000_000] }, 400, 'prompt'],
      [[], 400, null],
      ['null', 400, null],
    ];
    for (const [body, status, param] of cases) {
      const { status: got, json } = await post('/v1/completions', body);
      expect(got, JSON.stringify(body)).toBe(status);
      expect(json.error.message).not.toMatch(/\n|    at /);
      expect(json.error.type).toBe('invalid_request_error');
      if (param) expect(json.error.param).toBe(param);
    }
    const other = await post('/v1/chat/completions', { model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] });
    expect(other.status).toBe(404);
    expect(other.json.error).toMatchObject({ message: 'The model `gpt-4` does not exist.', code: 'model_not_found' });
    const role = await post('/v1/chat/completions', { messages: [{ role: 'tool', content: 'hi' }] });
    expect(role.status).toBe(400);
    expect(role.json.error.param).toBe('messages.0.role');

    const long = await post('/v1/completions', { prompt: Array.from({ length: 16_000 }, (_, i) => 10 + (i % 90)), max_tokens: 1000 });
    expect(long.status).toBe(400);
    expect(long.json.error).toMatchObject({
      message:
        "This model's maximum context length is 16384 tokens. However, you requested 17000 tokens (16000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
      code: 'context_length_exceeded',
    });

    const huge = await fetch(`${api.baseUrl}/completions`, { method: 'POST', headers: auth(), body: 'x'.repeat(API_MAX_BODY_BYTES + 1) });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('TOO_LARGE');
    // Without a declared length (a chunked upload) the cap holds as the body arrives.
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i <= API_MAX_BODY_BYTES / 2 ** 20; i++) controller.enqueue(new Uint8Array(1024 * 1024).fill(32));
        controller.close();
      },
    });
    const streamed = await fetch(`${api.baseUrl}/completions`, { method: 'POST', headers: auth(), body: chunked, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await post('/v1/unknown', {})).status).toBe(404);
    expect((await fetch(`${api.baseUrl}/completions`, { headers: auth() })).status).toBe(405);
    const alive = await post('/v1/completions', { prompt: 'still here', max_tokens: 2 });
    expect(alive.status).toBe(200);
  });

  it('stops the engine at once when the client goes away mid-prefill', async () => {
    const prompt = Array.from({ length: 15_000 }, (_, i) => 20 + ((i * 13) % 150));
    const controller = new AbortController();
    const started = post('/v1/completions', { prompt, max_tokens: 1, temperature: 0 }, { signal: controller.signal }).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 700));
    controller.abort();
    expect(await started).toBeInstanceOf(Error);
    const t = performance.now();
    const next = await post('/v1/completions', { prompt: 'and then', max_tokens: 2, temperature: 0 });
    expect(next.status).toBe(200);
    // Prefilling all 15,000 tokens takes over 6 s on this model.
    expect(performance.now() - t).toBeLessThan(3000);
    // A completed prefill of that prompt would have been saved; none was.
    const files = await listSnapshots(join(api.dataDir, 'snapshots'));
    const counts = await Promise.all(files.map(async ({ path }) => (await readSnapshotHeader(path)).tokenCount));
    expect(counts).not.toContain(prompt.length);
  });

  it('answers 429 when the queue is full, and serves again once it drains', async () => {
    // A server whose engine pauses 5 ms a token: this model decodes 12,000 tokens in about a second otherwise, so
    // the first requests could end before the last is queued.
    const slow = await startApi(model, undefined, [], { QUIRE_TEST_STEP_DELAY_MS: '5' });
    try {
      const controllers = Array.from({ length: API_QUEUE_LIMIT + 1 }, () => new AbortController());
      const running = controllers.map((c, i) =>
        post('/v1/completions', { prompt: `request ${i}`, max_tokens: 12_000, temperature: 0 }, { signal: c.signal }, slow).catch((error: Error) => error),
      );
      // Time for all of them to be tokenized and queued (each runs for a minute).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const refused = await post('/v1/completions', { prompt: 'one more', max_tokens: 2 }, {}, slow);
      expect(refused.status).toBe(429);
      expect(refused.json.error).toMatchObject({ type: 'rate_limit_error', code: 'BUSY' });
      for (const c of controllers) c.abort();
      for (const r of await Promise.all(running)) expect(r).toBeInstanceOf(Error);
      const t = performance.now();
      const after = await post('/v1/completions', { prompt: 'drained', max_tokens: 2 }, {}, slow);
      expect(after.status).toBe(200);
      expect(performance.now() - t).toBeLessThan(3000);
    } finally {
      await slow.stop();
    }
  });
});

// The official OpenAI client, as other tools use it, against the same server.
describe('quire serve --api with the openai npm client', () => {
  const client = () => new OpenAI({ baseURL: api.baseUrl, apiKey: api.key, maxRetries: 0 });

  it('lists the model, streams a chat answer and completes text', async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(['model']);
    const stream = await client().chat.completions.create({
      model: 'model',
      messages: [{ role: 'user', content: 'Name a ship.' }],
      max_tokens: 8,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    const whole = await client().chat.completions.create({ model: 'model', messages: [{ role: 'user', content: 'Name a ship.' }], max_tokens: 8, temperature: 0 });
    expect(text).toBe(whole.choices[0].message.content);
    expect(finish).toBe('length');
    expect(usage).toMatchObject({ completion_tokens: 8, total_tokens: whole.usage!.prompt_tokens + 8 });

    const completion = await client().completions.create({ model: 'model', prompt: 'The tide', max_tokens: 6, temperature: 0 });
    const pieces: string[] = [];
    for await (const chunk of await client().completions.create({ model: 'model', prompt: 'The tide', max_tokens: 6, temperature: 0, stream: true })) {
      pieces.push(chunk.choices[0]?.text ?? '');
    }
    expect(pieces.join('')).toBe(completion.choices[0].text);
    expect(completion.usage?.completion_tokens).toBe(6);
  });

  it('turns a wrong key and an unknown model into the client errors OpenAI users expect', async () => {
    const wrong = new OpenAI({ baseURL: api.baseUrl, apiKey: 'not-the-key', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(client().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const tooLong = client().completions.create({ model: 'model', prompt: Array.from({ length: 16_000 }, () => 42), max_tokens: 500 });
    await expect(tooLong).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
  });
});
