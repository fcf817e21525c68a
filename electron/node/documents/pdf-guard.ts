import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createInflate } from 'node:zlib';
import { QuireError } from '../../common/errors.ts';
import { MAX_PDF_IMAGE_STREAM_BYTES, MAX_PDF_STREAM_BYTES } from './limits.ts';

// Deflate tops out near 1032:1: a stream whose data is smaller than its cap over this (per layer) cannot pass
// the cap and is not inflated at all, so only the few large streams of a normal PDF cost any time.
const MAX_DEFLATE_RATIO = 1100;
// How far before a `stream` keyword its dictionary may start.
const DICT_WINDOW = 64 * 1024;

// pdf.js inflates a stream into one growing buffer, outside the V8 heap the worker's cap limits: a 1 MB
// flate bomb became 1 GB of buffers and 2.9 GB of resident memory. Before pdf.js sees the file, every
// FlateDecode stream is inflated here and only counted, and a stream past its cap refuses the document.
// Image streams get a larger cap (text extraction never decodes them, and scans are legitimately large);
// streams that do not inflate (encrypted, damaged) are left to pdf.js, which copes with or refuses them.
export async function checkPdfStreams(bytes: Uint8Array): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
    const flates = leadingFlates(dict);
    if (flates === 0) continue;
    // `\b`: in `/Length 12 0 R` (an indirect length) no prefix of 12 may pass for a direct one.
    const length = /\/Length\s+(\d+)\b(?!\s+\d+\s+R)/.exec(dict);
    const endAt = length ? start + Number(length[1]) : buf.indexOf('endstream', start, 'latin1');
    const end = Math.min(endAt < start ? buf.length : endAt, buf.length);
    const image = /\/Subtype\s*\/Image\b/.test(dict);
    const cap = image ? MAX_PDF_IMAGE_STREAM_BYTES : MAX_PDF_STREAM_BYTES;
    if ((end - start) * MAX_DEFLATE_RATIO ** flates > cap) await countInflated(bytes.subarray(start, end), flates, cap, image);
    from = Math.max(from, end);
  }
}

// How many FlateDecode filters open the stream's filter chain (`/Filter /FlateDecode`, or an array starting
// with one or more): a bomb may nest deflate in deflate, each layer small. Chains starting with another filter
// (ASCII85, LZW) are not decoded here.
function leadingFlates(dict: string): number {
  const filter = /\/Filter\s*(\[[^\]]*\]|\/\w+)/.exec(dict)?.[1];
  if (!filter) return 0;
  const names = filter.match(/\/\w+/g) ?? [];
  let n = 0;
  while (names[n] === '/FlateDecode') n++;
  return n;
}

// Inflates `layers` nested deflate layers as a stream (zlib's own chunks, with back-pressure), counting what
// the innermost produces and keeping nothing; stops at the cap.
async function countInflated(data: Uint8Array, layers: number, cap: number, image: boolean): Promise<void> {
  let produced = 0;
  const over = new QuireError('LIMIT_EXCEEDED', `a PDF ${image ? 'image' : 'stream'} inflates to more than ${cap / 2 ** 20} MB (flate bomb?)`);
  const count = new Writable({
    write(chunk: Buffer, _encoding, done) {
      produced += chunk.length;
      done(produced > cap ? over : null);
    },
  });
  // A truncated stream (common in real files) still counts what it yields.
  const inflaters = Array.from({ length: layers }, () => createInflate({ finishFlush: constants.Z_SYNC_FLUSH }));
  try {
    await pipeline([Readable.from([data]) as NodeJS.ReadableStream, ...inflaters, count]);
  } catch (error) {
    if (error === over) throw over;
  }
}
