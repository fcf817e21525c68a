import { Transform, type TransformCallback } from 'node:stream';
import { constants, createInflate } from 'node:zlib';

// The PDF stream filters that only expand or re-encode bytes (ISO 32000-1 §7.4), as streaming decoders, so the
// guard (pdf-guard.ts) can count what a stream's filter chain produces without holding it. Image codecs (DCT,
// JPX, JBIG2, CCITT) and Crypt end a chain: what follows them is not decoded here.

export interface PdfFilter {
  // The most output one input byte can yield: a stream smaller than its cap over the product of its filters'
  // ratios cannot pass the cap and is not decoded at all.
  maxRatio: number;
  decoder(): Transform;
}

// Deflate tops out near 1032:1.
const FLATE: PdfFilter = { maxRatio: 1100, decoder: () => createInflate({ finishFlush: constants.Z_SYNC_FLUSH }) };
// A 12-bit code names a string up to the table's size (4,096 entries, each one byte longer than an earlier one).
const LZW_MAX_STRING = 4096;
const LZW: PdfFilter = { maxRatio: Math.ceil((LZW_MAX_STRING * 8) / 9), decoder: () => new LzwDecoder() };
// A length byte 129–255 repeats the next byte up to 128 times: 2 bytes → 128.
const RUN_LENGTH: PdfFilter = { maxRatio: 64, decoder: () => new RunLengthDecoder() };
// Two hex digits per byte.
const ASCII_HEX: PdfFilter = { maxRatio: 1, decoder: () => new AsciiHexDecoder() };
// `z` stands for four zero bytes.
const ASCII_85: PdfFilter = { maxRatio: 4, decoder: () => new Ascii85Decoder() };

// Full names and the abbreviations inline images use.
export const PDF_FILTERS: Readonly<Record<string, PdfFilter>> = {
  FlateDecode: FLATE,
  Fl: FLATE,
  LZWDecode: LZW,
  LZW,
  RunLengthDecode: RUN_LENGTH,
  RL: RUN_LENGTH,
  ASCIIHexDecode: ASCII_HEX,
  AHx: ASCII_HEX,
  ASCII85Decode: ASCII_85,
  A85: ASCII_85,
};

// The filters at the head of a chain that this module decodes (all of them up to the first other one).
export function decodableChain(names: readonly string[]): PdfFilter[] {
  const chain: PdfFilter[] = [];
  for (const name of names) {
    const filter = PDF_FILTERS[name];
    if (!filter) break;
    chain.push(filter);
  }
  return chain;
}

const isWhite = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x00;

class AsciiHexDecoder extends Transform {
  #high = -1;
  #ended = false;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out = Buffer.allocUnsafe(chunk.length >> 1);
    let n = 0;
    for (const b of chunk) {
      if (this.#ended) break;
      if (b === 0x3e) {
        this.#ended = true;
        break;
      }
      const v = b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 55 : b >= 0x61 && b <= 0x66 ? b - 87 : -1;
      if (v < 0) continue;
      if (this.#high < 0) this.#high = v;
      else {
        out[n++] = (this.#high << 4) | v;
        this.#high = -1;
      }
    }
    done(null, out.subarray(0, n));
  }
  override _flush(done: TransformCallback): void {
    done(null, this.#high >= 0 ? Buffer.from([this.#high << 4]) : undefined);
  }
}

class Ascii85Decoder extends Transform {
  #group: number[] = [];
  #ended = false;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.#ended) break;
      if (b === 0x7e) {
        this.#ended = true;
        break;
      }
      if (b === 0x7a && this.#group.length === 0) {
        out.push(0, 0, 0, 0);
        continue;
      }
      if (b < 0x21 || b > 0x75) continue;
      this.#group.push(b - 0x21);
      if (this.#group.length === 5) out.push(...this.#bytes(5));
    }
    done(null, Buffer.from(out));
  }
  override _flush(done: TransformCallback): void {
    const n = this.#group.length;
    done(null, n > 1 ? Buffer.from(this.#bytes(n)) : undefined);
  }
  // A group of n digits (short groups padded with 'u') gives n − 1 bytes.
  #bytes(n: number): number[] {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 85 + (i < n ? this.#group[i] : 84);
    this.#group = [];
    const all = [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
    return all.slice(0, n - 1);
  }
}

class RunLengthDecoder extends Transform {
  // What the previous chunk left: a length byte waiting for its data.
  #length = -1;
  #literalLeft = 0;
  #ended = false;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const parts: Buffer[] = [];
    let i = 0;
    while (i < chunk.length && !this.#ended) {
      if (this.#literalLeft > 0) {
        const take = Math.min(this.#literalLeft, chunk.length - i);
        parts.push(chunk.subarray(i, i + take));
        this.#literalLeft -= take;
        i += take;
      } else if (this.#length < 0) {
        const length = chunk[i++];
        if (length === 128) this.#ended = true;
        else if (length < 128) this.#literalLeft = length + 1;
        else this.#length = length;
      } else {
        parts.push(Buffer.alloc(257 - this.#length, chunk[i++]));
        this.#length = -1;
      }
    }
    done(null, Buffer.concat(parts));
  }
}

// LZW as PDF writes it: codes of 9 to 12 bits, most significant bit first, 256 clears the table, 257 ends the
// data, and (EarlyChange 1, the default) the code width grows one code early. Entries are kept as (prefix,
// last byte) pairs, so the table is 8 KB whatever the strings' lengths.
const LZW_CLEAR = 256;
const LZW_END = 257;
class LzwDecoder extends Transform {
  #prefix = new Int32Array(LZW_MAX_STRING);
  #last = new Uint8Array(LZW_MAX_STRING);
  #first = new Uint8Array(LZW_MAX_STRING);
  #length = new Uint16Array(LZW_MAX_STRING);
  #next = 258;
  #width = 9;
  #previous = -1;
  #bits = 0;
  #bitCount = 0;
  #ended = false;

  constructor() {
    super();
    for (let i = 0; i < 256; i++) {
      this.#last[i] = i;
      this.#first[i] = i;
      this.#length[i] = 1;
      this.#prefix[i] = -1;
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const parts: Buffer[] = [];
    for (const b of chunk) {
      if (this.#ended) break;
      this.#bits = ((this.#bits << 8) | b) & 0xffffff;
      this.#bitCount += 8;
      while (this.#bitCount >= this.#width && !this.#ended) {
        this.#bitCount -= this.#width;
        const code = (this.#bits >>> this.#bitCount) & ((1 << this.#width) - 1);
        const out = this.#code(code);
        if (out) parts.push(out);
      }
    }
    done(null, Buffer.concat(parts));
  }

  #code(code: number): Buffer | null {
    if (code === LZW_CLEAR) {
      this.#next = 258;
      this.#width = 9;
      this.#previous = -1;
      return null;
    }
    if (code === LZW_END) {
      this.#ended = true;
      return null;
    }
    // A code not yet in the table (other than the next one) is damage: the rest is not decoded.
    if (code > this.#next || (code === this.#next && this.#previous < 0)) {
      this.#ended = true;
      return null;
    }
    if (this.#previous >= 0 && this.#next < LZW_MAX_STRING) {
      const first = code === this.#next ? this.#first[this.#previous] : this.#first[code];
      this.#prefix[this.#next] = this.#previous;
      this.#last[this.#next] = first;
      this.#first[this.#next] = this.#first[this.#previous];
      this.#length[this.#next] = this.#length[this.#previous] + 1;
      this.#next++;
      if (this.#next + 1 >= 1 << this.#width && this.#width < 12) this.#width++;
    }
    this.#previous = code;
    const out = Buffer.allocUnsafe(this.#length[code]);
    for (let c = code, i = out.length - 1; i >= 0; c = this.#prefix[c], i--) out[i] = this.#last[c];
    return out;
  }
}
