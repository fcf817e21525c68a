import { events, type EventName, type EventPayload } from '../common/contract.ts';

type Listener = (name: EventName, payload: unknown) => void;

// Main→renderer events. Payloads are validated on emit so a transport only ever forwards contract shapes.
export class EventBus {
  #listeners = new Set<Listener>();

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const checked = events[name].parse(payload);
    for (const listener of this.#listeners) listener(name, checked);
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
