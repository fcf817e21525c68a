import { QuireError } from '../../common/errors.ts';
import { MAX_PDF_IMAGE_STREAM_BYTES, MAX_PDF_STREAM_BYTES } from './limits.ts';
import { decodeStream, pdfStreams, type PdfStream } from './pdf-streams.ts';

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
  for (const stream of pdfStreams(bytes, password)) {
    if (stream.chain.length === 0) continue;
    const image = /\/Subtype\s*\/Image\b/.test(stream.dict);
    const cap = image ? MAX_PDF_IMAGE_STREAM_BYTES : MAX_PDF_STREAM_BYTES;
    const ratio = stream.chain.reduce((r, f) => r * f.maxRatio, 1);
    if (stream.size * ratio > cap) await countDecoded(stream, cap, image);
  }
}

// Counts what the chain produces, keeping nothing; stops at the cap.
async function countDecoded(stream: PdfStream, cap: number, image: boolean): Promise<void> {
  let produced = 0;
  const over = new QuireError('LIMIT_EXCEEDED', `a PDF ${image ? 'image' : 'stream'} decodes to more than ${cap / 2 ** 20} MB (a decompression bomb?)`);
  await decodeStream(stream, (chunk) => ((produced += chunk.length) > cap ? over : undefined));
}
