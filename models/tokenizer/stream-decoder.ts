import type { Tokenizer } from './tokenizer.ts';

// Turns generated token ids into text as they arrive. A token can end in the middle of a UTF-8
// character (emoji and CJK are often split across tokens), so incomplete bytes are held back until the
// character completes instead of surfacing as U+FFFD.
export class StreamDecoder {
  #tokenizer: Tokenizer;
  #skipSpecial: boolean;
  #utf8 = new TextDecoder('utf-8');

  constructor(tokenizer: Tokenizer, options: { skipSpecial?: boolean } = {}) {
    this.#tokenizer = tokenizer;
    this.#skipSpecial = options.skipSpecial === true;
  }

  // Text completed by this token (possibly empty).
  push(id: number): string {
    if (this.#skipSpecial && this.#tokenizer.isSpecial(id)) return '';
    return this.#utf8.decode(this.#tokenizer.tokenBytes(id), { stream: true });
  }

  // End of stream: bytes still pending form an invalid sequence and come out as U+FFFD.
  flush(): string {
    return this.#utf8.decode();
  }
}
