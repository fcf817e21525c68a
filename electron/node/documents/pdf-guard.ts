import { Unzlib } from 'fflate';
import { QuireError } from '../../common/errors.ts';
import { MAX_PDF_IMAGE_STREAM_BYTES, MAX_PDF_STREAM_BYTES } from './limits.ts';

// Inflating in small slices bounds what one push can produce (deflate tops out near 1032:1) before the count
// sees it, so checking a stream costs a few hundred KB whatever it inflates to.
const INFLATE_SLICE = 16 * 1024;
// How far before a `stream` keyword its dictionary may start.
const DICT_WINDOW = 64 * 1024;

// pdf.js inflates a stream into one growing buffer, outside the V8 heap the worker's cap limits: a 1 MB
// flate bomb became 1 GB of buffers and 2.9 GB of resident memory. Before pdf.js sees the file, every
// FlateDecode stream is inflated here and only counted, and a stream past its cap refuses the document.
// Image streams get a larger cap (text extraction never decodes them, and scans are legitimately large);
// streams that do not inflate (encrypted, damaged) are left to pdf.js, which copes with or refuses them.
export function checkPdfStreams(bytes: Uint8Array): void {
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
    if (!/\/Filter\s*(\[\s*)?\/FlateDecode\b/.test(dict)) continue;
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
    const endAt = length ? start + Number(length[1]) : buf.indexOf('endstream', start, 'latin1');
    const end = Math.min(endAt < start ? buf.length : endAt, buf.length);
    const image = /\/Subtype\s*\/Image\b/.test(dict);
    countInflated(bytes.subarray(start, end), image ? MAX_PDF_IMAGE_STREAM_BYTES : MAX_PDF_STREAM_BYTES, image);
    from = Math.max(from, end);
  }
}

function countInflated(data: Uint8Array, cap: number, image: boolean): void {
  let produced = 0;
  const inflater = new Unzlib((chunk) => {
    produced += chunk.length;
    if (produced > cap) {
      throw new QuireError('LIMIT_EXCEEDED', `a PDF ${image ? 'image' : 'stream'} inflates to more than ${cap / 2 ** 20} MB (flate bomb?)`);
    }
  });
  try {
    for (let at = 0; at < data.length; at += INFLATE_SLICE) inflater.push(data.subarray(at, at + INFLATE_SLICE), at + INFLATE_SLICE >= data.length);
  } catch (error) {
    if (error instanceof QuireError) throw error;
  }
}
