import { basename, extname } from 'node:path';
import type { DocumentFormat } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { DOCUMENT_EXTENSIONS as EXTENSIONS, MAX_FILE_BYTES, READABLE_FORMATS, tooLargeMessage } from '../../common/document-files.ts';

const ascii = (head: Uint8Array, from: number, to: number) => String.fromCharCode(...head.subarray(from, to));

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => head[i] === b);
}

// The zip formats name themselves in their first entry: EPUB must start with an uncompressed `mimetype`,
// and Word writes `[Content_Types].xml` or a `word/` part first.
function zipFormat(head: Uint8Array, extension: string): DocumentFormat {
  const nameLength = head[26] | (head[27] << 8);
  const extraLength = head[28] | (head[29] << 8);
  const first = ascii(head, 30, 30 + nameLength);
  if (first === 'mimetype' && ascii(head, 30 + nameLength + extraLength, 50 + nameLength + extraLength) === 'application/epub+zip') return 'epub';
  if (first === '[Content_Types].xml' || first.startsWith('word/')) return 'docx';
  if (extension === '.epub' || extension === '.docx') return EXTENSIONS[extension];
  throw new QuireError('UNSUPPORTED_FORMAT', 'a zip archive that is neither EPUB nor DOCX');
}

const IMAGE_MAGIC: Array<[string, number[]]> = [
  ['PNG', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG', [0xff, 0xd8, 0xff]],
  ['TIFF', [0x49, 0x49, 0x2a, 0x00]],
  ['TIFF', [0x4d, 0x4d, 0x00, 0x2a]],
  ['GIF', [0x47, 0x49, 0x46, 0x38]],
];

// A picture is refused by name rather than as "binary data": a scan is read by OCR once it is in a PDF (one
// image per page), which keeps pages, the original for the viewer and the page images' resolution known.
function imageKind(head: Uint8Array): string | undefined {
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'WebP';
  return IMAGE_MAGIC.find(([, magic]) => startsWith(head, magic))?.[0];
}

// Text formats with no telling extension are recognized by their first line.
function sniffText(head: Uint8Array): DocumentFormat {
  const text = new TextDecoder('utf-8').decode(head).replace(/^\uFEFF/, '').replace(/\0/g, '');
  if (/^WEBVTT(?:[ \t\r\n]|$)/.test(text)) return 'vtt';
  if (/^\s*\d+\s*\r?\n\s*[\d:]+[,.]\d+\s*-->/.test(text)) return 'srt';
  if (/^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)/i.test(text)) return 'html';
  return 'txt';
}

// Magic bytes first (a PDF named .txt is still a PDF), then the extension, then a look at the text.
export function detectFormat(name: string, head: Uint8Array): DocumentFormat {
  const extension = extname(name).toLowerCase();
  if (ascii(head, 0, 1024).includes('%PDF-')) return 'pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return zipFormat(head, extension);
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // Office wraps password-protected .docx files in this legacy container.
    if (extension === '.docx') throw new QuireError('ENCRYPTED', 'the DOCX is password-protected');
    throw new QuireError('UNSUPPORTED_FORMAT', 'legacy Office files (.doc) are not supported; save it as .docx');
  }
  const image = imageKind(head);
  if (image) {
    throw new QuireError('UNSUPPORTED_FORMAT', `an image (${image}), not a document: Quire reads ${READABLE_FORMATS}; scanned pages are read by OCR when they come as a PDF`);
  }
  if (extension === '.pdf') throw new QuireError('CORRUPT', 'not a PDF (no %PDF- header)');
  if (extension === '.epub' || extension === '.docx') throw new QuireError('CORRUPT', `not a ${extension.slice(1).toUpperCase()} (not a zip archive)`);
  return EXTENSIONS[extension] ?? sniffText(head);
}

export function checkSize(format: DocumentFormat, bytes: number): void {
  const cap = MAX_FILE_BYTES[format];
  if (bytes > cap) {
    throw new QuireError('TOO_LARGE', tooLargeMessage(format, bytes));
  }
  if (bytes === 0) throw new QuireError('EMPTY', 'the file is empty');
}

// Titles that tools write into metadata when the author wrote none: they name no document, so the file's name
// (or the document's own heading) is shown instead. "Microsoft Word - Report.docx" keeps "Report".
const JUNK_TITLE = /^(?:about:blank|untitled(?: document)?|document\d*|title|no title|slide \d+|[\W_]*)$/i;
const WORD_PREFIX = /^microsoft (?:word|powerpoint|excel) - (.+?)(?:\.(?:docx?|pptx?|xlsx?|rtf))?$/i;

export function metadataTitle(title: string | null | undefined): string {
  const t = (title ?? '').trim();
  const word = WORD_PREFIX.exec(t);
  if (word) return word[1].trim();
  return JUNK_TITLE.test(t) ? '' : t;
}

export function titleFromName(name: string): string {
  const base = basename(name);
  return base.slice(0, base.length - extname(base).length) || base;
}
