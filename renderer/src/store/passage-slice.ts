import type { SliceCreator } from './app-store.ts';

// The text around a quote, for a citation's preview on hover: only that much of the document's text is fetched.
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

// The range of the text a preview needs: a character past its end says whether the document goes on.
function passageRange(start: number, end: number): { start: number; end: number } {
  return { start: Math.max(0, start - CONTEXT_CHARS), end: end + CONTEXT_CHARS + 1 };
}

// `text` is the document's text from `at` on: to its end, or at least as far as passageRange reaches.
export function passageAround(text: string, start: number, end: number, at: number): Passage {
  const from = Math.max(0, start - CONTEXT_CHARS);
  const to = Math.min(at + text.length, end + CONTEXT_CHARS);
  const before = text.slice(from - at, start - at);
  const after = text.slice(end - at, to - at);
  return {
    before: (from > 0 ? '…' + before.replace(/^\S*\s/, '') : before).replace(/\s+/g, ' '),
    quote: text.slice(start - at, end - at).replace(/\s+/g, ' '),
    after: (to < at + text.length ? after.replace(/\s\S*$/, '') + '…' : after).replace(/\s+/g, ' '),
  };
}

export const createPassageSlice: SliceCreator<PassageSlice> = (set, get, api) => ({
  passages: {},
  async loadPassage(documentId, start, end) {
    const key = passageKey(documentId, start, end);
    if (get().passages[key]) return;
    const range = passageRange(start, end);
    try {
      const { text } = await api.call('library.text', { id: documentId, ...range });
      set({ passages: { ...get().passages, [key]: passageAround(text, start, end, range.start) } });
    } catch {
      // A preview is a convenience: the citation still opens the document, which says what went wrong.
    }
  },
});
