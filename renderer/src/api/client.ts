import { fromEnvelope } from '../../../electron/common/errors.ts';
import type { CallInput, CallName, CallOutcome, CallResult, EventName, EventPayload } from '../../../electron/common/contract.ts';

// A transport moves contract calls and events; the client on top gives them their types. The desktop app
// uses Electron IPC through the preload, the browser mode a WebSocket, component tests an in-memory fake.
export interface Transport {
  call(name: CallName, payload: unknown): Promise<CallOutcome>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}

export interface ApiClient {
  call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
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
  };
}
