// The API's answers an integrating developer reads without the source: a liveness probe, when to retry a
// full queue, and refusals of what the engine cannot do in sentences naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import type { ApiEngine } from '../../../electron/node/api/api-engine.ts';
import { RETRY_AFTER_SECONDS, startApiServer, type ApiServer } from '../../../electron/node/api/openai-server.ts';
import type { CompletionJob } from '../../../electron/node/api/api-engine.ts';

const KEY = 'test-key-0123456789';
let server: ApiServer;

beforeAll(async () => {
  // An engine whose queue is always full: every completion that reaches it is refused BUSY.
  const engine = {
    model: () => ({ id: 'tiny', generation: { greedy: true } }),
    context: () => 2048,
    vocabSize: () => 256,
    chatTokens: async () => [1, 2, 3],
    textTokens: async () => [1, 2, 3],
    complete: async () => {
      throw new QuireError('BUSY', 'the engine is busy with one request and 8 waiting; try again shortly');
    },
  } as unknown as ApiEngine;
  server = await startApiServer({ port: 0, key: KEY, engine });
});
afterAll(() => server?.close());

const root = () => server.baseUrl.slice(0, -'/v1'.length);

async function chat(fields: object): Promise<{ status: number; message: string; param: string | null; headers: Headers }> {
  const response = await fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...fields }),
  });
  const body = (await response.json()) as { error: { message: string; param: string | null } };
  return { status: response.status, message: body.error.message, param: body.error.param, headers: response.headers };
}

async function completion(fields: object): Promise<{ status: number; message: string }> {
  const response = await fetch(`${server.baseUrl}/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'hi', ...fields }),
  });
  return { status: response.status, message: ((await response.json()) as { error: { message: string } }).error.message };
}

describe('API hygiene', () => {
  it('answers /health without a key, and nothing else without one', async () => {
    const health = await fetch(`${root()}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.baseUrl}/models`)).status).toBe(401);
  });

  it('tells a client refused for a full queue when to retry', async () => {
    const refused = await chat({});
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
  });

  it.each([
    [{ n: 2 }, 'n', /^n > 1 is not supported/],
    [{ top_logprobs: 3 }, 'top_logprobs', /^top_logprobs needs logprobs: true/],
    [{ logprobs: true, top_logprobs: 21 }, 'top_logprobs', /^top_logprobs must be from 0 to 20/],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: '^a' } } } }, 'response_format', /^the JSON schema keyword 'pattern' is not supported/],
    [
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { anyOf: [{ type: 'string' }] } } } } } },
      'response_format',
      /^the JSON schema keyword 'anyOf' is not supported \(at schema\.properties\.a\)/,
    ],
    [{ tools: [{ type: 'function' }] }, 'tools', /^tools are not supported/],
    [{ presence_penalty: 0.5 }, 'presence_penalty', /^presence_penalty is not supported/],
    [{ logit_bias: { '5': 1 } }, 'logit_bias', /^logit_bias is not supported/],
  ])('refuses %j in a sentence naming the field', async (fields, param, sentence) => {
    const refused = await chat(fields);
    expect(refused.status).toBe(400);
    expect(refused.param).toBe(param);
    expect(refused.message).toMatch(sentence);
    expect(refused.message).not.toMatch(/expected|invalid input|too big/i);
  });

  it.each([
    [{ echo: true }, /^echo is not supported/],
    [{ logprobs: 21 }, /^logprobs must be from 0 to 20/],
    [{ best_of: 3 }, /^best_of > 1 is not supported/],
    [{ suffix: 'end' }, /^suffix is not supported/],
  ])('refuses the completion field %j in a sentence', async (fields, sentence) => {
    const refused = await completion(fields);
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(sentence);
  });

  it('still names the field of a mistyped value', async () => {
    const refused = await chat({ temperature: 'hot' });
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/^temperature: /);
  });
});

describe('fields a client may send', () => {
  it.each([
    [{ reasoning_effort: 'low' }, 'reasoning_effort'],
    [{ min_p: 0.1 }, 'min_p'],
    [{ messages: [{ role: 'assistant', content: 'x', tool_calls: [] }] }, 'messages.0.tool_calls'],
  ])('refuses the field it does not know in %j with OpenAI\'s words, naming it', async (fields, param) => {
    const refused = await chat(fields);
    expect(refused.status).toBe(400);
    expect(refused.param).toBe(param);
    expect(refused.message).toMatch(new RegExp(`^Unrecognized request argument supplied: ${param.replace(/\./g, '\\.')}`));
  });

  it('takes the fields that change nothing for one local engine (the request then waits its turn: 429 here)', async () => {
    const accepted = await chat({ user: 'u1', safety_identifier: 'x', prompt_cache_key: 'k', metadata: { a: 'b' }, service_tier: 'auto', store: false, tool_choice: 'none', parallel_tool_calls: false });
    expect(accepted.status).toBe(429);
    const stored = await chat({ store: true });
    expect(stored.status).toBe(400);
    expect(stored.message).toMatch(/^store is not supported/);
  });
});

describe("the server's cap on answer length", () => {
  let capped: ApiServer;
  const jobs: CompletionJob[] = [];

  beforeAll(async () => {
    // An engine that answers every request with as many tokens as it may.
    const engine = {
      model: () => ({ id: 'tiny', generation: { greedy: true } }),
      context: () => 100_000,
      vocabSize: () => 256,
      chatTokens: async () => [1, 2, 3],
      textTokens: async () => [1, 2, 3],
      complete: async (job: CompletionJob, onFinish: (result: object) => void) => {
        jobs.push(job);
        onFinish({ text: 'x', completionTokens: job.maxTokens, finishReason: 'length', cachedTokens: 0, logprobs: null });
      },
    } as unknown as ApiEngine;
    capped = await startApiServer({ port: 0, key: KEY, engine, maxAnswerTokens: 50 });
  });
  afterAll(() => capped?.close());

  it('applies to max_tokens, max_completion_tokens and a request that asks nothing, and says "length" when it cuts', async () => {
    const ask = async (fields: object) => {
      const response = await fetch(`${capped.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...fields }),
      });
      return { status: response.status, body: (await response.json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } } };
    };
    for (const fields of [{}, { max_tokens: 80_000 }, { max_completion_tokens: 51 }]) {
      const { status, body } = await ask(fields);
      expect(status, JSON.stringify(fields)).toBe(200);
      expect(jobs.at(-1)!.maxTokens).toBe(50);
      expect(body.choices[0].finish_reason).toBe('length');
      expect(body.usage.completion_tokens).toBe(50);
    }
    await ask({ max_tokens: 7 });
    expect(jobs.at(-1)!.maxTokens).toBe(7);
  });
});
