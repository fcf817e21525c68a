import { TEXT_RANGE_LIMIT } from '../../../electron/common/contract.ts';
import type { DocumentModel } from '../../../electron/common/document.ts';
import type { SliceCreator } from './app-store.ts';

// A document in the viewer. Until all of its text has arrived, `loaded` is the part that has: the text has
// the document's length with the rest blank, so every offset (anchors, quotes, matches) stays the document's own.
export type ViewerDocument = DocumentModel & { id: string; loaded?: { start: number; end: number } };

export interface ViewerSlice {
  viewer: {
    document: ViewerDocument;
    highlight: { start: number; end: number } | null;
    // The PDF itself, fetched the first time a page is shown as printed.
    original: Uint8Array | null;
  } | null;
  openViewer(documentId: string, highlight?: { start: number; end: number }): Promise<void>;
  // Fetches what `loaded` leaves out (the viewer asks once its first screen is painted).
  loadRestOfText(): Promise<void>;
  loadOriginal(): Promise<void>;
  closeViewer(): void;
}

// The text fetched first: a few screens around where the document opens (a screen at 1280×800 holds ≈ 5,000
// characters; the viewer draws one more either side), so a 4 MB book's first paint waits for ≈ 48 KB of it.
const FIRST_BEFORE_CHARS = 16_000;
const FIRST_CHARS = 48_000;
// Blank stands for text not yet fetched: no block is cut from it, and no search is made before it is filled.
const UNFETCHED = '\n';

export const createViewerSlice: SliceCreator<ViewerSlice> = (set, get, api) => {
  // The document whose rest is being fetched: asked again meanwhile, nothing is fetched twice.
  let fetching: ViewerDocument | null = null;
  return {
    viewer: null,
    async openViewer(documentId, highlight) {
      try {
        const current = get().viewer;
        if (current?.document.id === documentId) {
          set({ viewer: { ...current, highlight: highlight ?? null } });
          return;
        }
        const start = Math.max(0, (highlight?.start ?? 0) - FIRST_BEFORE_CHARS);
        // The text's range may run past the end (the length is in the outline, asked for at the same time).
        const [outline, first] = await Promise.all([api.call('library.outline', { id: documentId }), api.call('library.text', { id: documentId, start, end: start + FIRST_CHARS })]);
        const end = start + first.text.length;
        const whole = start === 0 && end === outline.chars;
        const text = whole ? first.text : UNFETCHED.repeat(start) + first.text + UNFETCHED.repeat(outline.chars - end);
        set({ viewer: { document: { ...outline, text, ...(whole ? {} : { loaded: { start, end } }) }, highlight: highlight ?? null, original: null } });
      } catch (error) {
        get().notify('error', (error as Error).message);
      }
    },
    async loadRestOfText() {
      const document = get().viewer?.document;
      if (!document?.loaded || fetching === document) return;
      fetching = document;
      const { id, chars, text, loaded } = document;
      const piece = (start: number, end: number) => api.call('library.text', { id, start, end }).then((r) => r.text);
      const pieces = (start: number, end: number) => {
        const out: Promise<string>[] = [];
        for (let at = start; at < end; at += TEXT_RANGE_LIMIT) out.push(piece(at, Math.min(end, at + TEXT_RANGE_LIMIT)));
        return Promise.all(out).then((parts) => parts.join(''));
      };
      try {
        const [before, after] = await Promise.all([pieces(0, loaded.start), pieces(loaded.end, chars)]);
        const viewer = get().viewer;
        // Closed, or another document opened meanwhile.
        if (viewer?.document !== document) return;
        const { loaded: _done, ...rest } = document;
        set({ viewer: { ...viewer, document: { ...rest, text: before + text.slice(loaded.start, loaded.end) + after } } });
      } catch (error) {
        get().notify('error', (error as Error).message);
      } finally {
        if (fetching === document) fetching = null;
      }
    },
    async loadOriginal() {
      const viewer = get().viewer;
      if (!viewer || viewer.original) return;
      try {
        const { bytes } = await api.call('library.original', { id: viewer.document.id });
        if (get().viewer?.document.id === viewer.document.id) set({ viewer: { ...get().viewer!, original: bytes } });
      } catch (error) {
        get().notify('error', (error as Error).message);
      }
    },
    closeViewer: () => set({ viewer: null }),
  };
};
