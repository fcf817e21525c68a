import { availableParallelism, totalmem } from 'node:os';

// Every cap on untrusted documents lives here, so a refusal can always be traced to one named number.
const MB = 1024 * 1024;

// Checked on the file size before anything is read (the page checks the same table when a file is dropped).
export { MAX_FILE_BYTES } from '../../common/document-files.ts';

// Zip containers (EPUB, DOCX): counted while inflating, never trusted from the headers.
export const MAX_ZIP_ENTRIES = 10_000;
export const MAX_ZIP_ENTRY_BYTES = 64 * MB;
export const MAX_ZIP_TOTAL_BYTES = 512 * MB;
export const MAX_ZIP_RATIO = 100;
// Small entries of repeated markup legitimately compress beyond MAX_ZIP_RATIO; the ratio only matters once
// an entry has inflated this much.
export const ZIP_RATIO_GRACE_BYTES = 1 * MB;

// XML and HTML trees.
export const MAX_XML_DEPTH = 512;
export const MAX_XML_NODES = 5_000_000;

// Output.
export const MAX_TEXT_CHARS = 64_000_000;
export const MAX_ANCHORS = 2_000_000;
export const MAX_PDF_PAGES = 20_000;
// What one FlateDecode stream of a PDF may inflate to (pdf.js holds it whole, outside the parser's heap cap):
// content and font streams, and images (a 600 dpi A4 colour scan is about 100 MB raw).
export const MAX_PDF_STREAM_BYTES = 256 * MB;
export const MAX_PDF_IMAGE_STREAM_BYTES = 1024 * MB;
// An XFA form's packet read for its data (pdf-xfa.ts); a larger one is passed over.
export const MAX_XFA_DATASETS_BYTES = 64 * MB;

// Parsing runs in a worker: killed past this time (TIMEOUT) or this heap (LIMIT_EXCEEDED).
export const EXTRACT_TIMEOUT_MS = 120_000;
// Parsers run at most this many at once; more imports wait their turn. Each may reach its heap cap plus the
// buffers a hostile file inflates, so parallel imports of such files must not add up. Each parser is a process
// of its own (extract.ts), so what it took goes back to the system when it ends.
export const EXTRACT_CONCURRENCY = 2;
// The heap cap: 2 GB on machines of 16 GB and more, an eighth of the memory below that, so the parsers running
// at once take at most a quarter of it (plus their buffers, which pdf-guard.ts bounds) and a hostile file is
// refused before the machine swaps. Never below 256 MB, which ordinary books need.
export const MAX_WORKER_HEAP_MB = 2048;
export const MIN_WORKER_HEAP_MB = 256;
export const WORKER_HEAP_SHARE = 1 / 8;
export function workerHeapMb(totalBytes: number): number {
  return Math.max(MIN_WORKER_HEAP_MB, Math.min(MAX_WORKER_HEAP_MB, Math.floor((totalBytes * WORKER_HEAP_SHARE) / MB)));
}
export const WORKER_HEAP_MB = workerHeapMb(totalmem());
// The parser process's whole writable memory, where the operating system can cap it (service-process.ts): its
// heap, the largest stream pdf.js may hold (an image within MAX_PDF_IMAGE_STREAM_BYTES) and room for Node,
// pdf.js and the text's copies. 3.5 GB on machines of 16 GB and more.
export const PARSER_MEMORY_MB = parserMemoryMb(WORKER_HEAP_MB);
export function parserMemoryMb(heapMb: number): number {
  return heapMb + MAX_PDF_IMAGE_STREAM_BYTES / MB + 512;
}

// A long PDF's pages are read in page ranges by several parser processes at once (extract.ts, pdf-parts.ts): one
// a core up to PDF_MAX_PROCESSES, each range at least PDF_MIN_PAGES_PER_PROCESS pages. The first process keeps
// its heap cap; the others share one more cap between them (never below MIN_WORKER_HEAP_MB each, and a range
// holds only its share of the text), so a PDF read in parallel holds at most about twice one parser's heap.
export const PDF_MAX_PROCESSES = 8;
export const PDF_MIN_PAGES_PER_PROCESS = 32;
export const PDF_PROCESSES = Math.min(PDF_MAX_PROCESSES, availableParallelism());
export function pdfHelperHeapMb(helpers: number): number {
  return Math.max(MIN_WORKER_HEAP_MB, Math.floor(WORKER_HEAP_MB / Math.max(1, helpers)));
}

// Sniffing reads only this much of a file before its size cap is checked.
export const SNIFF_BYTES = 8192;

// OCR of scanned pages: each page is rendered at this resolution (Tesseract is trained on 300 dpi scans;
// less loses small print), one page at a time, and never beyond OCR_MAX_PIXELS (a poster-sized page is scaled
// down; A3 at 300 dpi is 17 M), so a page image costs at most 4 bytes × OCR_MAX_PIXELS while it is drawn.
export const OCR_DPI = 300;
export const OCR_MAX_PIXELS = 25_000_000;
// OCR takes seconds a page: past the first pages the import's time limit is renewed by this much per page.
export const OCR_PAGE_TIMEOUT_MS = 120_000;
// Pages whose mean word confidence is below this are called out in the document's warning.
export const OCR_LOW_CONFIDENCE = 60;
