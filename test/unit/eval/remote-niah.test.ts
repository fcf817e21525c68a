import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../electron/common/random.ts';
import { seedOf } from '../../../electron/node/eval/niah.ts';
import { runRemoteNiah } from '../../../electron/node/eval/remote-niah.ts';
import { makeSample } from '../../../electron/node/eval/tasks.ts';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';

let stub: VllmStub;
let client: OpenAiClient;
const MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';

beforeAll(async () => {
  stub = await startVllmStub({ model: MODEL, maxModelLen: 8192 });
  client = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null });
});

afterAll(async () => {
  await stub?.close();
});

const options = (lengths: number[], depths: number[]) => ({
  client,
  model: MODEL,
  context: 8192,
  count: async (messages: { role: 'user' | 'assistant' | 'system'; content: string }[]) => (await client.tokenizeChat(MODEL, messages))!.length,
  lengths,
  depths,
});

describe('the self-check on a remote engine', () => {
  it('fills each length with a haystack the server counts, the fact at its depth', async () => {
    stub.requests.length = 0;
    const cells: number[] = [];
    const result = await runRemoteNiah({ ...options([2000, 6000], [0, 50, 100]), onCell: (cell) => cells.push(cell.length) });
    expect(cells).toEqual([2000, 2000, 2000, 6000, 6000, 6000]);
    const chats = stub.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: { role: string; content: string }[]; max_tokens: number });
    expect(chats).toHaveLength(6);
    chats.forEach((chat, i) => {
      const length = i < 3 ? 2000 : 6000;
      const tokens = stub.tokenize(chat.messages).length + chat.max_tokens;
      // The whole length, short of it by less than a sentence or two.
      expect(tokens).toBeLessThanOrEqual(length);
      expect(tokens).toBeGreaterThan(length - 40);
      const text = chat.messages[0].content;
      const fact = /[^.]*passkey[^.]*\./.exec(text)!;
      const depth = [0, 50, 100][i % 3];
      expect(Math.abs((fact.index / text.length) * 100 - depth)).toBeLessThan(3);
    });
    // The stub's answer names no passkey.
    expect(result.mean).toBe(0);
  });

  it('scores the answer the server gives', async () => {
    const expected = makeSample('niah', mulberry32(seedOf(0, 0, 3000, 50 * 1000)), 50).expected[0];
    stub.options.reply = `The passkey is ${expected}.`;
    const result = await runRemoteNiah(options([3000], [50]));
    expect(result.cells).toEqual([expect.objectContaining({ length: 3000, depth: 50, accuracy: 1 })]);
  });

  it('refuses a length beyond the server context', async () => {
    await expect(runRemoteNiah(options([9000], [50]))).rejects.toMatchObject({ code: 'DOES_NOT_FIT' });
  });
});
