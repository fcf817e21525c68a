import { open, stat } from 'node:fs/promises';
import type { DocumentModel } from '../../common/document.ts';
import { fromUtf8, toUtf8, type Utf8Document } from '../../common/utf8-document.ts';
import { fromEnvelope, QuireError, type ErrorEnvelope } from '../../common/errors.ts';
import { checkSize, detectFormat, titleFromName } from './detect.ts';
import { checkDocumentPath } from './document-path.ts';
import { EXTRACT_CONCURRENCY, EXTRACT_TIMEOUT_MS, OCR_PAGE_TIMEOUT_MS, parserMemoryMb, PDF_PROCESSES, pdfHelperHeapMb, SNIFF_BYTES, WORKER_HEAP_MB } from './limits.ts';
import { assemblePdf, pageRanges, scanRanges, type PageRange, type PdfPart } from './pdf-parts.ts';
import { checkOcrLanguage } from './ocr.ts';
import type { OcrLanguage } from '../../common/ocr-languages.ts';
import { entryPoints } from '../entry-points.ts';
import { forkProcess, type ProcessLauncher, type ServiceProcess } from '../service-process.ts';

// `phase` is 'ocr' while scanned pages are being read by OCR.
export type ProgressCallback = (done: number, total: number, phase?: 'ocr') => void;

export interface ExtractOptions {
  // Units are pages for PDF and chapters for EPUB; other formats report once, when done.
  onProgress?: ProgressCallback;
  timeoutMs?: number;
  // The language scanned pages are read in (English unless given).
  ocrLanguage?: OcrLanguage;
  // Aborting stops the parser (and its OCR) and rejects with CANCELLED.
  signal?: AbortSignal;
  // A protected PDF's user password: handed to the parser for this reading, never stored or logged.
  password?: string;
  // How many parser processes a long PDF's pages may be shared among (one a core unless given).
  pdfProcesses?: number;
}

// Each format's parser is imported when a document of that format comes: a parser process (and `quire extract`)
// starts without loading the others, which is most of its start-up.
async function parse(name: string, bytes: Uint8Array, { onProgress, ocrLanguage, password }: Pick<ExtractOptions, 'onProgress' | 'ocrLanguage' | 'password'>): Promise<DocumentModel> {
  const format = detectFormat(name, bytes.subarray(0, SNIFF_BYTES));
  checkSize(format, bytes.length);
  const title = titleFromName(name);
  switch (format) {
    case 'pdf':
      await (await import('./pdf-guard.ts')).checkPdfStreams(bytes, password);
      return (await import('./pdf.ts')).extractPdf(bytes, title, onProgress, ocrLanguage, password);
    case 'epub':
      return (await import('./epub.ts')).extractEpub(bytes, title, onProgress);
    case 'docx':
      return (await import('./docx.ts')).extractDocx(bytes, title);
    case 'html':
      return (await import('./html.ts')).extractHtml(bytes, title);
    case 'srt':
    case 'vtt':
      return (await import('./subtitles.ts')).extractSubtitles(bytes, title, format);
    case 'txt':
    case 'md':
      return (await import('./text.ts')).extractText(bytes, title, format === 'md');
  }
}

// In-process extraction, for callers that already isolate it (the worker below, benchmarks, tests). A library
// failing on hostile input surfaces as CORRUPT, or LIMIT_EXCEEDED when it ran out of stack or string length.
export async function extractBytes(name: string, bytes: Uint8Array, options: Pick<ExtractOptions, 'onProgress' | 'ocrLanguage' | 'password'> = {}): Promise<DocumentModel> {
  return refusingHostile(async () => {
    const model = await parse(name, bytes, { ...options, ocrLanguage: options.ocrLanguage && checkOcrLanguage(options.ocrLanguage) });
    options.onProgress?.(1, 1);
    return model;
  });
}

async function refusingHostile<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof QuireError) throw error;
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    if (error instanceof RangeError) throw new QuireError('LIMIT_EXCEEDED', `the document is too large or too deeply nested (${message})`);
    throw new QuireError('CORRUPT', `unreadable document (${message})`);
  }
}

// How a parser process takes its share of a PDF (pdf-parts.ts): the first is told how many processes the PDF may
// have, and once it knows the page count (or, for a short PDF, once OCR has read two of its pages) it names the
// other processes' ranges (`onSplit`) and reads the first; each of the others reads its range of a file of the same
// page count.
export type PdfShare = { processes: number } | { range: PageRange; numPages: number };

// A document in a parser process that shares PDFs: the part of a PDF it read, or any other document whole.
export async function extractShare(
  name: string,
  bytes: Uint8Array,
  share: PdfShare,
  onSplit: (numPages: number, ranges: PageRange[]) => void,
  options: Pick<ExtractOptions, 'onProgress' | 'ocrLanguage' | 'password'> = {},
): Promise<{ part: PdfPart } | { model: DocumentModel }> {
  let pdf = false;
  try {
    pdf = detectFormat(name, bytes.subarray(0, SNIFF_BYTES)) === 'pdf';
  } catch {
    // Refused by extractBytes, in its words.
  }
  if (!pdf) return { model: await extractBytes(name, bytes, options) };
  // Whether the pages' sharing is settled (by the page count, or by OCR below).
  let settled = false;
  const range = (numPages: number): PageRange => {
    if ('range' in share) {
      if (numPages !== share.numPages) throw new QuireError('CORRUPT', 'the file changed while it was being read');
      return share.range;
    }
    const ranges = pageRanges(numPages, share.processes);
    settled = ranges.length > 1;
    if (settled) onSplit(numPages, ranges);
    return ranges[0];
  };
  // A short scanned PDF is split by its pages read by OCR instead, once a second one has said how long a page takes:
  // a helper's start costs about what this process's time so far, less that page, took (its own start, Tesseract's
  // model loaded, and the first page).
  let ocrPages = 0;
  const afterOcr = (numPages: number, reading: PageRange, page: number, seconds: number): number => {
    if ('range' in share || settled || ++ocrPages < 2) return reading[1];
    const ranges = scanRanges(reading, page, share.processes, (process.uptime() - seconds) / seconds);
    settled = true;
    if (ranges.length > 1) onSplit(numPages, ranges);
    return ranges[0][1];
  };
  return refusingHostile(async () => {
    const ocrLanguage = options.ocrLanguage && checkOcrLanguage(options.ocrLanguage);
    checkSize('pdf', bytes.length);
    await (await import('./pdf-guard.ts')).checkPdfStreams(bytes, options.password);
    const part = await (await import('./pdf.ts')).readPdf(bytes, titleFromName(name), { progress: options.onProgress, ocrLanguage, password: options.password, range, afterOcr });
    return { part };
  });
}

export type WorkerInput = ({ path: string; name: string } | { bytes: Uint8Array; name: string }) & { ocrLanguage?: OcrLanguage; password?: string; pdf?: PdfShare };
export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; phase?: 'ocr' }
  | { type: 'split'; numPages: number; ranges: PageRange[] }
  | { type: 'part'; part: PdfPart }
  | { type: 'done'; document: Utf8Document }
  | { type: 'error'; error: ErrorEnvelope };

let running = 0;
const waiting: (() => void)[] = [];

// Parsers running now (imports beyond EXTRACT_CONCURRENCY wait for one to finish).
export function extractionsRunning(): number {
  return running;
}

// How parser processes start: forked in plain Node; the desktop app sets Electron's utilityProcess.
let launch: ProcessLauncher = forkProcess;
export function useParserLauncher(launcher: ProcessLauncher): void {
  launch = launcher;
}

// Extraction in a process of its own with a heap cap, killed when it overruns the time limit: a hostile file
// costs at most that time and memory, and never the caller's process; and when the parser ends, all the
// memory a large book took goes back to the system (a worker thread's would stay with this process's
// allocator). Parsers are queued, not piled up. The text comes back as UTF-8 bytes (what the store keeps).
export async function extractIsolatedUtf8(input: WorkerInput, options: ExtractOptions = {}): Promise<Utf8Document> {
  if (options.ocrLanguage) checkOcrLanguage(options.ocrLanguage);
  if (running >= EXTRACT_CONCURRENCY) await new Promise<void>((go) => waiting.push(go));
  running++;
  try {
    return await extractInProcess(input, options);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function extractIsolated(input: WorkerInput, options: ExtractOptions = {}): Promise<DocumentModel> {
  return fromUtf8(await extractIsolatedUtf8(input, options));
}

// A parser killed for want of memory: V8 aborts the process at its heap cap, or when the operating system's cap
// refuses it memory (SIGABRT, or SIGTRAP on some builds), which a utilityProcess reports as its exit code; an
// allocation the cap refuses to a buffer is a RangeError, which extractBytes reads as LIMIT_EXCEEDED too.
const OUT_OF_MEMORY_EXITS = new Set(['SIGABRT', 'SIGTRAP', '134', '133']);

// One document in parser processes: one, or for a long PDF one per page range (pdf-parts.ts), whose parts are
// assembled here in page order. A failure of any ends them all.
function extractInProcess(input: WorkerInput, options: ExtractOptions): Promise<Utf8Document> {
  const timeoutMs = options.timeoutMs ?? EXTRACT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const parsers: ServiceProcess<WorkerInput, WorkerMessage>[] = [];
    // Per process: its part once delivered, and the pages it has done.
    const parts: (PdfPart | undefined)[] = [];
    const done: number[] = [];
    let ranges = 1;
    let pages = 0;
    let settled = false;
    const settle = (error: QuireError | undefined, document?: Utf8Document) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
      for (const parser of parsers) parser.kill();
      if (error) reject(error);
      else resolve(document!);
    };
    const overrun = (ms: number) => settle(new QuireError('TIMEOUT', `parsing took longer than ${(ms / 1000).toFixed(ms < 1000 ? 3 : 0)} s`));
    let timer = setTimeout(() => overrun(timeoutMs), timeoutMs);
    const cancel = () => settle(new QuireError('CANCELLED', 'the import was cancelled'));
    if (options.signal?.aborted) queueMicrotask(cancel);
    options.signal?.addEventListener('abort', cancel, { once: true });
    const start = (message: WorkerInput, heapMb: number) => {
      const index = parsers.length;
      const memoryMb = parserMemoryMb(heapMb);
      const parser = launch<WorkerInput, WorkerMessage>(entryPoints.documentWorker, { name: 'Quire document parser', heapMb, memoryMb, quiet: true });
      parsers.push(parser);
      done.push(0);
      parser.onMessage((message) => {
        if (settled) return;
        if (message.type === 'progress') {
          // A scanned book takes seconds a page: each page read by OCR renews the time limit instead of the
          // whole book having to fit in the limit meant for parsing.
          if (message.phase === 'ocr') {
            clearTimeout(timer);
            const ms = Math.max(timeoutMs, OCR_PAGE_TIMEOUT_MS);
            timer = setTimeout(() => overrun(ms), ms);
          }
          done[index] = message.done;
          if (ranges === 1) options.onProgress?.(message.done, message.total, message.phase);
          else options.onProgress?.(done.reduce((a, b) => a + b, 0), pages, message.phase);
        } else if (message.type === 'split') {
          ranges = message.ranges.length;
          pages = message.numPages;
          const heap = pdfHelperHeapMb(ranges - 1);
          for (const range of message.ranges.slice(1)) start({ ...input, ocrLanguage: options.ocrLanguage, password: options.password, pdf: { range, numPages: pages } }, heap);
        } else if (message.type === 'part') {
          parts[index] = message.part;
          if (parts.filter(Boolean).length === ranges) {
            try {
              settle(undefined, toUtf8(assemblePdf(parts as PdfPart[], options.ocrLanguage)));
            } catch (error) {
              settle(error instanceof QuireError ? error : new QuireError('INTERNAL', String(error)));
            }
          }
        } else if (message.type === 'done') settle(undefined, message.document);
        else settle(fromEnvelope(message.error));
      });
      parser.onExit((reason) => {
        if (parts[index]) return;
        settle(
          OUT_OF_MEMORY_EXITS.has(reason)
            ? new QuireError('LIMIT_EXCEEDED', `parsing needed more memory than its limit (${heapMb} MB of heap, ${memoryMb} MB in all)`)
            : new QuireError('INTERNAL', `the parser stopped (${reason})`),
        );
      });
      parser.send(message);
    };
    const processes = options.pdfProcesses ?? PDF_PROCESSES;
    start({ ...input, ocrLanguage: options.ocrLanguage, password: options.password, ...(processes > 1 && { pdf: { processes } }) }, WORKER_HEAP_MB);
  });
}

// Checks what can be checked without parsing (existence, size cap for the detected format) before starting
// a worker for the rest.
export async function extractFileUtf8(path: string, options: ExtractOptions = {}): Promise<Utf8Document> {
  await checkDocumentPath(path);
  const info = await stat(path).catch(() => {
    throw new QuireError('NOT_FOUND', `no such file: ${path}`);
  });
  if (!info.isFile()) throw new QuireError('INVALID_INPUT', `not a file: ${path}`);
  const head = new Uint8Array(Math.min(SNIFF_BYTES, info.size));
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  checkSize(detectFormat(path, head), info.size);
  return extractIsolatedUtf8({ path, name: path }, options);
}

export async function extractFile(path: string, options: ExtractOptions = {}): Promise<DocumentModel> {
  return fromUtf8(await extractFileUtf8(path, options));
}
