import type { DocumentModel } from '../../../electron/common/document.ts';
import type { SliceCreator } from './app-store.ts';

export interface ViewerSlice {
  viewer: {
    document: DocumentModel & { id: string };
    highlight: { start: number; end: number } | null;
    // The PDF itself, fetched the first time a page is shown as printed.
    original: Uint8Array | null;
  } | null;
  openViewer(documentId: string, highlight?: { start: number; end: number }): Promise<void>;
  loadOriginal(): Promise<void>;
  closeViewer(): void;
}

export const createViewerSlice: SliceCreator<ViewerSlice> = (set, get, api) => ({
  viewer: null,
  async openViewer(documentId, highlight) {
    try {
      const current = get().viewer;
      const same = current?.document.id === documentId;
      const document = same ? current.document : await api.call('library.get', { id: documentId });
      set({ viewer: { document, highlight: highlight ?? null, original: same ? current.original : null } });
    } catch (error) {
      get().notify('error', (error as Error).message);
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
});
