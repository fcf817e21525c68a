import type { CallOutcome } from './contract.ts';

// What the preload exposes as `window.quire`: two functions and nothing else. The renderer's typed client
// is built on top of it (renderer/src/api/ipc-transport.ts).
export interface QuireBridge {
  call(name: string, payload: unknown): Promise<CallOutcome>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}
