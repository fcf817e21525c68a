// The OpenAI-compatible API in this process with a stand-in engine: a hostile body costs only its request.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEngine } from '../../../electron/node/api/api-engine.ts';
import { startApiServer, type ApiServer } from '../../../electron/node/api/openai-server.ts';
import { stallDuring } from '../stall.ts';

const KEY = 'test-key-0123456789';
let server: ApiServer;

beforeAll(async () => {
  // Only what /v1/models asks of an engine.
  const engine = { model: () => ({ id: 'tiny' }), context: () => 2048 } as unknown as ApiEngine;
  server = await startApiServer({ port: 0, key: KEY, engine });
});
afterAll(() => server?.close());

// Posts `body` and resolves with the status once the server answers (it may answer before all is sent).
function post(body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method: 'POST', path: '/v1/chat/completions', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function models(): Promise<void> {
  const response = await fetch(`${server.baseUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } });
  expect(response.status).toBe(200);
  await response.json();
}

describe('API request bodies', () => {
  // Before the nesting bound, 30 MB of `[` held /v1/models for 31 s.
  it('refuses a 30 MB body of nested arrays as it arrives; /v1/models is answered within 100 ms meanwhile', async () => {
    const body = Buffer.alloc(30 * 1024 * 1024, '[');
    let status = 0;
    const { before, during } = await stallDuring(models, async () => (status = await post(body)));
    expect(status).toBe(400);
    expect(during).toBeLessThan(before + 100);
  });

  // A wide body costs JSON.parse as much as a deep one: 16M items took 1.5 s of the event loop.
  it('refuses a 32 MB body listing 16M items as it arrives; /v1/models is answered within 100 ms meanwhile', async () => {
    const body = Buffer.from(`{"prompt":[${'1,'.repeat(16 * 1024 * 1024 - 8)}1]}`);
    let status = 0;
    const { before, during } = await stallDuring(models, async () => (status = await post(body)));
    expect(status).toBe(400);
    expect(during).toBeLessThan(before + 100);
  });

  it('says which limit a deep body passed', async () => {
    const response = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{"messages":' + '['.repeat(100) });
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/nests deeper than 64 levels/);
  });
});
