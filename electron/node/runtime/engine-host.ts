// The caller's side: starts the engine in its own process and turns the protocol into promises. Progress and
// streamed text arrive as callbacks while the promise is pending; cancel() aborts the running request.
import { fromEnvelope, QuireError } from '../../common/errors.ts';
import { entryPoints } from '../entry-points.ts';
import { forkProcess, type ServiceProcess } from '../service-process.ts';
import type { VerifyProgress } from '../../../models/verify-model.ts';
import type { AnswerPhase, AnswerResult, EngineReply, EngineRequest, EngineResults, PrefillProgress, TokenLogprob } from '../engine/engine-protocol.ts';

// The engine's process as the host sees it (service-process.ts: a forked child in plain Node, a utilityProcess in
// the desktop app).
export type EngineProcess = ServiceProcess<EngineRequest, EngineReply>;

export function forkEngineProcess(env: NodeJS.ProcessEnv = process.env): EngineProcess {
  return forkProcess<EngineRequest, EngineReply>(entryPoints.engineHost, { name: 'Quire engine', env });
}

type Method = keyof EngineResults;
type ParamsOf<M extends Method> = Extract<EngineRequest, { method: M }> extends { params: infer P } ? P : never;

export interface CallListeners {
  onProgress?: (p: PrefillProgress) => void;
  onText?: (text: string) => void;
  onLogprob?: (entry: TokenLogprob) => void;
  onWarning?: (message: string) => void;
  onPhase?: (phase: AnswerPhase) => void;
  onAnswer?: (result: AnswerResult) => void;
  // A load that verifies changed weights in full first.
  onVerify?: (progress: VerifyProgress) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  listeners: CallListeners;
}

export class EngineHost {
  private readonly child: EngineProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | null = null;

  constructor(child: EngineProcess = forkEngineProcess()) {
    this.child = child;
    this.child.onMessage((message) => this.receive(message));
    this.child.onExit((reason) => {
      this.exited = new QuireError('INTERNAL', `engine process exited (${reason})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  private receive(message: EngineReply): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if ('event' in message) {
      if (message.event === 'progress') pending.listeners.onProgress?.(message.data as PrefillProgress);
      else if (message.event === 'warning') pending.listeners.onWarning?.(message.data as string);
      else if (message.event === 'phase') pending.listeners.onPhase?.(message.data as AnswerPhase);
      else if (message.event === 'answer') pending.listeners.onAnswer?.(message.data as AnswerResult);
      else if (message.event === 'verify') pending.listeners.onVerify?.(message.data as VerifyProgress);
      else if (message.event === 'logprob') pending.listeners.onLogprob?.(message.data as TokenLogprob);
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

  // Another caller waits: the running answer, when it shares its turn, yields at its next chance.
  yield(): void {
    if (!this.exited) this.child.send({ id: 0, method: 'yield' } satisfies EngineRequest);
  }

  // The paused answer numbered `paused` will not be resumed.
  forget(paused: number): void {
    if (!this.exited) this.child.send({ id: 0, method: 'forget', paused } satisfies EngineRequest);
  }

  async close(): Promise<void> {
    if (!this.exited) await this.child.stop();
  }

  kill(): void {
    this.child.kill();
  }
}
