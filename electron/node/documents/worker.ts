import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { toEnvelope } from '../../common/errors.ts';
import { extractBytes, type WorkerInput, type WorkerMessage } from './extract.ts';

// Entry of the extraction worker started by extractIsolated: one document per worker, then it exits.
// (An async function rather than top-level await: the desktop build bundles this file as CommonJS.)
async function run(input: WorkerInput, post: (message: WorkerMessage) => void): Promise<void> {
  try {
    const bytes = 'bytes' in input ? input.bytes : new Uint8Array(await readFile(input.path));
    const model = await extractBytes(input.name, bytes, {
      ocrLanguage: input.ocrLanguage,
      onProgress: (done, total, phase) => post({ type: 'progress', done, total, phase }),
    });
    post({ type: 'done', model });
  } catch (error) {
    post({ type: 'error', error: toEnvelope(error) });
  }
}

void run(workerData as WorkerInput, (message) => parentPort!.postMessage(message));
