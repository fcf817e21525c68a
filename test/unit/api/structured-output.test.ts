// response_format and logprobs through the real `quire serve --api` and the official openai client, on a
// random-weight model sampled at temperature 1: whatever it would say, the mask makes every answer JSON of the
// schema (checked here by a validator of its own, not the grammar's), while the same seed without the mask is not
// JSON. Log-probabilities are the model's: ≤ 0, their alternatives' mass ≤ 1, greedy picks the top one.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTinyModel, startApi, type ApiProcess } from './api-process.ts';

let api: ApiProcess;
let client: OpenAI;

beforeAll(async () => {
  api = await startApi(await apiTinyModel());
  client = new OpenAI({ baseURL: api.baseUrl, apiKey: api.key, maxRetries: 0 });
});
afterAll(() => api?.stop());

type Schema = Record<string, any>;

// JSON Schema's meaning for the keywords the tests use, independent of the engine's grammar.
function valid(value: unknown, schema: Schema): boolean {
  if ('const' in schema) return JSON.stringify(value) === JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value));
  const types: string[] = [schema.type ?? 'any'].flat();
  return types.some((type) => {
    switch (type) {
      case 'any':
        return true;
      case 'null':
        return value === null;
      case 'boolean':
        return typeof value === 'boolean';
      case 'integer':
        return Number.isInteger(value);
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'string':
        return typeof value === 'string' && [...value].length <= (schema.maxLength ?? Infinity) && [...value].length >= (schema.minLength ?? 0);
      case 'array':
        return Array.isArray(value) && value.length >= (schema.minItems ?? 0) && value.length <= (schema.maxItems ?? Infinity) && value.every((v) => valid(v, schema.items ?? {}));
      case 'object': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
        const props: Record<string, Schema> = schema.properties ?? {};
        const record = value as Record<string, unknown>;
        return (
          (schema.required ?? []).every((name: string) => name in record) &&
          Object.entries(record).every(([name, v]) => (name in props ? valid(v, props[name]) : Object.keys(props).length === 0))
        );
      }
      default:
        return false;
    }
  });
}

const SCHEMAS: [string, Schema][] = [
  ['a flat object', { type: 'object', properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' }, score: { type: 'number' } }, required: ['name', 'age', 'score'] }],
  [
    'nested objects and arrays',
    {
      type: 'object',
      properties: {
        book: { type: 'object', properties: { title: { type: 'string', maxLength: 10 }, pages: { type: 'integer' } }, required: ['title', 'pages'] },
        tags: { type: 'array', items: { type: 'string', maxLength: 6 }, maxItems: 3 },
        grid: { type: 'array', items: { type: 'array', items: { type: 'integer' }, maxItems: 2 }, minItems: 1, maxItems: 2 },
      },
      required: ['book', 'tags', 'grid'],
    },
  ],
  ['enums and a const', { type: 'object', properties: { colour: { enum: ['red', 'green', 'blue'] }, size: { enum: [1, 12, 'large', null] }, kind: { const: 'quire' } }, required: ['colour', 'size', 'kind'] }],
  ['booleans, null and nullable types', { type: 'object', properties: { ok: { type: 'boolean' }, nothing: { type: 'null' }, maybe: { type: ['integer', 'null'] } }, required: ['ok', 'nothing', 'maybe'] }],
  ['optional properties', { type: 'object', properties: { id: { type: 'integer' }, note: { type: 'string', maxLength: 8 }, flag: { type: 'boolean' } }, required: ['id'] }],
  ['an array at the root', { type: 'array', items: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] }, minItems: 1, maxItems: 3 }],
];
const SEEDS = [1, 2, 3];
const ASK = [{ role: 'user' as const, content: 'Describe the book as JSON.' }];

describe('structured output', () => {
  it.each(SCHEMAS)('answers %s with valid JSON of the schema for every seed at temperature 1', async (_name, schema) => {
    for (const seed of SEEDS) {
      const answer = await client.chat.completions.create({
        model: 'model',
        messages: ASK,
        temperature: 1,
        seed,
        max_tokens: 300,
        response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
      });
      const [choice] = answer.choices;
      expect(choice.finish_reason, choice.message.content ?? '').toBe('stop');
      expect(valid(JSON.parse(choice.message.content!), schema), JSON.stringify(choice.message.content)).toBe(true);
    }
  });

  it('gives text that is not JSON for the same request without response_format', async () => {
    const answer = await client.chat.completions.create({ model: 'model', messages: ASK, temperature: 1, seed: 1, max_tokens: 40 });
    expect(() => JSON.parse(answer.choices[0].message.content!)).toThrow();
  });

  it('answers json_object with one JSON object, streamed too', async () => {
    for (const seed of SEEDS) {
      // Free keys and strings end only when this model happens to draw '"': they run to hundreds of tokens.
      const answer = await client.chat.completions.create({ model: 'model', messages: ASK, temperature: 1, seed, max_tokens: 4000, response_format: { type: 'json_object' } });
      expect(answer.choices[0].finish_reason).toBe('stop');
      const value = JSON.parse(answer.choices[0].message.content!);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    }
    const stream = await client.chat.completions.create({ model: 'model', messages: ASK, temperature: 1, seed: 1, max_tokens: 4000, stream: true, response_format: { type: 'json_object' } });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toBeTypeOf('object');
  });

  it('takes response_format on legacy completions as vLLM does', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
    const answer = await client.completions.create({ model: 'model', prompt: 'n =', temperature: 1, seed: 4, max_tokens: 60, response_format: { type: 'json_schema', json_schema: { name: 'n', schema } } } as never);
    expect(valid(JSON.parse(answer.choices[0].text), schema)).toBe(true);
  });

  it('refuses a schema keyword it cannot enforce by name, through the openai client', async () => {
    const refused = client.chat.completions.create({
      model: 'model',
      messages: ASK,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { when: { type: 'string', format: 'date-time' } } } } },
    });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toMatchObject({ status: 400, param: 'response_format', message: expect.stringMatching(/the JSON schema keyword 'format' is not supported/) });
  });
});

describe('logprobs', () => {
  it("reports chat logprobs from the model's distribution: ≤ 0, top alternatives' mass ≤ 1, the chosen token listed when it is likely", async () => {
    const answer = await client.chat.completions.create({ model: 'model', messages: ASK, temperature: 1, seed: 5, max_tokens: 12, logprobs: true, top_logprobs: 5 });
    const content = answer.choices[0].logprobs!.content!;
    expect(content).toHaveLength(answer.usage!.completion_tokens);
    expect(content.map((c) => Buffer.from(c.bytes!).toString('utf8')).join('')).toBe(answer.choices[0].message.content);
    for (const entry of content) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toHaveLength(5);
      const tops = entry.top_logprobs.map((t) => t.logprob);
      expect(tops).toEqual([...tops].sort((a, b) => b - a));
      expect(tops.reduce((sum, lp) => sum + Math.exp(lp), 0)).toBeLessThanOrEqual(1 + 1e-6);
      // The chosen token is among the alternatives whenever it is at least as likely as the last of them.
      if (entry.logprob >= tops[4]) expect(entry.top_logprobs.map((t) => t.token)).toContain(entry.token);
    }
  });

  it('picks the top-1 token at every step of a greedy answer, streamed with its logprobs', async () => {
    const stream = await client.chat.completions.create({ model: 'model', messages: ASK, temperature: 0, max_tokens: 12, logprobs: true, top_logprobs: 2, stream: true });
    const entries: OpenAI.Chat.Completions.ChatCompletionTokenLogprob[] = [];
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      entries.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    }
    expect(entries).toHaveLength(12);
    expect(entries.map((e) => e.token).join('')).toBe(text);
    for (const entry of entries) {
      expect(entry.top_logprobs[0]).toMatchObject({ token: entry.token, logprob: entry.logprob });
      expect(entry.top_logprobs[1].logprob).toBeLessThanOrEqual(entry.logprob);
    }
  });

  it('reports legacy completion logprobs as tokens, token_logprobs, top_logprobs and text_offset', async () => {
    const answer = await client.completions.create({ model: 'model', prompt: 'The harbour', temperature: 0, max_tokens: 8, logprobs: 3 });
    const { tokens, token_logprobs, top_logprobs, text_offset } = answer.choices[0].logprobs!;
    expect(tokens!.join('')).toBe(answer.choices[0].text);
    expect(token_logprobs!.every((lp) => lp <= 0)).toBe(true);
    expect(top_logprobs!.every((top) => Object.keys(top).length <= 3 && top[tokens![top_logprobs!.indexOf(top)]] !== undefined)).toBe(true);
    expect(text_offset).toEqual(tokens!.map((_, i) => tokens!.slice(0, i).join('').length));
  });

  it('leaves logprobs null when they are not asked for', async () => {
    const answer = await client.chat.completions.create({ model: 'model', messages: ASK, max_tokens: 4 });
    expect(answer.choices[0].logprobs).toBeNull();
  });
});
