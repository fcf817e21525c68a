import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QuireError } from '../../../electron/common/errors.ts';
import { checkEngineUrl, OpenAiClient, type OpenAiClientOptions } from '../../../electron/node/remote/openai-client.ts';
import { startVllmStub, type VllmStub, type VllmStubOptions } from '../../fixtures/vllm-stub.ts';

const KEY = 'sk-test-7f3a9c-secret';
const MODEL = 'nvidia/Llama-3.1-8B-UltraLong-1M-Instruct';
const messages = (document: string, question: string) => [
  { role: 'system' as const, content: `Answer from the document.\n${document}` },
  { role: 'user' as const, content: question },
];

let stub: VllmStub | null = null;
afterEach(async () => {
  await stub?.close();
  stub = null;
});

async function setUp(options: VllmStubOptions = {}, client: Partial<OpenAiClientOptions> = {}) {
  stub = await startVllmStub({ apiKey: KEY, ...options });
  return { stub, client: new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: KEY, retryDelaysMs: [10, 10], ...client }) };
}

async function failure(promise: Promise<unknown>): Promise<QuireError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QuireError);
  // Whatever went wrong, the key never appears in what the user sees.
  expect((error as Error).message).not.toContain(KEY);
  return error as QuireError;
}

describe('checkEngineUrl', () => {
  it('adds /v1, drops the query and keeps https anywhere', () => {
    expect(checkEngineUrl('https://gpu.example.org:8000/', false).href).toBe('https://gpu.example.org:8000/v1');
    expect(checkEngineUrl('https://gpu.example.org/vllm/v1/?x=1#y', false).href).toBe('https://gpu.example.org/vllm/v1');
    expect(checkEngineUrl('http://localhost:8000', false).href).toBe('http://localhost:8000/v1');
    expect(checkEngineUrl('http://[::1]:8000/v1', false).href).toBe('http://[::1]:8000/v1');
  });

  it('refuses plain http to another machine unless allowed, other schemes and credentials in the URL', () => {
    expect(() => checkEngineUrl('http://10.0.0.5:8000/v1', false)).toThrow(expect.objectContaining({ code: 'REMOTE_INSECURE' }));
    expect(checkEngineUrl('http://10.0.0.5:8000/v1', true).host).toBe('10.0.0.5:8000');
    expect(() => checkEngineUrl('file:///etc/passwd', true)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => checkEngineUrl('https://user:pw@gpu.example.org', false)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => checkEngineUrl('not a url', false)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => new OpenAiClient({ baseUrl: 'http://192.168.1.20:8000/v1', apiKey: null })).toThrow(expect.objectContaining({ code: 'REMOTE_INSECURE' }));
  });
});

describe('OpenAiClient against vLLM’s wire format', () => {
  it('lists models with their max_model_len and sends the key only as a bearer token', async () => {
    const { stub, client } = await setUp({ maxModelLen: 131_072 });
    expect(client.host).toBe(`127.0.0.1:${stub.port}`);
    expect(await client.models()).toEqual([{ id: MODEL, maxModelLen: 131_072, ownedBy: 'vllm', promptStyle: null }]);
    expect(stub.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models', authorization: `Bearer ${KEY}` });
  });

  it('tokenizes a chat with the server’s /tokenize, or says null where there is none', async () => {
    const { stub, client } = await setUp();
    const chat = messages('The lamp was replaced in 1911.', 'When?');
    expect(await client.tokenizeChat(MODEL, chat)).toEqual(stub.tokenize(chat));
    expect(stub.requests.at(-1)).toMatchObject({ path: '/tokenize', body: { model: MODEL, add_generation_prompt: true } });
    stub.options.tokenize = false;
    expect(await client.tokenizeChat(MODEL, chat)).toBeNull();
    stub.options.tokenize = true;
    expect((await failure(client.tokenizeChat('other/model', chat))).code).toBe('REMOTE_MODEL_MISSING');
  });

  it('streams an answer with usage, and a follow-up reports the prefix cache’s tokens in whole blocks', async () => {
    const { stub, client } = await setUp({ reply: 'The keeper was Ada Lind.' });
    const document = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const pieces: string[] = [];
    let firsts = 0;
    const first = await client.chat({ model: MODEL, messages: messages(document, 'Who kept the lamp?'), maxTokens: 64 }, { onText: (p) => pieces.push(p), onFirstToken: () => firsts++ });
    expect(first.text).toBe('The keeper was Ada Lind.');
    expect(pieces.join('')).toBe(first.text);
    expect(pieces.length).toBeGreaterThan(1);
    expect(firsts).toBe(1);
    expect(first.finishReason).toBe('stop');
    const promptTokens = stub.tokenize(messages(document, 'Who kept the lamp?')).length;
    expect(first.usage).toEqual({ promptTokens, completionTokens: 5, cachedTokens: 0 });
    expect(stub.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 64 });

    const followUp = await client.chat({ model: MODEL, messages: messages(document, 'And when was it replaced?'), maxTokens: 64 }, { onText: () => undefined });
    // The common prefix: everything up to the user's question, rounded down to vLLM's block of 16.
    const common = stub.tokenize(messages(document, 'x')).length - 5;
    expect(followUp.usage!.cachedTokens).toBe(Math.floor(common / 16) * 16);
    expect(followUp.usage!.cachedTokens).toBeGreaterThan(150);
  });

  it('says "length" when the answer ran into max_tokens', async () => {
    const { client } = await setUp({ reply: 'one two three four five six' });
    const result = await client.chat({ model: MODEL, messages: messages('d', 'q'), maxTokens: 3 }, { onText: () => undefined });
    expect(result).toMatchObject({ text: 'one two three ', finishReason: 'length' });
  });

  it.each(['flat', 'nested'] as const)('maps vLLM’s %s error bodies to REMOTE_* codes with the server’s message', async (errorShape) => {
    const { stub, client } = await setUp({ errorShape, maxModelLen: 100 });
    const wrongKey = new OpenAiClient({ baseUrl: stub.baseUrl, apiKey: 'wrong-key' });
    expect((await failure(wrongKey.models())).code).toBe('REMOTE_UNAUTHORIZED');

    const missing = await failure(client.chat({ model: 'meta/none', messages: messages('d', 'q'), maxTokens: 8 }, { onText: () => undefined }));
    expect(missing.code).toBe('REMOTE_MODEL_MISSING');
    expect(missing.message).toContain('The model `meta/none` does not exist.');

    const long = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ');
    const exceeded = await failure(client.chat({ model: MODEL, messages: messages(long, 'q'), maxTokens: 8 }, { onText: () => undefined }));
    expect(exceeded.code).toBe('REMOTE_CONTEXT_EXCEEDED');
    expect(exceeded.message).toContain("This model's maximum context length is 100 tokens");

    stub.faults.push({ kind: 'status', status: 500, message: 'CUDA out of memory on rank 3' });
    const crashed = await failure(client.chat({ model: MODEL, messages: messages('d', 'q'), maxTokens: 8 }, { onText: () => undefined }));
    expect(crashed.code).toBe('REMOTE_SERVER_ERROR');
    expect(crashed.message).toContain('CUDA out of memory on rank 3');

    stub.faults.push({ kind: 'stream-error', after: 2, message: 'engine dead: EngineCore died' });
    const pieces: string[] = [];
    const broken = await failure(client.chat({ model: MODEL, messages: messages('d', 'q'), maxTokens: 8 }, { onText: (p) => pieces.push(p) }));
    expect(broken.code).toBe('REMOTE_SERVER_ERROR');
    expect(broken.message).toContain('engine dead: EngineCore died');
    expect(pieces).toHaveLength(2);
  });

  it('reads OpenAI’s error codes where the message says otherwise', async () => {
    const answering = (status: number, body: unknown) =>
      new OpenAiClient({ baseUrl: 'https://api.example.org/v1', apiKey: KEY, fetch: async () => new Response(JSON.stringify(body), { status }) });
    const ask = (client: OpenAiClient) => client.chat({ model: 'm', messages: messages('d', 'q'), maxTokens: 8 }, { onText: () => undefined });
    expect((await failure(ask(answering(404, { error: { message: 'No deployment named m', type: 'invalid_request_error', code: 'model_not_found' } })))).code).toBe('REMOTE_MODEL_MISSING');
    expect((await failure(ask(answering(400, { error: { message: 'Prompt of 9000 tokens over the limit', code: 'context_length_exceeded' } })))).code).toBe('REMOTE_CONTEXT_EXCEEDED');
    const plain = await failure(ask(answering(502, '<html>Bad gateway</html>')));
    expect(plain).toMatchObject({ code: 'REMOTE_SERVER_ERROR' });
    expect(plain.message).toContain('(502)');
  });

  it('reads events whose CRLF is split between chunks, and cuts off a server that sends without end', async () => {
    const streaming = (pieces: string[]) =>
      new OpenAiClient({
        baseUrl: 'https://api.example.org/v1',
        apiKey: KEY,
        fetch: async () =>
          new Response(new ReadableStream({ start: (c) => (pieces.forEach((p) => c.enqueue(new TextEncoder().encode(p))), c.close()) }), { headers: { 'content-type': 'text/event-stream' } }),
      });
    const chunk = (content: string, finish: string | null = null) => JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] });
    const text: string[] = [];
    // One event in two data lines (joined by a line feed, as the SSE format says), its CRLF split by the chunking.
    const [head, tail] = [chunk('Ada ').slice(0, -1) + ',', '"usage":null}'];
    const result = await streaming([`data: ${head}\r`, `\ndata: ${tail}\r\n\r\ndata: ${chunk('Lind', 'stop')}\r\n`, '\r\ndata: [DONE]\r\n\r\n']).chat(
      { model: 'm', messages: messages('d', 'q'), maxTokens: 8 },
      { onText: (p) => text.push(p) },
    );
    expect(result).toMatchObject({ text: 'Ada Lind', finishReason: 'stop' });
    expect(text).toEqual(['Ada ', 'Lind']);
    const endless = await failure(streaming([`data: ${'x'.repeat(5 * 2 ** 20)}`]).chat({ model: 'm', messages: messages('d', 'q'), maxTokens: 8 }, { onText: () => undefined }));
    expect(endless.code).toBe('REMOTE_SERVER_ERROR');
    expect(endless.message).toMatch(/larger than 4 MB/);
  });

  it('retries the model list after 503 and a reset, but never sends a chat twice', async () => {
    const { stub, client } = await setUp();
    stub.faults.push({ kind: 'status', status: 503 }, { kind: 'reset' });
    expect(await client.models()).toHaveLength(1);
    expect(stub.requests.filter((r) => r.path === '/v1/models')).toHaveLength(3);

    stub.faults.push({ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const exhausted = await failure(client.models(true));
    expect(exhausted.code).toBe('REMOTE_SERVER_ERROR');
    expect(exhausted.message).toMatch(/after retries/);

    stub.faults.splice(0);
    stub.faults.push({ kind: 'reset' });
    const before = stub.requests.length;
    const reset = await failure(client.chat({ model: MODEL, messages: messages('d', 'q'), maxTokens: 8 }, { onText: () => undefined }));
    expect(reset.code).toBe('REMOTE_UNREACHABLE');
    expect(reset.message).toMatch(/connection was dropped|closed/);
    expect(stub.requests.length - before).toBe(1);
  });

  it('times out a server that goes silent, and one that never answers', async () => {
    const { stub, client } = await setUp({ prefillDelayMs: 1_000 }, { idleTimeoutMs: 200, connectTimeoutMs: 200 });
    const slow = await failure(client.chat({ model: MODEL, messages: messages('d', 'q'), maxTokens: 8 }, { onText: () => undefined }));
    expect(slow.code).toBe('REMOTE_TIMEOUT');
    await expect.poll(() => stub.requests.at(-1)!.aborted).toBe(true);
    stub.faults.push({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    const started = Date.now();
    expect((await failure(client.models())).code).toBe('REMOTE_TIMEOUT');
    // A timeout is not retried: the server is there but too slow, and the user waits only once.
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('cancelling during the prefill rejects CANCELLED and the server sees the request aborted', async () => {
    const { stub, client } = await setUp({ prefillDelayMs: 5_000 });
    const controller = new AbortController();
    const asked = client.chat({ model: MODEL, messages: messages('d', 'q'), maxTokens: 8, signal: controller.signal }, { onText: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    expect((await failure(asked)).code).toBe('CANCELLED');
    await expect.poll(() => stub.requests.at(-1)!.aborted).toBe(true);
  });

  it('cancelling a /tokenize rejects CANCELLED at once and closes the request', async () => {
    const { stub, client } = await setUp({});
    stub.faults.push({ kind: 'hang' });
    const controller = new AbortController();
    const counting = client.tokenizeChat(MODEL, messages('d', 'q'), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    expect((await failure(counting)).code).toBe('CANCELLED');
    await expect.poll(() => stub.requests.at(-1)!.aborted).toBe(true);
    expect(stub.requests.at(-1)!.path).toBe('/tokenize');
  });

  it('names a refused connection and an unknown host in words', async () => {
    const free = createNetServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const { port } = free.address() as AddressInfo;
    await new Promise((resolve) => free.close(resolve));
    const refused = await failure(new OpenAiClient({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY, retryDelaysMs: [] }).models());
    expect(refused).toMatchObject({ code: 'REMOTE_UNREACHABLE' });
    expect(refused.message).toContain('connection refused');
    expect(refused.message).not.toMatch(/ECONNREFUSED/);
    const unknown = await failure(new OpenAiClient({ baseUrl: 'https://no-such-host.invalid/v1', apiKey: KEY, retryDelaysMs: [] }).models());
    expect(unknown.code).toBe('REMOTE_UNREACHABLE');
    expect(unknown.message).not.toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('refuses a self-signed certificate with REMOTE_TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quire-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    let served = 0;
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      served++;
      res.end('{"data":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const error = await failure(new OpenAiClient({ baseUrl: `https://127.0.0.1:${port}/v1`, apiKey: KEY, retryDelaysMs: [] }).models());
      expect(error.code).toBe('REMOTE_TLS');
      expect(error.message).toMatch(/certificate/);
      expect(served).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
