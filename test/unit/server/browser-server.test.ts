// The browser mode's server in this process, with a stand-in router: which pages may open its WebSocket.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWire, encodeWire } from '../../../electron/common/wire.ts';
import { EventBus } from '../../../electron/node/events.ts';
import { startBrowserServer, type BrowserServer } from '../../../electron/server/browser-server.ts';

let server: BrowserServer;
let token: string;

beforeAll(async () => {
  server = await startBrowserServer({
    port: 0,
    staticDir: mkdtempSync(join(tmpdir(), 'quire-static-')),
    router: async (name) => ({ ok: true, value: { echoed: name } }),
    bus: new EventBus(),
  });
  token = /token=(.+)$/.exec(server.url)![1];
});
afterAll(() => server?.close());

// Opens the RPC socket at `host` with page origin `origin`; resolves with the answer to one call, or the
// HTTP status the upgrade was refused with.
function callAs(host: string, origin: string): Promise<{ answer?: unknown; status?: number }> {
  const ws = new WebSocket(`ws://${host}/rpc?token=${token}`, { origin });
  return new Promise((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => resolve({ status: -1 }));
    ws.once('open', () => ws.send(encodeWire({ t: 'call', id: 1, name: 'app.info', payload: {} })));
    ws.once('message', (data) => {
      ws.close();
      resolve({ answer: decodeWire(String(data)) });
    });
  });
}

describe('browser-mode origins', () => {
  it('serves a page opened at http://localhost:PORT as it serves the printed 127.0.0.1 link', async () => {
    const port = server.port;
    for (const name of ['127.0.0.1', 'localhost']) {
      const { answer } = await callAs(`${name}:${port}`, `http://${name}:${port}`);
      expect(answer).toEqual({ t: 'result', id: 1, outcome: { ok: true, value: { echoed: 'app.info' } } });
    }
  });

  it('still refuses any other origin: another port, https, another name, none', async () => {
    const port = server.port;
    for (const origin of [`http://localhost:${port + 1}`, `https://localhost:${port}`, `http://evil.example:${port}`, `http://localhost.evil.example:${port}`, 'null']) {
      expect((await callAs(`localhost:${port}`, origin)).status, origin).toBe(403);
    }
  });
});
