import type { Conversation } from '../../common/contract.ts';
import { isDiskFull } from '../../common/errors.ts';
import type { ConversationStore, NewMessage } from './conversations.ts';

// How often at most the growing answer is written while it streams: a crash loses at most this much of it.
export const WRITE_EVERY_MS = 1_000;

// One answer on its way into the database. The question (with an empty answer marked `streaming`) is stored
// by `begin` before the engine starts; an edited question or a regenerated answer replaces the old tail only
// at the new answer's first piece, so a failure before it keeps the old one. The first piece is written before
// it is shown, later ones at most WRITE_EVERY_MS after, each an UPDATE of the one answer row. Where the disk
// is full the answer stays in memory and is stored whole at its end (ChatService's unsaved answers).
export class AnswerDraft {
  #store: ConversationStore;
  #conversation: Conversation;
  #cutAt: string | null;
  #asked: NewMessage[];
  #began = false;
  // The stored rows (the question's first, where one was asked; the answer's last), once stored.
  #ids: string[] | null = null;
  #text = '';
  #written = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(store: ConversationStore, conversation: Conversation, cutAt: string | null, asked: NewMessage[]) {
    this.#store = store;
    this.#conversation = conversation;
    this.#cutAt = cutAt;
    this.#asked = asked;
  }

  // Stores the question and the empty answer; a full disk leaves them to the end, anything else is thrown.
  begin(): void {
    this.#began = true;
    try {
      const answer: NewMessage = { role: 'assistant', content: '', quotes: [], stats: null, status: 'streaming' };
      this.#ids = this.#store.replaceTail(this.#conversation.id, this.#cutAt, [...this.#asked, answer]).map((m) => m.id);
    } catch (error) {
      if (!isDiskFull(error)) throw error;
    }
  }

  add(piece: string): void {
    this.#text += piece;
    if (!this.#began) {
      try {
        this.begin();
      } catch {
        // Not stored as it streams; the store at the end tries again and reports what fails.
      }
    }
    if (!this.#ids || this.#timer) return;
    const wait = this.#written + WRITE_EVERY_MS - Date.now();
    if (wait <= 0) this.#write();
    else this.#timer = setTimeout(() => this.#write(), wait);
  }

  #write(): void {
    this.#timer = undefined;
    this.#written = Date.now();
    try {
      this.#store.writeAnswer(this.#ids!.at(-1)!, { content: this.#text, quotes: [], stats: null, status: 'streaming' });
    } catch {
      // The answer goes on; the write at its end reports what fails.
    }
  }

  // Stores the finished answer; false (the answer is then the caller's to keep) when the disk is full.
  finish(answer: NewMessage): boolean {
    clearTimeout(this.#timer);
    try {
      if (this.#ids) this.#store.writeAnswer(this.#ids.at(-1)!, answer);
      else this.#store.replaceTail(this.#conversation.id, this.#cutAt, [...this.#asked, answer]);
      return true;
    } catch (error) {
      if (isDiskFull(error)) return false;
      throw error;
    }
  }

  // What stores `answer` later, once there is room: the new tail and the message it replaces.
  pending(answer: NewMessage): { cutAt: string | null; messages: NewMessage[] } {
    return this.#ids ? { cutAt: this.#ids.at(-1)!, messages: [answer] } : { cutAt: this.#cutAt, messages: [...this.#asked, answer] };
  }

  // The engine failed or was stopped. Before any answer the conversation is put back as it was (the question
  // returns to the box); partway, the part shown is kept, marked failed with the engine's words.
  fail(error: Error): void {
    clearTimeout(this.#timer);
    if (!this.#ids) return;
    try {
      if (this.#text) this.#store.writeAnswer(this.#ids.at(-1)!, { content: this.#text, quotes: [], stats: null, status: 'failed', error: error.message });
      else this.#store.discard(this.#conversation.id, this.#ids, this.#conversation);
    } catch {
      // The engine's error is the one to report; a row left `streaming` reads as interrupted at the next start.
    }
  }
}
