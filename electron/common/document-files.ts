import type { DocumentFormat } from './document.ts';
import { formatBytes } from './format.ts';

// What a document file is known by before it is read: its extension, and the most bytes each format may have.
// The page refuses an over-limit file the moment it is dropped (File.size), the importer again on the file
// itself: one table, so the two cannot disagree.

export const DOCUMENT_EXTENSIONS: Record<string, DocumentFormat> = {
  '.pdf': 'pdf',
  '.epub': 'epub',
  '.docx': 'docx',
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.srt': 'srt',
  '.vtt': 'vtt',
};

// How the formats read are named to people (the drop zone, a refusal of anything else).
export const READABLE_FORMATS = 'PDF, EPUB, DOCX, TXT, Markdown, HTML, SRT and WebVTT';

// SI megabytes, as file managers count: a "50 MB" limit is what a file manager calls 50 MB.
const MB = 1_000_000;

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

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

export function tooLargeMessage(format: DocumentFormat, bytes: number): string {
  return `${formatBytes(bytes)} is over the ${formatBytes(MAX_FILE_BYTES[format])} limit for ${format.toUpperCase()} files`;
}

// Why a file of this name and size will be refused for its size, before a byte of it is read; null when it may
// be imported (a name without a known extension is held to the largest limit: its content decides its format).
export function sizeRefusal(name: string, bytes: number): string | null {
  const format = DOCUMENT_EXTENSIONS[extensionOf(name)];
  if (format) return bytes > MAX_FILE_BYTES[format] ? tooLargeMessage(format, bytes) : null;
  const largest = Math.max(...Object.values(MAX_FILE_BYTES));
  return bytes > largest ? `${formatBytes(bytes)} is over the ${formatBytes(largest)} limit for any document` : null;
}
