// Which tokens keep the output a valid prefix of the format (json-grammar.ts), for a byte-level BPE
// vocabulary: the tokens' bytes are laid out as a trie once per tokenizer, and a step walks it from the current
// parse state, leaving a subtree as soon as its first bytes cannot continue — so a structural position (after
// '{' or ',') costs a few hundred nodes, not the vocabulary. Inside a string, where nearly every token fits, the
// "plain" tokens (whole characters, no quote, backslash or control character) are taken by their character
// count from a list sorted by it, and only the rest are walked. States that accept the same byte strings share
// one answer through a per-request cache. The end-of-sequence tokens are allowed exactly when the value is whole.
import { QuireError } from '../../common/errors.ts';
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { advance, complete, stateKey, stringRoom, type JsonGrammar, type JsonState } from './json-grammar.ts';

// Byte strings as a trie: node i's edges are edgeByte/edgeChild[edgeStart[i] .. edgeStart[i+1]), the token it
// spells (or -1) tokenAt[i]. Node 0 is the root.
interface TokenTrie {
  edgeStart: Int32Array;
  edgeByte: Uint8Array;
  edgeChild: Int32Array;
  tokenAt: Int32Array;
  // The longest token, in bytes.
  depth: number;
}

// What a tokenizer's vocabulary looks like to the mask, built once per tokenizer.
export interface MaskVocabulary {
  // Every token that can be part of the value's text (no special tokens).
  all: TokenTrie;
  // The tokens that are not plain string text.
  other: TokenTrie;
  // The plain tokens, fewest characters first, and how many have at most c characters (c ≤ longest).
  plain: Int32Array;
  plainUpTo: Int32Array;
}

const vocabularies = new WeakMap<Tokenizer, MaskVocabulary>();
// Distinct states kept per request; a schema's states repeat, so this is rarely reached.
const CACHE_LIMIT = 4096;

export function maskVocabulary(tokenizer: Tokenizer): MaskVocabulary {
  let vocabulary = vocabularies.get(tokenizer);
  if (!vocabulary) vocabularies.set(tokenizer, (vocabulary = buildVocabulary(tokenizer)));
  return vocabulary;
}

function buildVocabulary(tokenizer: Tokenizer): MaskVocabulary {
  const all: [number, Uint8Array][] = [];
  const other: [number, Uint8Array][] = [];
  const plain: [number, number][] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    // Special tokens (the template's markers, end of sequence) are never part of the value's text.
    if (tokenizer.isSpecial(id)) continue;
    const bytes = tokenizer.tokenBytes(id);
    if (bytes.length === 0) continue;
    all.push([id, bytes]);
    const chars = plainChars(bytes);
    if (chars === null) other.push([id, bytes]);
    else plain.push([id, chars]);
  }
  plain.sort((a, b) => a[1] - b[1]);
  const longest = plain.length ? plain[plain.length - 1][1] : 0;
  const plainUpTo = new Int32Array(longest + 1);
  for (const [, chars] of plain) plainUpTo[chars]++;
  for (let c = 1; c <= longest; c++) plainUpTo[c] += plainUpTo[c - 1];
  return { all: buildTrie(all), other: buildTrie(other), plain: Int32Array.from(plain, ([id]) => id), plainUpTo };
}

// The characters of a token that a string takes as they are from a character boundary: UTF-8 starting on a
// character (it may end inside one: the next token finishes it), with no quote, backslash or control
// character. Null for any other token.
function plainChars(bytes: Uint8Array): number | null {
  let chars = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x20 || b === 0x22 || b === 0x5c) return null;
    const tail = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (tail < 0) return null;
    for (let k = 1; k <= tail && i + k < bytes.length; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return null;
    chars++;
    i += tail + 1;
  }
  return chars;
}

function buildTrie(tokens: [number, Uint8Array][]): TokenTrie {
  const children: Map<number, number>[] = [new Map()];
  const token: number[] = [-1];
  let depth = 0;
  for (const [id, bytes] of tokens) {
    depth = Math.max(depth, bytes.length);
    let node = 0;
    for (const b of bytes) {
      let next = children[node].get(b);
      if (next === undefined) {
        next = children.length;
        children.push(new Map());
        token.push(-1);
        children[node].set(b, next);
      }
      node = next;
    }
    token[node] = id;
  }
  const edgeStart = new Int32Array(children.length + 1);
  for (let i = 0; i < children.length; i++) edgeStart[i + 1] = edgeStart[i] + children[i].size;
  const edgeByte = new Uint8Array(edgeStart[children.length]);
  const edgeChild = new Int32Array(edgeStart[children.length]);
  children.forEach((edges, i) => {
    let e = edgeStart[i];
    for (const [b, child] of edges) {
      edgeByte[e] = b;
      edgeChild[e++] = child;
    }
  });
  return { edgeStart, edgeByte, edgeChild, tokenAt: Int32Array.from(token), depth };
}

export class TokenMask {
  readonly #vocabulary: MaskVocabulary;
  readonly #tokenizer: Tokenizer;
  readonly #eos: readonly number[];
  readonly #cache = new Map<string, Int32Array>();
  #state: JsonState;
  // Steps answered by a walk and from the cache (for the bench).
  walks = 0;
  hits = 0;

  constructor(grammar: JsonGrammar, tokenizer: Tokenizer) {
    this.#vocabulary = maskVocabulary(tokenizer);
    this.#tokenizer = tokenizer;
    this.#eos = tokenizer.eosIds;
    this.#state = grammar.start();
  }

  // The tokens allowed next (in no particular order).
  allowed(): Int32Array {
    const { all, other, plain, plainUpTo } = this.#vocabulary;
    const room = stringRoom(this.#state);
    const longest = plainUpTo.length - 1;
    const key = room === null ? stateKey(this.#state, all.depth) : `${stateKey(this.#state, other.depth)}+${Math.min(room, longest)}`;
    let ids = this.#cache.get(key);
    if (ids) {
      this.hits++;
      return ids;
    }
    this.walks++;
    if (room === null) ids = this.#walk(all);
    else {
      const walked = this.#walk(other);
      const taken = room >= longest ? plain.length : plainUpTo[room];
      ids = new Int32Array(taken + walked.length);
      ids.set(plain.subarray(0, taken));
      ids.set(walked, taken);
    }
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, ids);
    return ids;
  }

  // Moves past a token that allowed() offered.
  accept(token: number): void {
    if (this.#eos.includes(token)) return;
    let s: JsonState | null = this.#state;
    for (const b of this.#tokenizer.tokenBytes(token)) s = s && advance(s, b);
    if (!s) throw new QuireError('INTERNAL', `token ${token} does not continue the answer's format`);
    this.#state = s;
  }

  get complete(): boolean {
    return complete(this.#state);
  }

  #walk(trie: TokenTrie): Int32Array {
    const { edgeStart, edgeByte, edgeChild, tokenAt } = trie;
    const out: number[] = [];
    const nodes: number[] = [0];
    const states: JsonState[] = [this.#state];
    while (nodes.length) {
      const node = nodes.pop()!;
      const state = states.pop()!;
      for (let e = edgeStart[node]; e < edgeStart[node + 1]; e++) {
        const next = advance(state, edgeByte[e]);
        if (!next) continue;
        const child = edgeChild[e];
        if (tokenAt[child] >= 0) out.push(tokenAt[child]);
        nodes.push(child);
        states.push(next);
      }
    }
    if (complete(this.#state)) out.push(...this.#eos);
    return Int32Array.from(out);
  }
}
