// A bare WebSocket client of `quire serve`'s RPC, as the UI's transport speaks it (plain JSON calls,
// events collected as they arrive), for tests that drive the server without a browser.
import WebSocket from 'ws';
import { decodeWire, encodeCall, UPLOAD_PATH } from '../../electron/common/wire.ts';
import { TOKEN_HEADER } from '../../electron/server/browser-server.ts';
import type { ServeProcess } from './serve-process.ts';

export interface Outcome<T = any> {
  ok: boolean;
  value: T;
  error?: { code: string; message: string };
}

export class RpcClient {
  readonly events: { name: string; payload: any }[] = [];
  #ws: WebSocket;
  #next = 1;
  #waiting = new Map<number, (outcome: Outcome) => void>();
  #eventWaiters: { match: (name: string, payload: any) => boolean; resolve: (payload: any) => void }[] = [];

  #upload: (body: Uint8Array | Blob) => Promise<string>;

  private constructor(ws: WebSocket, server: ServeProcess) {
    this.#ws = ws;
    // Large byte arrays go beside the socket, as the UI's transport sends them.
    this.#upload = async (body) => {
      const response = await fetch(server.origin + UPLOAD_PATH, { method: 'POST', headers: { [TOKEN_HEADER]: server.token }, body: body as Uint8Array<ArrayBuffer> | Blob });
      if (!response.ok) throw new Error(`upload refused: ${response.status}`);
      return response.text();
    };
    ws.on('message', (data) => {
      const message = decodeWire(String(data));
      if (message.t === 'result') this.#waiting.get(message.id)?.(message.outcome as Outcome);
      if (message.t === 'event') {
        this.events.push({ name: message.name, payload: message.payload });
        for (const waiter of [...this.#eventWaiters]) {
          if (!waiter.match(message.name, message.payload)) continue;
          this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1);
          waiter.resolve(message.payload);
        }
      }
    });
  }

  static open(server: ServeProcess): Promise<RpcClient> {
    const ws = new WebSocket(`${server.origin.replace('http', 'ws')}/rpc?token=${server.token}`, { origin: server.origin });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RpcClient(ws, server)));
      ws.once('error', reject);
    });
  }

  async call<T = any>(name: string, payload: unknown = {}, timeoutMs = 10_000): Promise<Outcome<T>> {
    const id = this.#next++;
    const frame = await encodeCall({ id, name, payload }, this.#upload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.set(id, (outcome) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(outcome as Outcome<T>);
      });
      this.#ws.send(frame);
    });
  }

  // The next event `name` (from now on) whose payload passes `match`.
  nextEvent(name: string, match: (payload: any) => boolean = () => true, timeoutMs = 30_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} event in ${timeoutMs} ms`)), timeoutMs);
      this.#eventWaiters.push({
        match: (n, p) => n === name && match(p),
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  close(): void {
    this.#ws.close();
  }
}
