import type { Conversation, ConversationStyle, ConversationSummary, RemoteChoice } from '../../../electron/common/contract.ts';
import type { SliceCreator } from './app-store.ts';
import { createAskSlice, type AskSlice } from './ask-slice.ts';
import { createDraftSlice, type DraftSlice } from './draft-slice.ts';
import { createExportSlice, type ExportSlice } from './export-slice.ts';

// The conversations and the open one, with what is changed on it in place (asking is ask-slice's).
export interface ConversationsSlice {
  conversations: ConversationSummary[];
  conversation: Conversation | null;
  loadConversations(): Promise<void>;
  openConversation(id: string): Promise<void>;
  // The open conversation as the backend has it now (back after a lost connection).
  reloadConversation(): Promise<void>;
  // Changes to the open conversation, each resolving to whether it was made (else a notice said why): the
  // engine of its next question; its own instructions and sampling (null: the app's again); a question and its
  // answer taken out (either id); another version of an edited question shown.
  setConversationEngine(engine: RemoteChoice | null): Promise<boolean>;
  setConversationStyle(style: ConversationStyle | null): Promise<boolean>;
  removeTurn(messageId: string): Promise<boolean>;
  switchVersion(messageId: string, version: number): Promise<boolean>;
  deleteConversation(id: string): Promise<void>;
  renameConversation(id: string, title: string): Promise<void>;
}

export type ChatSlice = ConversationsSlice & DraftSlice & AskSlice & ExportSlice;

export const createChatSlice: SliceCreator<ChatSlice> = (set, get, api) => ({
  ...createConversationsSlice(set, get, api),
  ...createDraftSlice(set, get, api),
  ...createAskSlice(set, get, api),
  ...createExportSlice(set, get, api),
});

const createConversationsSlice: SliceCreator<ConversationsSlice> = (set, get, api) => {
  // A change to the open conversation that the backend answers with the conversation as it now is.
  const change = async (call: (conversation: Conversation) => Promise<Conversation>) => {
    const conversation = get().conversation;
    if (!conversation) return false;
    try {
      set({ conversation: await call(conversation) });
      return true;
    } catch (error) {
      get().notify('error', (error as Error).message);
      return false;
    }
  };
  return {
    conversations: [],
    conversation: null,
    async loadConversations() {
      set({ conversations: await api.call('chat.list', {}) });
    },
    async openConversation(id) {
      set({ conversation: await api.call('chat.get', { id }), view: 'chat' });
    },
    async reloadConversation() {
      const open = get().conversation;
      if (!open || get().streaming) return;
      // One that is gone meanwhile stays as it was shown; one the user has left is not brought back.
      const conversation = await api.call('chat.get', { id: open.id }).catch(() => null);
      if (conversation && get().conversation?.id === open.id) set({ conversation });
    },
    setConversationEngine: (engine) => change((c) => api.call('chat.setEngine', { id: c.id, engine })),
    setConversationStyle: (style) => change((c) => api.call('chat.setStyle', { id: c.id, style })),
    removeTurn: (messageId) => change((c) => api.call('chat.removeTurn', { conversationId: c.id, messageId })),
    switchVersion: (messageId, version) => change((c) => api.call('chat.switchVersion', { conversationId: c.id, messageId, version })),
    async renameConversation(id, title) {
      try {
        await api.call('chat.rename', { id, title });
        const open = get().conversation;
        if (open?.id === id) set({ conversation: { ...open, title: title.trim() } });
        await get().loadConversations();
      } catch (error) {
        get().notify('error', (error as Error).message);
      }
    },
    async deleteConversation(id) {
      await api.call('chat.delete', { id });
      if (get().conversation?.id === id) set({ conversation: null });
      await get().loadConversations();
    },
  };
};
