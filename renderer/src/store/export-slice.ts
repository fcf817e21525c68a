import type { ExportFormat } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';

// Export answer and Export conversation: the file the backend writes, saved by the browser.
export interface ExportSlice {
  exportConversation(format: ExportFormat, messageId?: string): Promise<void>;
  // The export being written (a PDF takes seconds): its buttons say so instead of seeming to do nothing.
  exporting: { format: ExportFormat; messageId: string | null } | null;
}

export const createExportSlice: SliceCreator<ExportSlice> = (set, get, api) => ({
  exporting: null,
  async exportConversation(format, messageId) {
    const conversation = get().conversation;
    if (!conversation || get().exporting) return;
    set({ exporting: { format, messageId: messageId ?? null } });
    try {
      const file = await api.call('export.conversation', { conversationId: conversation.id, format, ...(messageId ? { messageId } : {}) });
      const url = URL.createObjectURL(new Blob([file.bytes], { type: file.mime }));
      const link = document.createElement('a');
      link.href = url;
      link.download = file.fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      get().notify('error', (error as Error).message);
    } finally {
      set({ exporting: null });
    }
  },
});
