// The library: importing (with progress and cancel), listing with each document's count and fit, reading and
// deleting documents, the sample document.
import { QuireError } from '../../common/errors.ts';
import { remoteLibraryFit } from '../chat/remote-library-fit.ts';
import { sampleDocument } from '../sample-document.ts';
import type { AppContext, DomainHandlers } from './context.ts';

type Library = 'library.list' | 'library.sample' | 'library.import' | 'library.cancelImport' | 'library.delete' | 'library.original' | 'library.get' | 'library.outline' | 'library.text';

export function libraryHandlers({ bus, documents, originals, modelFit, currentModel, engineSettings, engines, conversations, chat }: AppContext): DomainHandlers<Library> {
  // Imports are named by their file name in progress events, and so in a cancel too.
  const importing = new Map<string, AbortController>();
  // With no model here, the count and fit on the remote model the user asks on (issue 26 point 8).
  const remoteFits = remoteLibraryFit({ engines, conversations, chat, answerTokens: () => engineSettings().answerTokens, onCounted: () => bus.emit('library.changed', {}) });
  const stored = <T,>(value: T | undefined, id: string): T => {
    if (value === undefined) throw new QuireError('NOT_FOUND', `no document with id ${id}`);
    return value;
  };
  const known = (id: string) => stored(documents.summary(id), id);
  return {
    'library.list': async () => {
      const model = currentModel();
      const summaries = documents.list();
      const ids = summaries.map((s) => s.id);
      const fits = model ? await modelFit.documentFits(ids, model, engineSettings()) : await remoteFits(ids);
      // The count the fit used, also when a full disk kept it from being stored.
      return summaries.map((summary) => ({ ...summary, tokens: fits.get(summary.id)?.tokens ?? summary.tokens, fit: fits.get(summary.id)?.fit ?? null }));
    },
    'library.sample': async () => {
      const sample = sampleDocument();
      const document = await documents.importBytes(sample.name, new TextEncoder().encode(sample.text), {
        onProgress: (p) => bus.emit('library.progress', { name: sample.name, ...p }),
      });
      bus.emit('library.changed', {});
      return { document, questions: sample.questions.map((q) => q.question) };
    },
    'library.import': async ({ name, bytes, ocrLanguage, password }) => {
      const abort = new AbortController();
      importing.set(name, abort);
      // The count under the model in use is the next thing the library shows: its tokenizer loads while the file
      // is parsed, and the count starts from the text in hand once the document is stored (a listing that comes
      // meanwhile waits for the same count).
      const model = currentModel();
      if (model) modelFit.warm(model);
      try {
        const imported = await documents.importBytes(name, bytes, {
          // Only what the tokenizer reads goes to its thread (a PDF's anchors are thousands).
          onStored: model && ((id, { title, format, utf8 }) => void modelFit.tokenCount(id, model, { title, format, utf8 }).catch(() => undefined)),
          ocrLanguage,
          password,
          signal: abort.signal,
          onProgress: (p) => bus.emit('library.progress', { name, ...p }),
          original: { keep: (id, format) => originals.keep(id, format, bytes), remove: (id) => originals.remove(id) },
        });
        bus.emit('library.changed', {});
        return imported;
      } finally {
        if (importing.get(name) === abort) importing.delete(name);
      }
    },
    'library.cancelImport': ({ name }) => {
      const abort = importing.get(name);
      abort?.abort();
      return { cancelled: abort !== undefined };
    },
    'library.delete': ({ id }) => {
      known(id);
      documents.delete(id);
      originals.remove(id);
      bus.emit('library.changed', {});
      return { deleted: true };
    },
    'library.original': ({ id }) => {
      known(id);
      return { bytes: originals.read(id) };
    },
    'library.get': ({ id }) => ({ ...stored(documents.get(id), id), id }),
    'library.outline': ({ id }) => ({ ...stored(documents.outline(id), id), id }),
    'library.text': ({ id, start, end }) => {
      const text = stored(documents.text(id), id);
      if (start > text.length) throw new QuireError('INVALID_INPUT', `character ${start} is past the document's end (${text.length} characters)`);
      return { text: text.slice(start, end) };
    },
  };
}
