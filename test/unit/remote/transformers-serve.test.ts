// Quire's remote client against a real third-party server: Hugging Face `transformers serve` running the repository's
// quire-nano checkpoint (models/nano/quire-nano), beside the vLLM-shaped stub's tests. transformers serve
// reports no context, has no /tokenize and sends the role chunk before reading the prompt: the fit says so,
// the count is the model's own tokenizer's, and the answer must be the one quire-nano gives locally (its bare
// layout, its quote). Needs python3 with torch and transformers[serving]; where they are absent the suite is
// skipped and its title says why (`pip install torch 'transformers[serving]'` to run it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REMOTE_GENERATION, RemoteAnswerer, type RemoteEngines } from '../../../electron/node/chat/remote-answer.ts';
import { DEFAULT_SETTINGS, samplingFor } from '../../../electron/node/settings.ts';
import { OpenAiClient } from '../../../electron/node/remote/openai-client.ts';
import { TextService } from '../../../electron/node/runtime/text-service.ts';
import { sampleDocument } from '../../../electron/node/sample-document.ts';

const CHECKPOINT = resolve('models/nano/quire-nano');
// The id transformers serve lists: a model in its Hugging Face cache.
const MODEL = 'quire/quire-nano';
const probe = spawnSync('python3', ['-c', 'import torch, transformers, fastapi, uvicorn; print(transformers.__version__)'], { encoding: 'utf8' });
const missing = probe.status === 0 ? null : (probe.stderr || probe.error?.message || 'python3 not found').trim().split('\n').at(-1);
const title = missing ? `transformers serve with quire-nano: skipped, python3 with torch, transformers and its serving extras is absent (${missing})` : 'transformers serve with quire-nano';

let server: ChildProcess | null = null;
let client: OpenAiClient;
const text = new TextService();
const speeds: number[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

// The checkpoint as a Hugging Face cache entry, so that transformers serve lists it and loads it offline.
function hubCache(): string {
  const cache = mkdtempSync(join(tmpdir(), 'quire-hf-cache-'));
  const repo = join(cache, 'models--quire--quire-nano');
  const revision = '0'.repeat(40);
  mkdirSync(join(repo, 'refs'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), revision);
  cpSync(CHECKPOINT, join(repo, 'snapshots', revision), { recursive: true });
  return cache;
}

describe.skipIf(missing !== null)(title, () => {
  beforeAll(async () => {
    const port = await freePort();
    const cache = hubCache();
    server = spawn('python3', ['-m', 'transformers.cli.transformers', 'serve', '--host', '127.0.0.1', '--port', String(port), '--device', 'cpu', MODEL], {
      env: { ...process.env, HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    client = new OpenAiClient({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: null, allowInsecureHttp: true, retryDelaysMs: [] });
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await client.models(true);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }, 150_000);
  afterAll(async () => {
    server?.kill();
    await text.close();
  });

  const engines = (): RemoteEngines => ({
    client: () => client,
    // No /tokenize: the model's own tokenizer files, as a hub tokenizer is used.
    count: async (_c, _model, messages) => ({ tokens: (await text.encode(CHECKPOINT, messages, true)).length, exact: true, source: 'hub' }),
    speed: () => speeds.at(-1) ?? 0,
    recordSpeed: (_id, _model, tokensPerSecond) => void speeds.push(tokensPerSecond),
    // quire-nano installed on this computer: its bare layout.
    style: () => 'bare',
  });

  it('lists quire-nano with no context (never 0), and the fit says the server does not report it', async () => {
    const card = (await client.models()).find((m) => m.id === MODEL);
    expect(card).toMatchObject({ maxModelLen: null });
    const sample = sampleDocument();
    const fit = await new RemoteAnswerer(engines()).fit({ engineId: 'tf', model: MODEL }, [{ title: 'sample', format: 'md', text: sample.text }], { answerTokens: 64 });
    expect(fit.reason).toMatch(/does not report/);
    expect(fit.reason).not.toMatch(/\b0 context/);
    console.log(`transformers serve fit: ${fit.documentTokens} document tokens counted by ${fit.server?.tokenSource}; ${fit.reason}`);
  });

  it('streams quire-nano\'s answer with its quote, as it answers locally, and measures the reading speed', async () => {
    const sample = sampleDocument();
    const [q] = sample.questions;
    const answer = await new RemoteAnswerer(engines()).answer(
      { engineId: 'tf', model: MODEL, host: '' },
      [{ title: 'sample', format: 'md', text: sample.text }],
      [{ role: 'user', content: q.question }],
      samplingFor({ ...DEFAULT_SETTINGS, answerTokens: 96 }, { generation: REMOTE_GENERATION }),
      { signal: new AbortController().signal, onProgress: () => undefined, onText: () => undefined },
    );
    expect(answer.text).toContain(q.answer);
    expect(answer.text).toContain(q.quote);
    console.log(
      `transformers serve answer: ${answer.stats.promptTokens} prompt tokens, ${answer.stats.secondsToFirstToken.toFixed(2)} s to the first token, ` +
        `${answer.stats.tokensPerSecond.toFixed(1)} tokens/s generating, reading speed recorded ${speeds.map((s) => s.toFixed(0)).join(', ') || 'none'}`,
    );
  }, 120_000);
});
