import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodableChain, type PdfFilter } from './pdf-filters.ts';
import { streamDecryptor } from './pdf-crypt.ts';

// A PDF file's streams, found by their `stream` keyword rather than through the cross-reference table (which a
// damaged file may lack, and pdf.js then rebuilds by scanning the same way), for the readers that need a stream's
// bytes before or beside pdf.js: the bomb guard (pdf-guard.ts) and the XFA form data (pdf-xfa.ts).

// How far before a `stream` keyword its dictionary may start.
const DICT_WINDOW = 64 * 1024;

export interface PdfStream {
  // From its object's `obj` keyword (or DICT_WINDOW back) to the dictionary's closing `>>`.
  dict: string;
  // The decodable head of its filter chain: empty for an unfiltered stream or one whose first filter is an
  // image codec.
  chain: PdfFilter[];
  // How many bytes it holds as stored.
  size: number;
  // Its bytes as stored, decrypted where the file is encrypted and the key opens it.
  data(): Uint8Array;
}

// The file's streams in file order; `password` is the user password (the empty one unless given).
export function* pdfStreams(bytes: Uint8Array, password?: string): Generator<PdfStream> {
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
    // `\b`: in `/Length 12 0 R` (an indirect length) no prefix of 12 may pass for a direct one.
    const length = /\/Length\s+(\d+)\b(?!\s+\d+\s+R)/.exec(dict);
    const endAt = length ? start + Number(length[1]) : buf.indexOf('endstream', start, 'latin1');
    const end = Math.min(endAt < start ? buf.length : endAt, buf.length);
    const data = () => {
      // Cross-reference streams are never encrypted; every other stream is, under its object's own key.
      const objectId = decrypt && !/\/Type\s*\/XRef\b/.test(dict) ? /(\d+)\s+(\d+)\s+$/.exec(buf.toString('latin1', Math.max(0, objAt - 24), objAt)) : null;
      const raw = bytes.subarray(start, end);
      return (objectId && decrypt?.(Number(objectId[1]), Number(objectId[2]), raw)) || raw;
    };
    yield { dict, chain, size: end - start, data };
    // An unfiltered stream's bytes are searched on: a stream inside them is one pdf.js may find when it
    // rebuilds a damaged cross-reference table.
    if (chain.length > 0) from = Math.max(from, end);
  }
}

// The decodable head of the stream's filter chain (`/Filter /FlateDecode`, or an array such as
// [/ASCII85Decode /FlateDecode /FlateDecode]): a bomb may nest its layers, each one small.
function filterChain(dict: string): PdfFilter[] {
  const filter = /\/Filter\s*(\[[^\]]*\]|\/\w+)/.exec(dict)?.[1];
  if (!filter) return [];
  return decodableChain((filter.match(/\/\w+/g) ?? []).map((name) => name.slice(1)));
}

// Runs the stream's data through its chain as a stream (each decoder's own chunks, with back-pressure), handing
// each chunk of output to `take`, which stops the run by returning an error (thrown from here). A truncated or
// damaged stream (common in real files) ends quietly after what it yields.
export async function decodeStream(stream: PdfStream, take: (chunk: Buffer) => Error | undefined): Promise<void> {
  let stop: Error | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stop = take(chunk);
      done(stop ?? null);
    },
  });
  try {
    await pipeline([Readable.from([stream.data()]) as NodeJS.ReadableStream, ...stream.chain.map((f) => f.decoder()), sink]);
  } catch (error) {
    if (stop && error === stop) throw stop;
  }
}
