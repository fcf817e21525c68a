import type { CallOutcome, EventName } from '../../../electron/common/contract.ts';
import { decodeWire, encodeCall, UPLOAD_PATH } from '../../../electron/common/wire.ts';
import type { ConnectionState, Transport } from './client.ts';

const TOKEN_KEY = 'quire.token';
// Same names as the server's (browser-server.ts), which the renderer may not import.
const SESSION_PATH = '/session';
const TOKEN_HEADER = 'X-Quire-Token';
// Reconnection attempts start this soon after a loss and back off to the maximum.
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 5_000;

// The browser mode's token arrives in the URL fragment once; it is kept for this tab only and removed from
// the address bar so it is not bookmarked or shared by accident.
export function takeToken(location: Location, storage: Storage, history: History): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match) {
    storage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return storage.getItem(TOKEN_KEY);
}

const failure = (code: string, message: string): CallOutcome => ({ ok: false, error: { code, message } });

// The connection's state, told to whoever watches it; a call made while connecting waits until it settles.
function connectionState(initial: ConnectionState) {
  let state = initial;
  const watchers = new Set<(state: ConnectionState) => void>();
  const waiters: (() => void)[] = [];
  return {
    get: () => state,
    set(next: ConnectionState) {
      if (next === state) return;
      state = next;
      for (const watch of watchers) watch(state);
      if (state !== 'connecting') for (const wake of waiters.splice(0)) wake();
    },
    settled: () => (state === 'connecting' ? new Promise<void>((wake) => waiters.push(wake)) : Promise.resolve()),
    watch(watch: (state: ConnectionState) => void) {
      watchers.add(watch);
      watch(state);
      return () => void watchers.delete(watch);
    },
  };
}

// The plain HTTP requests beside the socket, made with the same token.
function sessionRequests(token: string | null) {
  const headers = { [TOKEN_HEADER]: token ?? '' };
  return {
    // Whether the server is there and still takes this token.
    async checkSession(): Promise<'valid' | 'stale' | 'down'> {
      try {
        const response = await fetch(SESSION_PATH, { headers, cache: 'no-store' });
        return response.status === 204 ? 'valid' : response.status === 403 ? 'stale' : 'down';
      } catch {
        return 'down';
      }
    },
    // A document goes beside the socket (the server takes no frame large enough for one); the call names it.
    // A dropped file is the body as it is: the browser streams it from the disk, so the page never holds it.
    async upload(body: Uint8Array | Blob): Promise<string> {
      const response = await fetch(UPLOAD_PATH, { method: 'POST', headers, body: body as Uint8Array<ArrayBuffer> | Blob });
      if (!response.ok) throw new Error(`the file could not be sent to Quire (${response.status}: ${await response.text()})`);
      return response.text();
    },
  };
}

// A socket opened again after each loss, sooner at first and backing off to the maximum, for as long as `lost`
// says it is worth it.
function keptSocket(url: string, on: { open(): void; message(data: string): void; lost(): Promise<boolean> }) {
  let socket: WebSocket | null = null;
  let retry = RETRY_MS;
  const connect = () => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      retry = RETRY_MS;
      on.open();
    });
    ws.addEventListener('message', (event) => on.message(String(event.data)));
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      void on.lost().then((again) => {
        if (!again) return;
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, MAX_RETRY_MS);
      });
    });
  };
  return { connect, current: () => socket };
}

// A page without a token, or with one from an earlier run, says so instead of showing an empty app; a lost
// connection fails the calls in flight at once (nothing spins forever) and is retried until the server is
// back, or until it answers that this token is no longer valid.
export function wsTransport(host: string, token: string | null): Transport {
  let nextId = 1;
  const pending = new Map<number, (outcome: CallOutcome) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const state = connectionState(token ? 'connecting' : 'needs-link');
  const http = sessionRequests(token);
  const socket = keptSocket(`ws://${host}/rpc?token=${encodeURIComponent(token ?? '')}`, {
    open: () => state.set('open'),
    message(data) {
      const message = decodeWire(data);
      if (message.t === 'result') pending.get(message.id)?.(message.outcome as CallOutcome);
      else if (message.t === 'event') for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
    },
    async lost() {
      for (const resolve of pending.values()) resolve(failure('DISCONNECTED', 'the connection to Quire was lost'));
      pending.clear();
      if ((await http.checkSession()) === 'stale') {
        state.set('stale-link');
        return false;
      }
      state.set('lost');
      return true;
    },
  });
  if (token) socket.connect();

  return {
    async call(name, payload) {
      await state.settled();
      const ws = socket.current();
      if (state.get() === 'needs-link') return failure('FORBIDDEN', 'this page needs the link Quire printed when it started');
      if (state.get() === 'stale-link') return failure('FORBIDDEN', 'this link is from an earlier run of Quire; open the link it printed this time');
      if (state.get() !== 'open' || ws?.readyState !== WebSocket.OPEN) return failure('DISCONNECTED', 'Quire is not running; start it again and this page reconnects');
      const id = nextId++;
      let frame: string;
      try {
        frame = await encodeCall({ id, name, payload }, http.upload);
      } catch (error) {
        return failure('DISCONNECTED', (error as Error).message);
      }
      if (ws.readyState !== WebSocket.OPEN) return failure('DISCONNECTED', 'the connection to Quire was lost');
      return new Promise<CallOutcome>((resolve) => {
        pending.set(id, (outcome) => {
          pending.delete(id);
          resolve(outcome);
        });
        ws.send(frame);
      });
    },
    on(event: EventName, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
    connection: state.watch,
  };
}
