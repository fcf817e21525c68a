// One engine process serves the app's questions, the self-check and the OpenAI-compatible API, so their work
// runs one at a time in arrival order (ModelRuntime owns the queue). A few may wait; beyond that a caller is
// told at once that the engine is busy (the API answers HTTP 429) rather than held for minutes behind long
// prompts. A waiting caller that goes away leaves the queue without ever reaching the engine.
import { QuireError } from '../../common/errors.ts';

// Callers that may wait behind the running one.
export const API_QUEUE_LIMIT = 4;

interface Waiter {
  start: () => void;
}

export class EngineQueue {
  readonly limit: number;
  #running = false;
  #waiting: Waiter[] = [];

  constructor(limit = API_QUEUE_LIMIT) {
    this.limit = limit;
  }

  async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    if (this.#running) await this.#wait(signal);
    else this.#running = true;
    try {
      if (signal.aborted) throw new QuireError('CANCELLED', 'the client went away before its turn');
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next.start();
      else this.#running = false;
    }
  }

  #wait(signal: AbortSignal): Promise<void> {
    if (this.#waiting.length >= this.limit) {
      throw new QuireError('BUSY', `the engine is busy with one request and ${this.#waiting.length} waiting; try again shortly`);
    }
    return new Promise((resolve, reject) => {
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
  }
}
