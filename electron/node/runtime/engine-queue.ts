// One engine process serves the app's questions, the self-check and the OpenAI-compatible API, so their work
// runs one at a time (ModelRuntime owns the queue). Turns go in arrival order, and a caller that may share its
// turn (an answer, ModelRuntime.answer) hears when another starts waiting and can pass: it goes to the back of
// the line and continues when its turn comes round again, so a short request does not wait for a long answer
// to end, and the long one waits at most one turn of each caller ahead of it. A few may wait; beyond that a
// caller is told at once that the engine is busy (the API answers HTTP 429) rather than held for minutes. A
// waiting caller that goes away leaves the queue without ever reaching the engine.
import { QuireError } from '../../common/errors.ts';

// Callers that may wait behind the running one.
export const API_QUEUE_LIMIT = 4;

interface Waiter {
  start: () => void;
}

// The running caller's hold on the engine.
export interface Turn {
  // Calls `listener` once as soon as another caller waits (at once when one does already); returns a function
  // that stops listening.
  onContested(listener: () => void): () => void;
  // Gives the engine to the caller that has waited longest and resolves when this caller's turn comes round
  // again (at the back of the line; it is never refused for a full queue, it was admitted). Rejects (CANCELLED)
  // when the caller goes away meanwhile. With nobody waiting it resolves at once.
  pass(): Promise<void>;
}

export class EngineQueue {
  readonly limit: number;
  #running = false;
  #waiting: Waiter[] = [];
  #contested = new Set<() => void>();

  constructor(limit = API_QUEUE_LIMIT) {
    this.limit = limit;
  }

  async run<T>(signal: AbortSignal, task: (turn: Turn) => Promise<T>): Promise<T> {
    if (this.#running) await this.#wait(signal, false);
    else this.#running = true;
    // False while this caller has passed its turn and waits for it again.
    let holding = true;
    const turn: Turn = {
      onContested: (listener) => {
        if (this.#waiting.length > 0) {
          listener();
          return () => undefined;
        }
        this.#contested.add(listener);
        return () => this.#contested.delete(listener);
      },
      pass: async () => {
        if (this.#waiting.length === 0) return;
        this.#contested.clear();
        const back = this.#wait(signal, true);
        holding = false;
        this.#next();
        await back;
        holding = true;
      },
    };
    try {
      if (signal.aborted) throw new QuireError('CANCELLED', 'the client went away before its turn');
      return await task(turn);
    } finally {
      this.#contested.clear();
      if (holding) this.#next();
    }
  }

  #next(): void {
    this.#contested.clear();
    const next = this.#waiting.shift();
    if (next) next.start();
    else this.#running = false;
  }

  #wait(signal: AbortSignal, admitted: boolean): Promise<void> {
    if (!admitted && this.#waiting.length >= this.limit) {
      throw new QuireError('BUSY', `the engine is busy with one request and ${this.#waiting.length} waiting; try again shortly`);
    }
    if (signal.aborted) return Promise.reject(new QuireError('CANCELLED', 'the client went away while waiting'));
    const promise = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal.removeEventListener('abort', leave);
          resolve();
        },
      };
      const leave = () => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        reject(new QuireError('CANCELLED', 'the client went away while waiting'));
      };
      signal.addEventListener('abort', leave, { once: true });
      this.#waiting.push(waiter);
    });
    for (const listener of this.#contested) listener();
    this.#contested.clear();
    return promise;
  }
}
