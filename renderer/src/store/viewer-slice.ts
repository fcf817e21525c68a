import type { DocumentModel } from '../../../electron/common/document.ts';
import type { SliceCreator } from './app-store.ts';

export interface ViewerSlice {
  viewer: { document: DocumentModel & { id: string }; highlight: { start: number; end: number } | null } | null;
  openViewer(documentId: string, highlight?: { start: number; end: number }): Promise<void>;
  closeViewer(): void;
}

export const createViewerSlice: SliceCreator<ViewerSlice> = (set, get, api) => ({
  viewer: null,
  async openViewer(documentId, highlight) {
    try {
      const current = get().viewer?.document;
      const document = current?.id === documentId ? current : await api.call('library.get', { id: documentId });
      set({ viewer: { document, highlight: highlight ?? null } });
    } catch (error) {
      get().notify('error', (error as Error).message);
    }
  },
  closeViewer: () => set({ viewer: null }),
});
