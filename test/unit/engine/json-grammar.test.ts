// The JSON grammar over bytes and the token mask over the real Llama-3 vocabulary (multi-byte tokens, tokens
// that end inside a UTF-8 character): random walks that draw any allowed token never reach a dead end, and
// end-of-sequence comes only once the text parses as JSON of the format.
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../electron/common/random.ts';
import { advance, complete, JsonGrammar, NUMBER_MAX_BYTES, type JsonState, type OutputFormat } from '../../../electron/node/engine/json-grammar.ts';
import { TokenMask } from '../../../electron/node/engine/token-mask.ts';
import { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { LLAMA3_CONFIG, llama3TokenizerJson } from '../models/tokenizer-llama3-fixture.ts';

const schema = (s: Record<string, unknown>): OutputFormat => ({ type: 'json_schema', schema: s });

function read(format: OutputFormat, text: string): 'complete' | 'prefix' | 'rejected' {
  let s: JsonState | null = JsonGrammar.of(format).start();
  for (const b of new TextEncoder().encode(text)) {
    s = advance(s, b);
    if (!s) return 'rejected';
  }
  return complete(s) ? 'complete' : 'prefix';
}

describe('JSON grammar', () => {
  const person = schema({
    type: 'object',
    properties: { name: { type: 'string', maxLength: 3 }, age: { type: 'integer' }, tags: { type: 'array', items: { enum: ['x', 1, 12] }, maxItems: 2 }, ok: { type: ['boolean', 'null'] } },
    required: ['name', 'age'],
  });

  it.each([
    ['json_object', '{"a": [1, -2.5e+3, {"b": null}], "c": "x\\u00e9y\\n", "é": true}', 'complete', { type: 'json_object' }],
    ['json_object', '{\n  "a": 1\n}', 'complete', { type: 'json_object' }],
    ['json_object', '{"a":tru', 'prefix', { type: 'json_object' }],
    ['json_object', '[1]', 'rejected', { type: 'json_object' }],
    ['json_object', '{"a":1,}', 'rejected', { type: 'json_object' }],
    ['json_object', '{"a":01}', 'rejected', { type: 'json_object' }],
    ['json_object', '{"a":"\u0001"}', 'rejected', { type: 'json_object' }],
    ['json_object', '{}  ', 'rejected', { type: 'json_object' }],
    ['person', '{"name":"bob","age":3}', 'complete', person],
    ['person', '{"age":3,"name":"","tags":["x",12],"ok":null}', 'complete', person],
    ['person', '{"name":"bobby","age":3}', 'rejected', person],
    ['person', '{"age":3', 'prefix', person],
    ['person', '{"age":3}', 'rejected', person],
    ['person', '{"age":3.5', 'rejected', person],
    ['person', '{"age":3,"name":"","tags":["x",12,1]}', 'rejected', person],
    ['person', '{"age":3,"name":"","zz":1}', 'rejected', person],
    ['person', '{"age":3,"age":4', 'rejected', person],
    ['enum', '1', 'complete', schema({ enum: [1, 12] })],
    ['enum', '12', 'complete', schema({ enum: [1, 12] })],
    ['enum', '13', 'rejected', schema({ enum: [1, 12] })],
    ['number', `1${'0'.repeat(NUMBER_MAX_BYTES - 1)}`, 'complete', schema({ type: 'number' })],
    ['number', `1${'0'.repeat(NUMBER_MAX_BYTES)}`, 'rejected', schema({ type: 'number' })],
    ['number', '-1.5e+99', 'complete', schema({ type: 'number' })],
    // 1e999 is JSON that parses as Infinity.
    ['number', '1e999', 'rejected', schema({ type: 'number' })],
    // A number at its length limit cannot open an exponent it could not finish.
    ['number', `1${'0'.repeat(NUMBER_MAX_BYTES - 2)}e`, 'rejected', schema({ type: 'number' })],
  ] as [string, string, string, OutputFormat][])('%s: reads %j as %s', (_name, text, outcome, format) => {
    expect(read(format, text)).toBe(outcome);
  });

  it.each([
    [{ type: 'string', pattern: '^a' }, "the JSON schema keyword 'pattern' is not supported (at schema)"],
    [{ type: 'object', properties: { a: { oneOf: [] } } }, "the JSON schema keyword 'oneOf' is not supported (at schema.properties.a)"],
    [{ $ref: '#/$defs/a' }, "the JSON schema keyword '$ref' is not supported (at schema)"],
    [{ type: 'date' }, 'the JSON schema type "date" is not supported (at schema.type; supported: string, number, integer, boolean, null, object, array)'],
    [{ type: 'object', properties: {}, required: ['x'] }, "schema.required names 'x', which is not among its properties"],
    [{ type: 'object', additionalProperties: true }, 'additionalProperties other than false is not supported (at schema): list the properties'],
    [{ type: 'string', minLength: 3, maxLength: 2 }, 'schema.minLength is larger than schema.maxLength'],
  ])('refuses %j in one line naming what it cannot enforce', (s, message) => {
    expect(() => JsonGrammar.of(schema(s))).toThrow(message);
  });
});

describe('token mask on the Llama-3 vocabulary', () => {
  let tokenizer: Tokenizer;
  beforeAll(() => {
    tokenizer = new Tokenizer(llama3TokenizerJson(), LLAMA3_CONFIG);
  });

  const formats: [string, OutputFormat, (v: any) => boolean][] = [
    ['json_object', { type: 'json_object' }, (v) => typeof v === 'object' && v !== null && !Array.isArray(v)],
    [
      'a schema',
      schema({
        type: 'object',
        properties: { t: { type: 'string', maxLength: 5 }, n: { type: 'integer' }, e: { type: 'array', items: { enum: ['a', 'bb', 3] }, maxItems: 3 }, z: { type: ['number', 'null'] } },
        required: ['t', 'n', 'e', 'z'],
      }),
      (v) => typeof v.t === 'string' && [...v.t].length <= 5 && Number.isInteger(v.n) && v.e.length <= 3 && v.e.every((x: unknown) => ['a', 'bb', 3].includes(x as never)) && (v.z === null || Number.isFinite(v.z)),
    ],
  ];

  it.each(formats)('lets random draws among allowed tokens only write %s, ending it only where it is whole', (_name, format, fits) => {
    const random = mulberry32(3);
    let finished = 0;
    for (let walk = 0; walk < 40; walk++) {
      const mask = new TokenMask(JsonGrammar.of(format), tokenizer);
      const tokens: number[] = [];
      for (let step = 0; step < 300; step++) {
        const allowed = mask.allowed();
        expect(allowed.length).toBeGreaterThan(0);
        const token = allowed[Math.floor(random() * allowed.length)];
        expect(tokenizer.eosIds.includes(token)).toBe(mask.complete);
        if (mask.complete) {
          expect(allowed.every((t) => tokenizer.eosIds.includes(t))).toBe(true);
          const value = JSON.parse(tokenizer.decode(tokens));
          expect(fits(value)).toBe(true);
          finished++;
          break;
        }
        mask.accept(token);
        tokens.push(token);
      }
    }
    expect(finished).toBeGreaterThan(0);
  });

  it('offers a token that ends inside a UTF-8 character in a string, then only tokens that finish it', () => {
    const mask = new TokenMask(JsonGrammar.of({ type: 'json_object' }), tokenizer);
    for (const token of tokenizer.encode('{"')) mask.accept(token);
    // A token whose bytes stop in the middle of a character (a Chinese character split by byte-level BPE).
    const split = mask.allowed().find((t) => {
      const b = tokenizer.tokenBytes(t);
      return b.length === 1 && b[0] >= 0xe0 && b[0] <= 0xef;
    });
    expect(split).toBeDefined();
    mask.accept(split!);
    const next = mask.allowed();
    expect(next.length).toBeGreaterThan(0);
    expect([...next].every((t) => (tokenizer.tokenBytes(t)[0] & 0xc0) === 0x80)).toBe(true);
  });
});
