import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A small OpenAI-compatible server for ChatService's remote path: vLLM's model card (max_model_len), /tokenize
// with chat messages, streamed chat completions with usage and cached_tokens from a prefix cache of the last
// prompt, a prefill delay that a client can abort. Tokens are characters of a simple chat rendering.
export interface StubOptions {
  model: string;
  maxModelLen: number;
  // What the model answers to the last question.
  answer: (question: string) => string;
}

interface Message {
  role: string;
  content: string;
}

export interface RemoteStub {
  url: string;
  chats: { messages: Message[]; maxTokens: number; aborted: boolean }[];
  // Milliseconds the next requests wait before their first token (a long prefill).
  prefillMs: number;
  // The context the server reports for the model.
  maxModelLen: number;
  close(): Promise<void>;
}

const render = (messages: Message[]) => messages.map((m) => `<${m.role}>${m.content}</${m.role}>`).join('') + '<assistant>';
const tokens = (text: string) => Array.from(text, (c) => c.codePointAt(0)!);

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return JSON.parse(text) as Record<string, unknown>;
}

export async function startRemoteStub(options: StubOptions): Promise<RemoteStub> {
  let cached: number[] = [];
  const stub: RemoteStub = { url: '', chats: [], prefillMs: 0, maxModelLen: options.maxModelLen, close: async () => undefined };
  const server: Server = createServer(async (request, response) => {
    const json = (status: number, value: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (request.url === '/v1/models') return json(200, { object: 'list', data: [{ id: options.model, object: 'model', owned_by: 'vllm', max_model_len: stub.maxModelLen }] });
    const payload = await body(request);
    if (payload.model !== options.model) return json(404, { object: 'error', message: `The model \`${String(payload.model)}\` does not exist.`, type: 'NotFoundError', code: 404 });
    const messages = payload.messages as Message[];
    const ids = tokens(render(messages));
    if (request.url === '/tokenize') return json(200, { count: ids.length, max_model_len: stub.maxModelLen, tokens: ids });
    if (request.url !== '/v1/chat/completions') return json(404, { detail: 'Not Found' });
    const record = { messages, maxTokens: payload.max_tokens as number, aborted: false };
    stub.chats.push(record);
    response.on('close', () => {
      if (!response.writableEnded) record.aborted = true;
    });
    let hit = 0;
    while (hit < ids.length && hit < cached.length && ids[hit] === cached[hit]) hit++;
    await new Promise((resolve) => setTimeout(resolve, stub.prefillMs));
    if (record.aborted) return;
    cached = ids;
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (value: unknown) => response.write(`data: ${JSON.stringify(value)}\n\n`);
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: options.model };
    chunk({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const words = options.answer(messages.at(-1)!.content).split(/(?<= )/);
    for (const word of words) chunk({ ...base, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
    chunk({ ...base, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'stop' }] });
    chunk({ ...base, choices: [], usage: { prompt_tokens: ids.length, completion_tokens: words.length, total_tokens: ids.length + words.length, prompt_tokens_details: { cached_tokens: hit } } });
    response.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  stub.close = () => new Promise((resolve) => server.close(() => resolve()));
  return stub;
}
