// How deeply a JSON text nests, found in one pass over its bytes before anything is parsed. JSON.parse on
// `[[[[…` of a few megabytes holds the event loop for seconds and the heap for gigabytes, and nothing Quire
// accepts nests more than a few levels; a text that goes deeper is refused at the first byte past the limit,
// so refusing costs no more than reading that far. The guard takes the text in pieces, as it arrives. It can
// also bound how many items the text lists (its commas outside strings), which bounds what a wide but shallow
// text (`[1,1,1,…]`) costs JSON.parse.
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

export class JsonBounds {
  readonly limit: number;
  readonly maxItems: number;
  // Which bound the text passed, once `feed` has answered false.
  exceeded: 'depth' | 'items' | null = null;
  #depth = 0;
  #items = 0;
  #inString = false;
  #escaped = false;

  constructor(limit: number, maxItems = Number.POSITIVE_INFINITY) {
    this.limit = limit;
    this.maxItems = maxItems;
  }

  // False once the text so far nests deeper than the limit or lists more items. Brackets and commas inside
  // strings do not count.
  feed(bytes: Uint8Array): boolean {
    if (this.exceeded) return false;
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
          this.exceeded = 'depth';
          return false;
        }
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
      else if (b === COMMA && ++this.#items > this.maxItems) {
        this.exceeded = 'items';
        return false;
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return true;
  }
}

export function nestsWithin(bytes: Uint8Array, limit: number): boolean {
  return new JsonBounds(limit).feed(bytes);
}
