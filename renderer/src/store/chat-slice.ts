import type { ChatProgress, Conversation, ConversationSummary, ExportFormat, FitPlan, RemoteChoice } from '../../../electron/common/contract.ts';
import type { QuireError } from '../../../electron/common/errors.ts';
import type { SliceCreator } from './app-store.ts';

export interface Streaming {
  conversationId: string;
  question: string;
  text: string;
  progress: ChatProgress | null;
}

export interface ChatSlice {
  conversations: ConversationSummary[];
  conversation: Conversation | null;
  // Documents chosen for a new conversation, and whether they fit.
  draftDocumentIds: string[];
  // The question being typed in the composer.
  draftQuestion: string;
  setDraftQuestion(question: string): void;
  // The question in the box is one Quire never received (the connection died first): it was not sent.
  draftNotSent: boolean;
  fit: FitPlan | null;
  fitError: string | null;
  // The engine a new conversation will be created on: null for the local model.
  draftEngine: RemoteChoice | null;
  // The remote engines and the models each serves, for the engine picker (engines-slice holds them).
  loadRemoteModels(): Promise<void>;
  setDraftEngine(engine: RemoteChoice | null): void;
  // The engine of the open conversation's next question.
  setConversationEngine(engine: RemoteChoice | null): Promise<void>;
  streaming: Streaming | null;
  loadConversations(): Promise<void>;
  openConversation(id: string): Promise<void>;
  // The open conversation as the backend has it now (back after a lost connection).
  reloadConversation(): Promise<void>;
  newConversation(documentIds?: string[]): void;
  toggleDraftDocument(id: string): void;
  checkFit(): Promise<void>;
  ask(question: string): Promise<void>;
  regenerate(messageId: string): Promise<void>;
  // A question and its answer out of the open conversation (either id); another version of an edited question.
  removeTurn(messageId: string): Promise<void>;
  switchVersion(messageId: string, version: number): Promise<void>;
  editQuestion(messageId: string, question: string): Promise<void>;
  stop(): Promise<void>;
  deleteConversation(id: string): Promise<void>;
  renameConversation(id: string, title: string): Promise<void>;
  exportConversation(format: ExportFormat, messageId?: string): Promise<void>;
  // The export being written (a PDF takes seconds): its buttons say so instead of seeming to do nothing.
  exporting: { format: ExportFormat; messageId: string | null } | null;
  onProgress(progress: ChatProgress): void;
  onDelta(delta: { conversationId: string; text: string }): void;
}

export const createChatSlice: SliceCreator<ChatSlice> = (set, get, api) => {
  // Every ask goes through here: the answer streams in through events, and the final conversation (with
  // verified quotes and stats) replaces the stream when the call resolves.
  // A change to the open conversation that the backend answers with the conversation as it now is.
  const change = async (call: (conversation: Conversation) => Promise<Conversation>) => {
    const conversation = get().conversation;
    if (!conversation) return;
    try {
      set({ conversation: await call(conversation) });
    } catch (error) {
      get().notify('error', (error as Error).message);
    }
  };
  const run = async (conversationId: string, question: string, request: { question?: string; replaceFrom?: string }) => {
    set({ streaming: { conversationId, question, text: '', progress: null } });
    try {
      const conversation = await api.call('chat.ask', { conversationId, ...request });
      set({ conversation });
    } catch (error) {
      const code = (error as QuireError).code;
      // Stopped before any answer began (waiting for the engine, or while a server counted the prompt): nothing
      // was stored and nothing went wrong, so no error; a new question goes back to the box. So does one the
      // server never acknowledged (no event for it came before the connection died): it was not received, and
      // is marked so. One it did acknowledge is stored there, with what was shown of its answer.
      if (code !== 'CANCELLED') get().notify('error', (error as Error).message);
      const streaming = get().streaming;
      const unacknowledged = code === 'DISCONNECTED' && !streaming?.progress && !streaming?.text;
      if ((code === 'CANCELLED' || unacknowledged) && request.question && !request.replaceFrom && !get().draftQuestion) {
        set({ draftQuestion: request.question, draftNotSent: unacknowledged });
      }
      set({ conversation: await api.call('chat.get', { id: conversationId }).catch(() => get().conversation) });
    } finally {
      set({ streaming: null });
      // The list may not load (the server went away mid-answer): the notice above already said what failed.
      await get().loadConversations().catch(() => undefined);
    }
  };
  return {
    conversations: [],
    conversation: null,
    draftDocumentIds: [],
    draftQuestion: '',
    setDraftQuestion: (draftQuestion) => set({ draftQuestion, ...(draftQuestion ? {} : { draftNotSent: false }) }),
    draftNotSent: false,
    fit: null,
    fitError: null,
    draftEngine: null,
    async loadRemoteModels() {
      await get().loadEngines();
      await Promise.all(get().engines.map((e) => get().testEngine(e.id)));
      // A chosen engine that is gone (removed, or no longer serving the model) falls back to the local model.
      const draft = get().draftEngine;
      if (draft && !get().engineChecks[draft.engineId]?.models?.some((m) => m.id === draft.model)) get().setDraftEngine(null);
    },
    setDraftEngine(draftEngine) {
      set({ draftEngine, fit: null, fitError: null });
      void get().checkFit();
    },
    setConversationEngine: (engine) => change((c) => api.call('chat.setEngine', { id: c.id, engine })),
    streaming: null,
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
    newConversation(documentIds = []) {
      set({ conversation: null, draftDocumentIds: documentIds, fit: null, fitError: null, view: 'chat' });
      if (documentIds.length > 0) void get().checkFit();
    },
    toggleDraftDocument(id) {
      const ids = get().draftDocumentIds;
      set({ draftDocumentIds: ids.includes(id) ? ids.filter((d) => d !== id) : [...ids, id], fit: null, fitError: null });
      void get().checkFit();
    },
    async checkFit() {
      const ids = get().draftDocumentIds;
      const engine = get().draftEngine;
      if (ids.length === 0 || (!engine && get().installed.length === 0)) return;
      try {
        const fit = await api.call('chat.fit', { documentIds: ids, engine });
        // Only the answer for what is chosen now: the user may have changed documents or engine meanwhile.
        if (get().draftDocumentIds.join() === ids.join() && get().draftEngine === engine) set({ fit, fitError: null });
      } catch (error) {
        set({ fitError: (error as Error).message });
      }
    },
    async ask(question) {
      let conversation = get().conversation;
      if (!conversation) {
        try {
          conversation = await api.call('chat.create', { documentIds: get().draftDocumentIds, engine: get().draftEngine });
        } catch (error) {
          // Refused or unreachable: said in a notice, and the question stays in the box to send again.
          get().notify('error', (error as Error).message);
          if (!get().draftQuestion) set({ draftQuestion: question });
          return;
        }
        set({ conversation });
      }
      set({ conversation: { ...conversation } });
      await run(conversation.id, question, { question });
    },
    async regenerate(messageId) {
      const conversation = get().conversation;
      if (!conversation) return;
      const index = conversation.messages.findIndex((m) => m.id === messageId);
      const question = conversation.messages[index - 1]?.content ?? '';
      set({ conversation: { ...conversation, messages: conversation.messages.slice(0, index) } });
      await run(conversation.id, question, { replaceFrom: messageId });
    },
    removeTurn: (messageId) => change((c) => api.call('chat.removeTurn', { conversationId: c.id, messageId })),
    switchVersion: (messageId, version) => change((c) => api.call('chat.switchVersion', { conversationId: c.id, messageId, version })),
    async editQuestion(messageId, question) {
      const conversation = get().conversation;
      if (!conversation) return;
      const index = conversation.messages.findIndex((m) => m.id === messageId);
      set({ conversation: { ...conversation, messages: conversation.messages.slice(0, index) } });
      await run(conversation.id, question, { question, replaceFrom: messageId });
    },
    async stop() {
      const streaming = get().streaming;
      if (streaming) await api.call('chat.stop', { conversationId: streaming.conversationId });
    },
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
    onProgress(progress) {
      const streaming = get().streaming;
      if (streaming?.conversationId === progress.conversationId) set({ streaming: { ...streaming, progress } });
    },
    onDelta({ conversationId, text }) {
      const streaming = get().streaming;
      if (streaming?.conversationId === conversationId) set({ streaming: { ...streaming, text: streaming.text + text } });
    },
  };
};
