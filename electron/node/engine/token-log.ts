// The tokens whose keys and values the cache holds, in order. Kept in an Int32Array (grown by doubling up to the
// context) rather than a JS array: at a million tokens, building a prompt from the held prefix was a slice and a
// regrowth of a million-element array on every follow-up (~0.1–0.3 s); on typed arrays it is a 4 MB copy.
export type TokenIds = Int32Array | readonly number[];

const FIRST_CAPACITY = 4096;

export function commonLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

export class TokenLog {
  #ids = new Int32Array(FIRST_CAPACITY);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  // The first `end` tokens, without a copy: valid until the log next changes.
  view(end = this.#length): Int32Array {
    return this.#ids.subarray(0, end);
  }

  at(index: number): number {
    return this.#ids[index];
  }

  append(ids: ArrayLike<number>): void {
    this.#reserve(this.#length + ids.length);
    this.#ids.set(ids, this.#length);
    this.#length += ids.length;
  }

  truncate(length: number): void {
    this.#length = length;
  }

  replace(ids: ArrayLike<number>): void {
    this.#length = 0;
    this.append(ids);
  }

  #reserve(length: number): void {
    if (length <= this.#ids.length) return;
    const grown = new Int32Array(Math.max(length, 2 * this.#ids.length));
    grown.set(this.view());
    this.#ids = grown;
  }
}
