import type { SliceCreator } from './app-store.ts';

// The text around a quote, for a citation's preview on hover: a document's text is fetched once per session.
export interface Passage {
  before: string;
  quote: string;
  after: string;
}

export interface PassageSlice {
  passages: Record<string, Passage>;
  loadPassage(documentId: string, start: number, end: number): Promise<void>;
}

export const passageKey = (documentId: string, start: number, end: number) => `${documentId}:${start}:${end}`;

// Enough either side to read the quote in its sentence, cut at a word so the preview does not start mid-word.
const CONTEXT_CHARS = 180;

export function passageAround(text: string, start: number, end: number): Passage {
  const from = Math.max(0, start - CONTEXT_CHARS);
  const to = Math.min(text.length, end + CONTEXT_CHARS);
  const before = text.slice(from, start);
  const after = text.slice(end, to);
  return {
    before: (from > 0 ? '…' + before.replace(/^\S*\s/, '') : before).replace(/\s+/g, ' '),
    quote: text.slice(start, end).replace(/\s+/g, ' '),
    after: (to < text.length ? after.replace(/\s\S*$/, '') + '…' : after).replace(/\s+/g, ' '),
  };
}

export const createPassageSlice: SliceCreator<PassageSlice> = (set, get, api) => {
  const texts = new Map<string, Promise<string>>();
  return {
    passages: {},
    async loadPassage(documentId, start, end) {
      const key = passageKey(documentId, start, end);
      if (get().passages[key]) return;
      if (!texts.has(documentId)) texts.set(documentId, api.call('library.get', { id: documentId }).then((d) => d.text));
      try {
        const passage = passageAround(await texts.get(documentId)!, start, end);
        set({ passages: { ...get().passages, [key]: passage } });
      } catch {
        // A preview is a convenience: the citation still opens the document, which says what went wrong.
        texts.delete(documentId);
      }
    },
  };
};
