import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { QuireError } from '../../common/errors.ts';
import { MAX_PDF_IMAGE_STREAM_BYTES, MAX_PDF_STREAM_BYTES } from './limits.ts';
import { decodableChain, type PdfFilter } from './pdf-filters.ts';
import { streamDecryptor } from './pdf-crypt.ts';

// How far before a `stream` keyword its dictionary may start.
const DICT_WINDOW = 64 * 1024;

// pdf.js inflates a stream into one growing buffer, outside the V8 heap the worker's cap limits: a 1 MB
// flate bomb became 1 GB of buffers and 2.9 GB of resident memory. Before pdf.js sees the file, every stream's
// filter chain (deflate, LZW, run-length, ASCII hex and base-85, nested in any order) is decoded here and only
// counted, and a stream past its cap refuses the document. Only streams that could pass their cap (size times
// the chain's largest expansion) are decoded, so the few large streams of a normal PDF are the only cost.
// Image streams get a larger cap (text extraction never decodes them, and scans are legitimately large).
// Encrypted streams are decrypted first (pdf-crypt.ts) with the empty user password or the one given, so a
// bomb under encryption meets the same caps; streams that still do not inflate (damaged, or a password this
// key does not open) are left to pdf.js, which copes with or refuses them.
export async function checkPdfStreams(bytes: Uint8Array, password?: string): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decrypt = streamDecryptor(bytes, password);
  let from = 0;
  for (;;) {
    const at = buf.indexOf('stream', from, 'latin1');
    if (at < 0) return;
    from = at + 6;
    // `endstream`, or the word inside a string: only a keyword after a dictionary's `>>` opens a stream.
    let back = at - 1;
    while (back >= 0 && (buf[back] === 0x20 || buf[back] === 0x0a || buf[back] === 0x0d || buf[back] === 0x09)) back--;
    if (back < 1 || buf[back] !== 0x3e || buf[back - 1] !== 0x3e) continue;
    let start = at + 6;
    if (buf[start] === 0x0d) start++;
    if (buf[start] === 0x0a) start++;
    const windowStart = Math.max(0, at - DICT_WINDOW);
    const objAt = buf.lastIndexOf('obj', at, 'latin1');
    const dict = buf.toString('latin1', objAt >= windowStart ? objAt : windowStart, back + 1);
    const chain = filterChain(dict);
    if (chain.length === 0) continue;
    // `\b`: in `/Length 12 0 R` (an indirect length) no prefix of 12 may pass for a direct one.
    const length = /\/Length\s+(\d+)\b(?!\s+\d+\s+R)/.exec(dict);
    const endAt = length ? start + Number(length[1]) : buf.indexOf('endstream', start, 'latin1');
    const end = Math.min(endAt < start ? buf.length : endAt, buf.length);
    const image = /\/Subtype\s*\/Image\b/.test(dict);
    const cap = image ? MAX_PDF_IMAGE_STREAM_BYTES : MAX_PDF_STREAM_BYTES;
    const ratio = chain.reduce((r, f) => r * f.maxRatio, 1);
    if ((end - start) * ratio > cap) {
      // Cross-reference streams are never encrypted; every other stream is, under its object's own key.
      const objectId = decrypt && !/\/Type\s*\/XRef\b/.test(dict) ? /(\d+)\s+(\d+)\s+$/.exec(buf.toString('latin1', Math.max(0, objAt - 24), objAt)) : null;
      const raw = bytes.subarray(start, end);
      const data = (objectId && decrypt?.(Number(objectId[1]), Number(objectId[2]), raw)) || raw;
      await countDecoded(data, chain, cap, image);
    }
    from = Math.max(from, end);
  }
}

// The decodable head of the stream's filter chain (`/Filter /FlateDecode`, or an array such as
// [/ASCII85Decode /FlateDecode /FlateDecode]): a bomb may nest its layers, each one small.
function filterChain(dict: string): PdfFilter[] {
  const filter = /\/Filter\s*(\[[^\]]*\]|\/\w+)/.exec(dict)?.[1];
  if (!filter) return [];
  return decodableChain((filter.match(/\/\w+/g) ?? []).map((name) => name.slice(1)));
}

// Runs the chain as a stream (each decoder's own chunks, with back-pressure), counting what the last produces
// and keeping nothing; stops at the cap.
async function countDecoded(data: Uint8Array, chain: readonly PdfFilter[], cap: number, image: boolean): Promise<void> {
  let produced = 0;
  const over = new QuireError('LIMIT_EXCEEDED', `a PDF ${image ? 'image' : 'stream'} decodes to more than ${cap / 2 ** 20} MB (a decompression bomb?)`);
  const count = new Writable({
    write(chunk: Buffer, _encoding, done) {
      produced += chunk.length;
      done(produced > cap ? over : null);
    },
  });
  // A truncated or damaged stream (common in real files) still counts what it yields.
  try {
    await pipeline([Readable.from([data]) as NodeJS.ReadableStream, ...chain.map((f) => f.decoder()), count]);
  } catch (error) {
    if (error === over) throw over;
  }
}
