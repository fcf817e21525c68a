import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextService } from '../../../electron/node/runtime/text-service.ts';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { remoteTokens } from '../../../electron/node/remote/remote-tokenizer.ts';
import { HF_TOKEN_SECRET, SecretStore } from '../../../electron/node/secrets.ts';
import { startFakeHub, writeUltraLongLayout, type FakeHub } from '../../e2e/fake-hub.ts';
import { startVllmStub, type VllmStub } from '../../fixtures/vllm-stub.ts';

const REPO = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';
const messages = [
  { role: 'system' as const, content: 'Answer from the document.\n\nThe lamp at Skerry Point was replaced in 1911 by the keeper, Ada Lind.' },
  { role: 'user' as const, content: 'Who replaced the lamp?' },
];

let stub: VllmStub;
let hub: FakeHub;
let repoDir: string;
const text = new TextService();

beforeAll(async () => {
  repoDir = mkdtempSync(join(tmpdir(), 'quire-repo-'));
  await writeUltraLongLayout(repoDir, 'F32');
  hub = await startFakeHub(REPO, repoDir);
  stub = await startVllmStub({ model: REPO });
});
afterAll(async () => {
  await stub.close();
  await hub.close();
  await text.close();
});

function deps() {
  const root = mkdtempSync(join(tmpdir(), 'quire-remote-tok-'));
  return { root, text, secrets: new SecretStore(root), hubEndpoint: hub.endpoint };
}

describe('remoteTokens', () => {
  it('counts with the server’s /tokenize where it has one', async () => {
    stub.options.tokenize = true;
    const client = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null });
    expect(await remoteTokens(client, REPO, messages, deps())).toEqual({ tokens: stub.tokenize(messages).length, exact: true, source: 'server' });
    expect(hub.served).toEqual([]);
  });

  it('else fetches the tokenizer files of the model’s repository once and counts with its own template', async () => {
    stub.options.tokenize = false;
    const client = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null });
    const d = deps();
    const expected = (await text.encode(repoDir, messages, true)).length;
    const first = await remoteTokens(client, REPO, messages, d);
    expect(first).toEqual({ tokens: expected, exact: true, source: 'hub' });
    // Only the tokenizer's files, never the weights.
    expect([...hub.served].sort()).toEqual(['generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    const dir = join(d.root, 'remote-tokenizers', 'nvidia--Llama-3.1-8B-UltraLong-1M-Instruct');
    expect(readdirSync(dir).sort()).toEqual(['generation_config.json', 'tokenizer.json', 'tokenizer_config.json']);
    // The Llama-3.1 template adds its header tokens: more than the words alone.
    expect(first.tokens).toBeGreaterThan((await text.tokens(repoDir, messages.map((m) => m.content).join(''), false)).length + 8);
    const again = await remoteTokens(client, REPO, [...messages, { role: 'assistant', content: 'Ada Lind.' }], d);
    expect(again.source).toBe('hub');
    expect(again.tokens).toBeGreaterThan(first.tokens);
    expect(hub.served).toHaveLength(3);
  });

  it('estimates, and says so, when the model id names no repository the hub has', async () => {
    stub.options.tokenize = false;
    const client = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: null });
    const d = deps();
    const local = await remoteTokens(client, 'llama-local', messages, d);
    expect(local.exact).toBe(false);
    expect(local.source).toBe('estimate');
    const bytes = messages.reduce((n, m) => n + m.content.length, 0);
    expect(local.tokens).toBeGreaterThan(bytes / 4);
    const missing = await remoteTokens(client, 'someone/not-on-the-hub', messages, d);
    expect(missing.source).toBe('estimate');
    expect(existsSync(join(d.root, 'remote-tokenizers', 'someone--not-on-the-hub', 'tokenizer.json'))).toBe(false);
  });

  it('fetches a gated repository’s tokenizer with the Hugging Face token, at once when a token is added after a refusal', async () => {
    const gatedRepo = 'nvidia/Llama-3.1-8B-UltraLong-4M-Instruct';
    const gated = await startFakeHub(gatedRepo, repoDir, { token: 'hf_gated_token_1' });
    const gatedStub = await startVllmStub({ model: gatedRepo, tokenize: false });
    try {
      const client = new OpenAiClient({ baseUrl: gatedStub.baseUrl, apiKey: null });
      const d = { ...deps(), hubEndpoint: gated.endpoint };
      expect((await remoteTokens(client, gatedRepo, messages, d)).source).toBe('estimate');
      d.secrets.set(HF_TOKEN_SECRET, 'hf_gated_token_1');
      expect(await remoteTokens(client, gatedRepo, messages, d)).toEqual({ tokens: (await text.encode(repoDir, messages, true)).length, exact: true, source: 'hub' });
    } finally {
      await gatedStub.close();
      await gated.close();
    }
  });
});
