// Which tokens keep the output a valid prefix of the format (json-grammar.ts), for a byte-level BPE
// vocabulary: the tokens' bytes are laid out as a trie once per tokenizer, and a step walks it from the current
// parse state, leaving a subtree as soon as its first bytes cannot continue — so a structural position (after
// '{' or ',') costs a few hundred nodes, not the vocabulary. States that accept the same byte strings share one
// walk through a per-request cache (the inside of a long string walks once). The end-of-sequence tokens are
// allowed exactly when the value is whole.
import type { Tokenizer } from '../../../models/tokenizer/tokenizer.ts';
import { advance, complete, stateKey, type JsonGrammar, type JsonState } from './json-grammar.ts';

// The vocabulary's byte strings as a trie: node i's edges are edgeByte/edgeChild[edgeStart[i] .. edgeStart[i+1]),
// the token it spells (or -1) tokenAt[i]. Node 0 is the root.
export interface TokenTrie {
  edgeStart: Int32Array;
  edgeByte: Uint8Array;
  edgeChild: Int32Array;
  tokenAt: Int32Array;
  // The longest token, in bytes.
  depth: number;
}

const tries = new WeakMap<Tokenizer, TokenTrie>();
// Distinct states kept per request; a schema's states repeat, so this is rarely reached.
const CACHE_LIMIT = 4096;

export function tokenTrie(tokenizer: Tokenizer): TokenTrie {
  let trie = tries.get(tokenizer);
  if (!trie) tries.set(tokenizer, (trie = buildTrie(tokenizer)));
  return trie;
}

function buildTrie(tokenizer: Tokenizer): TokenTrie {
  const children: Map<number, number>[] = [new Map()];
  const token: number[] = [-1];
  let depth = 0;
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    // Special tokens (the template's markers, end of sequence) are never part of the value's text.
    if (tokenizer.isSpecial(id)) continue;
    const bytes = tokenizer.tokenBytes(id);
    if (bytes.length === 0) continue;
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
  readonly #trie: TokenTrie;
  readonly #tokenizer: Tokenizer;
  readonly #eos: Int32Array;
  readonly #cache = new Map<string, Int32Array>();
  #state: JsonState;
  // Walks done and answered from the cache, for the bench.
  walks = 0;
  hits = 0;

  constructor(grammar: JsonGrammar, tokenizer: Tokenizer) {
    this.#trie = tokenTrie(tokenizer);
    this.#tokenizer = tokenizer;
    this.#eos = Int32Array.from(tokenizer.eosIds);
    this.#state = grammar.start();
  }

  // The tokens allowed next, ascending.
  allowed(): Int32Array {
    const key = stateKey(this.#state, this.#trie.depth);
    let ids = this.#cache.get(key);
    if (ids) {
      this.hits++;
      return ids;
    }
    this.walks++;
    ids = this.#walk(this.#state);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, ids);
    return ids;
  }

  // Moves past a token that allowed() offered.
  accept(token: number): void {
    if (this.#eos.includes(token)) return;
    let s: JsonState | null = this.#state;
    for (const b of this.#tokenizer.tokenBytes(token)) s = s && advance(s, b);
    if (!s) throw new Error(`token ${token} does not continue the format`);
    this.#state = s;
  }

  get complete(): boolean {
    return complete(this.#state);
  }

  #walk(start: JsonState): Int32Array {
    const { edgeStart, edgeByte, edgeChild, tokenAt } = this.#trie;
    const out: number[] = [];
    const nodes: number[] = [0];
    const states: JsonState[] = [start];
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
    if (complete(start)) out.push(...this.#eos);
    return Int32Array.from(out).sort();
  }
}
