import type { QuireBridge } from '../common/bridge.ts';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, isCallName, isEventName, type CallOutcome } from '../common/contract.ts';

interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

// The whole surface the page gets: `call` and `on`, limited to the names the contract declares. Listeners
// receive payloads only, never Electron's event object (which would hand the page the sender).
export function createBridge(ipc: IpcLike): QuireBridge {
  return Object.freeze({
    call(name: string, payload: unknown): Promise<CallOutcome> {
      if (!isCallName(name)) return Promise.resolve({ ok: false, error: { code: 'FORBIDDEN', message: `unknown call "${String(name).slice(0, 64)}"` } });
      return ipc.invoke(IPC_CALL_CHANNEL, name, payload) as Promise<CallOutcome>;
    },
    on(event: string, listener: (payload: unknown) => void): () => void {
      if (!isEventName(event) || typeof listener !== 'function') return () => undefined;
      const wrapped = (_event: unknown, name: unknown, payload: unknown) => {
        if (name === event) listener(payload);
      };
      ipc.on(IPC_EVENT_CHANNEL, wrapped as (event: unknown, ...args: unknown[]) => void);
      return () => void ipc.removeListener(IPC_EVENT_CHANNEL, wrapped as (event: unknown, ...args: unknown[]) => void);
    },
  });
}
