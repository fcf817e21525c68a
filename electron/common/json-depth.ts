// How deeply a JSON text nests, found in one pass over its bytes before anything is parsed. JSON.parse on
// `[[[[…` of a few megabytes holds the event loop for seconds and the heap for gigabytes, and nothing Quire
// accepts nests more than a few levels; a text that goes deeper is refused at the first byte past the limit,
// so refusing costs no more than reading that far. The guard takes the text in pieces, as it arrives.
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonDepthGuard {
  readonly limit: number;
  #depth = 0;
  #inString = false;
  #escaped = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  // False once the text so far nests deeper than the limit. Brackets inside strings do not count.
  feed(bytes: Uint8Array): boolean {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++depth > this.limit) {
          this.#depth = depth;
          return false;
        }
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return true;
  }
}

export function nestsWithin(bytes: Uint8Array, limit: number): boolean {
  return new JsonDepthGuard(limit).feed(bytes);
}
