// Servers that are not vLLM, as their docs describe them: where each says the context it runs a model with,
// and llama.cpp's /tokenize, which reads only `content` (issue 26 points 4 and 6).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { remoteTokens } from '../../../electron/node/remote/remote-tokenizer.ts';
import { TextService } from '../../../electron/node/runtime/text-service.ts';
import { SecretStore } from '../../../electron/node/secrets.ts';
import { startVllmStub, type ServerKind, type VllmStub } from '../../fixtures/vllm-stub.ts';

const MODEL = 'llama-3.1-8b-instruct';
const messages = [
  { role: 'user' as const, content: 'The lamp at Skerry Point was replaced in 1911 by the keeper, Ada Lind.\n\nWho replaced the lamp?' },
];
const text = new TextService();
let stub: VllmStub | null = null;
afterEach(async () => {
  await stub?.close();
  stub = null;
});
afterAll(() => text.close());

async function serve(kind: ServerKind): Promise<{ stub: VllmStub; client: OpenAiClient }> {
  stub = await startVllmStub({ kind, model: MODEL, maxModelLen: 8192 });
  return { stub, client: new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null, allowInsecureHttp: true, retryDelaysMs: [] }) };
}

describe('remote servers that are not vLLM', () => {
  it.each<ServerKind>(['llamacpp', 'ollama', 'lmstudio'])('reads the context %s reports in its own field', async (kind) => {
    const { client } = await serve(kind);
    expect(await client.models()).toEqual([expect.objectContaining({ id: MODEL, maxModelLen: 8192 })]);
  });

  it('says null, never 0, for a server that reports no context (transformers serve)', async () => {
    const { client } = await serve('transformers');
    expect(await client.models()).toEqual([expect.objectContaining({ id: MODEL, maxModelLen: null })]);
  });

  it('counts a chat on llama.cpp by rendering its template there and tokenizing the text, never as 0', async () => {
    const { stub, client } = await serve('llamacpp');
    const tokens = await client.tokenizeChat(MODEL, messages);
    expect(tokens).toEqual(stub.tokenize(messages));
    expect(stub.requests.map((r) => r.path)).toEqual(['/tokenize', '/apply-template', '/tokenize']);
    const root = mkdtempSync(join(tmpdir(), 'quire-kinds-'));
    const count = await remoteTokens(client, MODEL, messages, { root, text, secrets: new SecretStore(root), hubEndpoint: 'http://127.0.0.1:9' });
    expect(count).toEqual({ tokens: stub.tokenize(messages).length, exact: true, source: 'server' });
  });

  it('takes no count from a llama.cpp whose /tokenize answers an empty list and that cannot render the template', async () => {
    const { stub, client } = await serve('llamacpp');
    stub.options.applyTemplate = false;
    expect(await client.tokenizeChat(MODEL, messages)).toBeNull();
    const root = mkdtempSync(join(tmpdir(), 'quire-kinds-'));
    const count = await remoteTokens(client, MODEL, messages, { root, text, secrets: new SecretStore(root), hubEndpoint: 'http://127.0.0.1:9' });
    expect(count.source).toBe('estimate');
    expect(count.exact).toBe(false);
    expect(count.tokens).toBeGreaterThan(0);
  });
});
