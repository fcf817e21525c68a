// The caller's side: starts the engine in its own process and turns the protocol into promises. Progress and
// streamed text arrive as callbacks while the promise is pending; cancel() aborts the running request.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fromEnvelope, QuireError } from '../../common/errors.ts';
import type { EngineReply, EngineRequest, EngineResults, PrefillProgress } from './engine-protocol.ts';

const HOST_SCRIPT = fileURLToPath(new URL('./engine-host-process.ts', import.meta.url));

type Method = keyof EngineResults;
type ParamsOf<M extends Method> = Extract<EngineRequest, { method: M }> extends { params: infer P } ? P : never;

export interface CallListeners {
  onProgress?: (p: PrefillProgress) => void;
  onText?: (text: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  listeners: CallListeners;
}

export class EngineHost {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | null = null;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.child = fork(HOST_SCRIPT, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message) => this.receive(message as EngineReply));
    this.child.on('exit', (code, signal) => {
      this.exited = new QuireError('INTERNAL', `engine process exited (${signal ?? code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  private receive(message: EngineReply): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('event' in message) {
      if (message.event === 'progress') pending.listeners.onProgress?.(message.data as PrefillProgress);
      else pending.listeners.onText?.(message.data as string);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(fromEnvelope(message.error));
  }

  call<M extends Method>(method: M, params: ParamsOf<M>, listeners: CallListeners = {}): Promise<EngineResults[M]> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, listeners });
      this.child.send({ id, method, params } as EngineRequest);
    });
  }

  cancel(): void {
    if (!this.exited) this.child.send({ id: 0, method: 'cancel' } satisfies EngineRequest);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await done;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
