import { readFile } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { toUtf8 } from '../../common/utf8-document.ts';
import { toEnvelope } from '../../common/errors.ts';
import { extractBytes, extractShare, type WorkerInput, type WorkerMessage } from './extract.ts';
import { parentChannel } from '../service-process.ts';

// Entry of the parser process started by extractIsolated: one document, then the caller ends it.
// (An async function rather than top-level await: the desktop build bundles this file as CommonJS.)
async function run(input: WorkerInput, post: (message: WorkerMessage) => void): Promise<void> {
  try {
    const bytes = 'bytes' in input ? input.bytes : new Uint8Array(await readFile(input.path));
    const options = {
      ocrLanguage: input.ocrLanguage,
      password: input.password,
      onProgress: (done: number, total: number, phase?: 'ocr') => post({ type: 'progress', done, total, phase }),
    };
    const result = input.pdf
      ? await extractShare(input.name, bytes, input.pdf, (numPages, ranges) => post({ type: 'split', numPages, ranges }), options)
      : { model: await extractBytes(input.name, bytes, options) };
    // The caller ends this process as soon as it has the result, before Node would write its compile cache
    // (bin/quire.mjs), so the modules this parser compiled are written now, for the next parser's start.
    nodeModule.flushCompileCache?.();
    post('part' in result ? { type: 'part', part: result.part } : { type: 'done', document: toUtf8(result.model) });
  } catch (error) {
    post({ type: 'error', error: toEnvelope(error) });
  }
}

const channel = parentChannel<WorkerInput, WorkerMessage>(import.meta.filename);
channel?.on((input) => void run(input, (message) => channel.send(message)));
