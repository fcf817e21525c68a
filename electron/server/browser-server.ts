import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../common/csp.ts';
import { nestsWithin } from '../common/json-bounds.ts';
import { decodeWire, encodeWire, MAX_FRAME_BYTES, MAX_FRAME_DEPTH, UPLOAD_PATH, type WireMessage } from '../common/wire.ts';
import type { EventBus } from '../node/events.ts';
import { loopbackHost, loopbackOrigin, sameSecret } from '../node/loopback.ts';
import type { Router } from '../node/router.ts';
import { mimeType, resolveAsset } from '../node/static-assets.ts';
import { Uploads } from './uploads.ts';

export const RPC_PATH = '/rpc';
// Tells a page whether its token still opens this server (204) or belongs to an earlier run (403), so a
// page that lost its connection can say which; the token travels in a header, never in a URL.
export const SESSION_PATH = '/session';
export const TOKEN_HEADER = 'x-quire-token';

export interface BrowserServerOptions {
  port: number;
  staticDir: string;
  router: Router;
  bus: EventBus;
}

export interface BrowserServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

// Serves the UI and its services on loopback only. Every WebSocket must present the per-run token (given to
// the user in the URL fragment, so it never reaches logs or Referer headers) and come from this very origin,
// (at either loopback name), so neither another local user's process without the token nor a web page in the
// user's browser can drive it.
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = randomBytes(24).toString('base64url');
  const uploads = new Uploads();
  const http = createServer((req, res) => {
    if (!loopbackHost(req.headers.host, port)) {
      res.writeHead(421, { 'Content-Type': 'text/plain', Connection: 'close' }).end('misdirected request');
      return;
    }
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const header = req.headers[TOKEN_HEADER];
    const tokened = sameSecret(typeof header === 'string' ? header : null, token);
    if (pathname === SESSION_PATH) {
      res.writeHead(tokened ? 204 : 403, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    if (pathname === UPLOAD_PATH) {
      // The token, and a page of this server when a browser sends it (a tool with the token sends no Origin).
      if (!tokened || (req.headers.origin !== undefined && !loopbackOrigin(req.headers.origin, port))) {
        res.writeHead(403, { Connection: 'close' }).end();
        req.resume();
        return;
      }
      return uploads.receive(req, res);
    }
    void serveStatic(options.staticDir, req, res);
  });
  // A larger frame is refused (close 1009) from its header, before ws buffers any of it.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  let port = 0;

  http.on('upgrade', (req, socket, head) => {
    // Node hands the raw socket over without an error listener: a peer that resets it (ECONNRESET) would
    // otherwise raise an unhandled 'error' and end the whole server. Errors here concern that peer only.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (
      url.pathname !== RPC_PATH ||
      !loopbackHost(req.headers.host, port) ||
      !loopbackOrigin(req.headers.origin, port) ||
      !sameSecret(url.searchParams.get('token'), token)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, options, uploads));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        uploads.clear();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

function attach(ws: WebSocket, { router, bus }: BrowserServerOptions, uploads: Uploads): void {
  // ws reports protocol violations (bad UTF-8, unmasked or oversize frames, reserved bits and opcodes) and
  // socket resets as 'error' on this object; unheard, that event would end the process. It has already sent
  // the close code the violation calls for, so dropping this one connection is all there is to do.
  ws.on('error', () => ws.terminate());
  const send = (text: string) => {
    if (ws.readyState === ws.OPEN) ws.send(text);
  };
  const unsubscribe = bus.subscribe((name, payload) => send(encodeWire({ t: 'event', name, payload })));
  ws.on('close', unsubscribe);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'text frames only');
    const bytes = data as Buffer;
    if (!nestsWithin(bytes, MAX_FRAME_DEPTH)) return ws.close(1008, 'message nests too deeply');
    let message: unknown;
    try {
      message = decodeWire(bytes.toString(), (id) => uploads.take(id));
    } catch {
      return ws.close(1007, 'malformed message');
    }
    // Any JSON value can arrive (`null`, a number, a call whose id is an object): check the shape first.
    if (!isCall(message)) return ws.close(1008, 'unexpected message');
    const { id } = message;
    // The router answers every call with an outcome and never throws; the catch is for a failure in
    // encoding the answer, which must cost this one call, not the server.
    void router(message.name, message.payload)
      .then((outcome) => send(encodeWire({ t: 'result', id, outcome })))
      .catch(() => send(encodeWire({ t: 'result', id, outcome: { ok: false, error: { code: 'INTERNAL', message: 'the answer could not be sent' } } })));
  });
}

function isCall(message: unknown): message is Extract<WireMessage, { t: 'call' }> {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return m.t === 'call' && Number.isSafeInteger(m.id) && typeof m.name === 'string';
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const file = resolveAsset(root, pathname);
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': mimeType(file), 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
}
