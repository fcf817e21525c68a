import { fromEnvelope } from '../../../electron/common/errors.ts';
import type { CallInput, CallName, CallOutcome, CallResult, EventName, EventPayload } from '../../../electron/common/contract.ts';

// A transport moves contract calls and events; the client on top gives them their types. The desktop app
// uses Electron IPC through the preload, the browser mode a WebSocket, component tests an in-memory fake.
export interface Transport {
  call(name: CallName, payload: unknown): Promise<CallOutcome>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  // Transports that can lose their server (the browser mode) report it; the others are always open.
  connection?(watch: (state: ConnectionState) => void): () => void;
}

// `needs-link`: no token (a bookmark, a new tab); `stale-link`: a token of an earlier run; `lost`: the server
// stopped answering and is being retried.
export type ConnectionState = 'connecting' | 'open' | 'lost' | 'needs-link' | 'stale-link';

export interface ApiClient {
  call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  connection(watch: (state: ConnectionState) => void): () => void;
}

export function createClient(transport: Transport): ApiClient {
  return {
    async call(name, input) {
      const outcome = await transport.call(name, input);
      if (!outcome.ok) throw fromEnvelope(outcome.error as Parameters<typeof fromEnvelope>[0]);
      return outcome.value as never;
    },
    on(event, listener) {
      return transport.on(event, listener as (payload: unknown) => void);
    },
    connection(watch) {
      if (transport.connection) return transport.connection(watch);
      watch('open');
      return () => undefined;
    },
  };
}
