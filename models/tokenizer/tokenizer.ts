import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuireError } from '../../electron/common/errors.ts';
import { BYTE_TO_CHAR, symbolsToBytes } from './byte-level.ts';
import { PairRanks, mergeSymbols, type MergeTable } from './bpe.ts';
import { compileSplitPattern, forEachPiece } from './pretokenizer.ts';

// Llama-3-family tokenizer from a Hugging Face tokenizer.json: added tokens split out first, the Split
// pre-tokenizer regex, byte-level symbols, BPE by merge rank (with ignore_merges: a pre-token that is
// itself a vocabulary entry is one token). Anything else (normalizers, other models) is refused rather
// than tokenized slightly wrong.

export interface EncodeOptions {
  // Prepend the BOS token. Off by default: rendered chat templates already start with it.
  addBos?: boolean;
  // Treat added-token text such as "<|eot_id|>" inside the input as that token (Hugging Face default).
  // Pass false for untrusted text, e.g. documents, so they cannot forge turn boundaries.
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  skipSpecial?: boolean;
}

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

export interface TokenizerJson {
  added_tokens?: AddedTokenJson[];
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  model: {
    type?: string;
    vocab: Record<string, number>;
    merges: (string | [string, string])[];
    ignore_merges?: boolean;
    byte_fallback?: boolean;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
  };
}

type TokenRef = string | { content: string } | null | undefined;

export interface TokenizerConfigJson {
  bos_token?: TokenRef;
  eos_token?: TokenRef;
  chat_template?: string | { name: string; template: string }[];
}

export interface GenerationConfigJson {
  bos_token_id?: number;
  eos_token_id?: number | number[];
}

// Pre-token cache, per encode call: cached keys are slices that would keep a whole book's text alive
// if the cache outlived the call. Bounded to stay far below Map's size limit on huge inputs.
const CACHE_LIMIT = 1 << 20;
type PieceCache = Map<string, number | number[]>;

const utf8 = new TextEncoder();

export class Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosIds: readonly number[];
  // Added tokens (all special in Llama-3) by content.
  readonly specialTokens: ReadonlyMap<string, number>;

  #vocab: Map<string, number>;
  #ignoreMerges: boolean;
  #split: RegExp;
  #specialSplit: RegExp | null;
  #byteId: Int32Array;
  #merges: MergeTable;
  #tokenBytes: Uint8Array;
  #tokenOffsets: Uint32Array;
  #isSpecial: Uint8Array;

  constructor(json: TokenizerJson, config: TokenizerConfigJson = {}, generation: GenerationConfigJson = {}) {
    const model = json.model;
    if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
      throw new QuireError('UNSUPPORTED_MODEL', 'tokenizer.json: only BPE models are supported');
    }
    if (model.byte_fallback || model.continuing_subword_prefix || model.end_of_word_suffix) {
      throw new QuireError('UNSUPPORTED_MODEL', 'tokenizer.json: only byte-level BPE (Llama-3 style) is supported');
    }
    if (json.normalizer) throw new QuireError('UNSUPPORTED_MODEL', 'tokenizer.json: normalizers are not supported');
    this.#split = compileSplitPattern(splitPatternOf(json.pre_tokenizer));
    this.#ignoreMerges = model.ignore_merges === true;

    this.#vocab = new Map(Object.entries(model.vocab));
    const added = json.added_tokens ?? [];
    let maxId = -1;
    for (const id of this.#vocab.values()) if (id > maxId) maxId = id;
    for (const token of added) if (token.id > maxId) maxId = token.id;
    this.vocabSize = maxId + 1;

    this.#byteId = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = this.#vocab.get(BYTE_TO_CHAR[b]);
      if (id === undefined) throw new QuireError('UNSUPPORTED_MODEL', `tokenizer.json: byte ${b} has no token`);
      this.#byteId[b] = id;
    }
    this.#merges = buildMergeTable(model.merges, this.#vocab);

    const specials = new Map<string, number>();
    for (const token of added) specials.set(token.content, token.id);
    this.specialTokens = specials;
    this.#specialSplit =
      specials.size === 0
        ? null
        : new RegExp(
            [...specials.keys()]
              .sort((a, b) => b.length - a.length)
              .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
              .join('|'),
            'g',
          );

    [this.#tokenBytes, this.#tokenOffsets] = buildTokenBytes(this.#vocab, added, this.vocabSize);
    this.#isSpecial = new Uint8Array(this.vocabSize);
    for (const token of added) this.#isSpecial[token.id] = 1;

    this.bosId = this.#resolve(config.bos_token) ?? generation.bos_token_id ?? null;
    const eos = new Set<number>();
    const configEos = this.#resolve(config.eos_token);
    if (configEos !== null) eos.add(configEos);
    const generationEos = generation.eos_token_id;
    for (const id of Array.isArray(generationEos) ? generationEos : generationEos === undefined ? [] : [generationEos]) {
      eos.add(id);
    }
    this.eosIds = [...eos];
  }

  // Id of a token by its text (special tokens by content, regular tokens by byte-level spelling).
  tokenId(content: string): number | undefined {
    return this.specialTokens.get(content) ?? this.#vocab.get(content);
  }

  isSpecial(id: number): boolean {
    return this.#isSpecial[id] === 1;
  }

  encode(text: string, options: EncodeOptions = {}): Uint32Array {
    const out = new OutputBuffer(Math.max(16, text.length >> 2));
    if (options.addBos) {
      if (this.bosId === null) throw new QuireError('INVALID_INPUT', 'this tokenizer has no BOS token');
      out.push(this.bosId);
    }
    const specials = options.parseSpecial === false ? null : this.#specialSplit;
    const cache: PieceCache = new Map();
    if (specials === null) {
      this.#encodeOrdinary(text, out, cache);
      return out.result();
    }
    specials.lastIndex = 0;
    let prev = 0;
    for (let m = specials.exec(text); m !== null; m = specials.exec(text)) {
      if (m.index > prev) this.#encodeOrdinary(text.slice(prev, m.index), out, cache);
      out.push(this.specialTokens.get(m[0]) as number);
      prev = m.index + m[0].length;
    }
    if (prev < text.length) this.#encodeOrdinary(prev === 0 ? text : text.slice(prev), out, cache);
    return out.result();
  }

  // Ordinary text (no special tokens parsed) encoded so that more text can follow later without encoding it
  // again: for any `more`, encode(text + more) equals ids[0, head) followed by encode(text.slice(cut) + more).
  // The cut is the start of the first pre-tokenizer piece ending within RESUME_MARGIN characters of the end:
  // pieces before it end far enough from the end that no continuation can change them (the split regex looks
  // ahead at most a character), and BPE never merges across pieces.
  encodeResumable(text: string): { ids: Uint32Array; head: number; cut: number } {
    const out = new OutputBuffer(Math.max(16, text.length >> 2));
    const cache: PieceCache = new Map();
    let offset = 0;
    let head = -1;
    let cut = text.length;
    forEachPiece(text, this.#split, (piece) => {
      if (head < 0 && offset + piece.length > text.length - RESUME_MARGIN) {
        head = out.length;
        cut = offset;
      }
      offset += piece.length;
      this.#encodePieceCached(piece, out, cache);
    });
    return { ids: out.result(), head: head < 0 ? out.length : head, cut };
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    return new TextDecoder().decode(this.decodeBytes(ids, options));
  }

  decodeBytes(ids: ArrayLike<number>, options: DecodeOptions = {}): Uint8Array {
    const skip = options.skipSpecial === true;
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = this.#checkId(ids[i]);
      if (!(skip && this.#isSpecial[id])) length += this.#tokenOffsets[id + 1] - this.#tokenOffsets[id];
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skip && this.#isSpecial[id]) continue;
      const start = this.#tokenOffsets[id];
      const end = this.#tokenOffsets[id + 1];
      bytes.set(this.#tokenBytes.subarray(start, end), at);
      at += end - start;
    }
    return bytes;
  }

  // The raw bytes of one token; a token may hold part of a UTF-8 character.
  tokenBytes(id: number): Uint8Array {
    this.#checkId(id);
    return this.#tokenBytes.subarray(this.#tokenOffsets[id], this.#tokenOffsets[id + 1]);
  }

  #checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new QuireError('INVALID_INPUT', `token id ${id} is outside the vocabulary`);
    }
    return id;
  }

  #resolve(ref: TokenRef): number | null {
    const content = typeof ref === 'string' ? ref : ref?.content;
    return content === undefined ? null : (this.tokenId(content) ?? null);
  }

  #encodeOrdinary(text: string, out: OutputBuffer, cache: PieceCache): void {
    forEachPiece(text, this.#split, (piece) => this.#encodePieceCached(piece, out, cache));
  }

  #encodePieceCached(piece: string, out: OutputBuffer, cache: PieceCache): void {
    const hit = cache.get(piece);
    if (hit === undefined) this.#encodePiece(piece, out, cache);
    else if (typeof hit === 'number') out.push(hit);
    else out.pushAll(hit);
  }

  #encodePiece(piece: string, out: OutputBuffer, cache: PieceCache): void {
    const bytes = utf8.encode(piece);
    let ids: number | number[] | undefined;
    if (this.#ignoreMerges) {
      let symbols = '';
      for (let i = 0; i < bytes.length; i++) symbols += BYTE_TO_CHAR[bytes[i]];
      ids = this.#vocab.get(symbols);
    }
    if (ids === undefined) {
      const symbols = new Array<number>(bytes.length);
      for (let i = 0; i < bytes.length; i++) symbols[i] = this.#byteId[bytes[i]];
      const merged = mergeSymbols(symbols, this.#merges);
      ids = merged.length === 1 ? merged[0] : merged;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(piece, ids);
    if (typeof ids === 'number') out.push(ids);
    else out.pushAll(ids);
  }
}

// The Split regex of a Llama-3-style pre-tokenizer (Split, then ByteLevel); refuses any other shape.
export function splitPatternOf(preTokenizer: unknown): string {
  const steps = (preTokenizer as { type?: string; pretokenizers?: unknown[] } | null)?.pretokenizers;
  const [split, byteLevel] = (Array.isArray(steps) ? steps : []) as Record<string, unknown>[];
  const pattern = (split?.pattern as { Regex?: unknown } | undefined)?.Regex;
  if (
    steps?.length !== 2 ||
    split.type !== 'Split' ||
    split.behavior !== 'Isolated' ||
    split.invert === true ||
    typeof pattern !== 'string' ||
    byteLevel.type !== 'ByteLevel' ||
    byteLevel.use_regex === true ||
    byteLevel.add_prefix_space === true
  ) {
    throw new QuireError('UNSUPPORTED_MODEL', 'tokenizer.json: expected the Llama-3 pre-tokenizer (Split regex, then ByteLevel)');
  }
  return pattern;
}

function buildMergeTable(merges: (string | [string, string])[], vocab: Map<string, number>): MergeTable {
  const ranks = new PairRanks(merges.length);
  const results = new Int32Array(merges.length);
  for (let rank = 0; rank < merges.length; rank++) {
    const merge = merges[rank];
    const [left, right] = typeof merge === 'string' ? merge.split(' ') : merge;
    const a = vocab.get(left);
    const b = vocab.get(right);
    const c = vocab.get(left + right);
    if (a === undefined || b === undefined || c === undefined) {
      throw new QuireError('UNSUPPORTED_MODEL', `tokenizer.json: merge ${rank} uses tokens missing from the vocabulary`);
    }
    ranks.add(a, b, rank);
    results[rank] = c;
  }
  return { rank: (left, right) => ranks.get(left, right), result: (rank) => results[rank] };
}

function buildTokenBytes(
  vocab: Map<string, number>,
  added: AddedTokenJson[],
  vocabSize: number,
): [Uint8Array, Uint32Array] {
  const perId = new Array<Uint8Array | undefined>(vocabSize);
  for (const [symbols, id] of vocab) perId[id] = symbolsToBytes(symbols) ?? utf8.encode(symbols);
  for (const token of added) perId[token.id] = utf8.encode(token.content);
  const offsets = new Uint32Array(vocabSize + 1);
  for (let id = 0; id < vocabSize; id++) offsets[id + 1] = offsets[id] + (perId[id]?.length ?? 0);
  const bytes = new Uint8Array(offsets[vocabSize]);
  for (let id = 0; id < vocabSize; id++) {
    const b = perId[id];
    if (b) bytes.set(b, offsets[id]);
  }
  return [bytes, offsets];
}

// Characters before the end of a resumable encode that no piece kept in its head may reach (encodeResumable).
export const RESUME_MARGIN = 16;

class OutputBuffer {
  #ids: Uint32Array;
  #length = 0;
  get length(): number {
    return this.#length;
  }
  constructor(capacity: number) {
    this.#ids = new Uint32Array(capacity);
  }
  push(id: number): void {
    if (this.#length === this.#ids.length) this.#grow(1);
    this.#ids[this.#length++] = id;
  }
  pushAll(ids: number[]): void {
    if (this.#length + ids.length > this.#ids.length) this.#grow(ids.length);
    for (let i = 0; i < ids.length; i++) this.#ids[this.#length++] = ids[i];
  }
  result(): Uint32Array {
    return this.#ids.slice(0, this.#length);
  }
  #grow(extra: number): void {
    const bigger = new Uint32Array(Math.max(this.#ids.length * 2, this.#length + extra));
    bigger.set(this.#ids);
    this.#ids = bigger;
  }
}

// A folder that exists but holds a missing, unparsable or shapeless tokenizer file is a damaged model
// (MODEL_CORRUPT, one line, to be repaired by installing or converting it again); a tokenizer of another kind
// is UNSUPPORTED_MODEL; a folder that is not there at all is NOT_FOUND.
// `remedy` ends a MODEL_CORRUPT message with what the user can do about it (a source checkpoint is
// downloaded again rather than converted again).
export async function loadTokenizer(dir: string, remedy = 'install or convert the model again'): Promise<Tokenizer> {
  const json = await readJson<TokenizerJson>(dir, 'tokenizer.json', true, remedy);
  const config = (await readJson<TokenizerConfigJson>(dir, 'tokenizer_config.json', false, remedy)) ?? {};
  const generation = (await readJson<GenerationConfigJson>(dir, 'generation_config.json', false, remedy)) ?? {};
  const model = (json as { model?: unknown } | null)?.model as Partial<TokenizerJson['model']> | undefined;
  const objectOf = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!objectOf(json) || !objectOf(model) || (model!.type === 'BPE' && (!objectOf(model!.vocab) || !Array.isArray(model!.merges)))) {
    throw new QuireError('MODEL_CORRUPT', `${join(dir, 'tokenizer.json')} holds no tokenizer model (vocabulary and merges); ${remedy}`);
  }
  if (!objectOf(config)) throw new QuireError('MODEL_CORRUPT', `${join(dir, 'tokenizer_config.json')} is not a JSON object; ${remedy}`);
  return new Tokenizer(json as TokenizerJson, config as TokenizerConfigJson, objectOf(generation) ? (generation as GenerationConfigJson) : {});
}

async function readJson<T>(dir: string, name: string, required: boolean, remedy: string): Promise<T | null> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return null;
    if (code === 'ENOENT' && existsSync(dir)) throw new QuireError('MODEL_CORRUPT', `${dir} has no ${name}; ${remedy}`);
    throw new QuireError('NOT_FOUND', `cannot read ${path}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // The parser's message quotes the file's bytes, which may be anything: the path says enough.
    throw new QuireError('MODEL_CORRUPT', `${path} is not valid JSON; ${remedy}`);
  }
}
