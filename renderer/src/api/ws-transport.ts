import type { CallOutcome, EventName } from '../../../electron/common/contract.ts';
import { decodeWire, encodeWire } from '../../../electron/common/wire.ts';
import type { Transport } from './client.ts';

const TOKEN_KEY = 'quire.token';

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

export function wsTransport(url: string): Transport {
  let nextId = 1;
  const pending = new Map<number, (outcome: CallOutcome) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const socket = new WebSocket(url);
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('connection to Quire failed')), { once: true });
  });
  socket.addEventListener('message', (event) => {
    const message = decodeWire(String(event.data));
    if (message.t === 'result') pending.get(message.id)?.(message.outcome as CallOutcome);
    else if (message.t === 'event') for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
  });
  socket.addEventListener('close', () => {
    for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'INTERNAL', message: 'connection to Quire closed' } });
    pending.clear();
  });
  return {
    async call(name, payload) {
      try {
        await opened;
      } catch (error) {
        return { ok: false, error: { code: 'INTERNAL', message: (error as Error).message } };
      }
      const id = nextId++;
      return new Promise<CallOutcome>((resolve) => {
        pending.set(id, (outcome) => {
          pending.delete(id);
          resolve(outcome);
        });
        socket.send(encodeWire({ t: 'call', id, name, payload }));
      });
    },
    on(event: EventName, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
}
