// Byte-pair merging of one pre-token, in Hugging Face's order: always the lowest-ranked merge first,
// leftmost on ties. A lazy min-heap keeps long pre-tokens (whitespace runs, base64 blobs) O(n log n).

// Heap keys pack (rank, position) into one double so comparisons are plain number comparisons.
const POS_SPAN = 2 ** 32;

export interface MergeTable {
  // Rank of merging left then right, or -1 where the pair never merges.
  rank(left: number, right: number): number;
  // Token id produced by the merge of the given rank.
  result(rank: number): number;
}

export function mergeSymbols(symbols: number[], merges: MergeTable): number[] {
  const n = symbols.length;
  if (n < 2) return symbols;
  const id = Int32Array.from(symbols);
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  const heap: number[] = [];
  const consider = (i: number) => {
    if (i < 0 || next[i] < 0) return;
    const r = merges.rank(id[i], id[next[i]]);
    if (r >= 0) heapPush(heap, r * POS_SPAN + i);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (heap.length > 0) {
    const key = heapPop(heap);
    const r = Math.floor(key / POS_SPAN);
    const i = key - r * POS_SPAN;
    const j = next[i];
    // Stale entries: the left symbol was absorbed (prev = -2) or its pair changed since it was queued.
    if (prev[i] === -2 || j < 0 || merges.rank(id[i], id[j]) !== r) continue;
    id[i] = merges.result(r);
    next[i] = next[j];
    if (next[j] >= 0) prev[next[j]] = i;
    prev[j] = -2;
    consider(prev[i]);
    consider(i);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(id[i]);
  return out;
}

// Open-addressing hash of (left, right) token pairs to merge ranks: Map keys past 2^31 would be heap
// numbers, which made building Llama-3's 280K merges the slowest part of loading.
export class PairRanks {
  #left: Int32Array;
  #right: Int32Array;
  #rank: Int32Array;
  #mask: number;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#left = new Int32Array(size).fill(-1);
    this.#right = new Int32Array(size);
    this.#rank = new Int32Array(size);
    this.#mask = size - 1;
  }

  #slot(left: number, right: number): number {
    let h = Math.imul(left, 0x9e3779b1) ^ right;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    let i = (h ^ (h >>> 13)) & this.#mask;
    while (this.#left[i] !== -1 && (this.#left[i] !== left || this.#right[i] !== right)) i = (i + 1) & this.#mask;
    return i;
  }

  // Keeps the first (lowest) rank when a pair is listed twice.
  add(left: number, right: number, rank: number): void {
    const i = this.#slot(left, right);
    if (this.#left[i] !== -1) return;
    this.#left[i] = left;
    this.#right[i] = right;
    this.#rank[i] = rank;
  }

  get(left: number, right: number): number {
    const i = this.#slot(left, right);
    return this.#left[i] === -1 ? -1 : this.#rank[i];
  }
}

function heapPush(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= value) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop() as number;
  const n = heap.length;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap[child + 1] < heap[child]) child++;
    if (heap[child] >= last) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = last;
  return top;
}
