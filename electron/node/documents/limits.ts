import type { DocumentFormat } from '../../common/document.ts';

// Every cap on untrusted documents lives here, so a refusal can always be traced to one named number.
const MB = 1024 * 1024;

// Checked on the file size before anything is read.
export const MAX_FILE_BYTES: Record<DocumentFormat, number> = {
  pdf: 200 * MB,
  epub: 100 * MB,
  docx: 100 * MB,
  txt: 50 * MB,
  md: 50 * MB,
  html: 50 * MB,
  srt: 50 * MB,
  vtt: 50 * MB,
};

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

// Parsing runs in a worker: killed past this time (TIMEOUT) or this heap (LIMIT_EXCEEDED).
export const EXTRACT_TIMEOUT_MS = 120_000;
export const WORKER_HEAP_MB = 2048;
// Parsers run at most this many at once; more imports wait their turn. Each may reach its heap cap plus the
// buffers a hostile file inflates, so parallel imports of such files must not add up.
export const EXTRACT_CONCURRENCY = 2;

// Sniffing reads only this much of a file before its size cap is checked.
export const SNIFF_BYTES = 8192;
