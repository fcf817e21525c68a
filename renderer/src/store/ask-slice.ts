import type { ChatProgress } from '../../../electron/common/contract.ts';
import type { QuireError } from '../../../electron/common/errors.ts';
import type { SliceCreator } from './app-store.ts';

export interface Streaming {
  conversationId: string;
  question: string;
  text: string;
  progress: ChatProgress | null;
}

// Asking: a new question (creating the conversation first), an edited one, a regenerated answer, and Stop; the
// answer streams in through events.
export interface AskSlice {
  streaming: Streaming | null;
  ask(question: string): Promise<void>;
  regenerate(messageId: string): Promise<void>;
  editQuestion(messageId: string, question: string): Promise<void>;
  stop(): Promise<void>;
  onProgress(progress: ChatProgress): void;
  onDelta(delta: { conversationId: string; text: string }): void;
}

export const createAskSlice: SliceCreator<AskSlice> = (set, get, api) => {
  // Every ask goes through here: the answer streams in through events, and the final conversation (with
  // verified quotes and stats) replaces the stream when the call resolves.
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
  // The open conversation shown up to (not including) `messageId` while it is asked again from there.
  const cutAt = (messageId: string) => {
    const conversation = get().conversation!;
    const index = conversation.messages.findIndex((m) => m.id === messageId);
    set({ conversation: { ...conversation, messages: conversation.messages.slice(0, index) } });
    return { conversation, index };
  };
  return {
    streaming: null,
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
      }
      set({ conversation: { ...conversation } });
      await run(conversation.id, question, { question });
    },
    async regenerate(messageId) {
      if (!get().conversation) return;
      const { conversation, index } = cutAt(messageId);
      await run(conversation.id, conversation.messages[index - 1]?.content ?? '', { replaceFrom: messageId });
    },
    async editQuestion(messageId, question) {
      if (!get().conversation) return;
      await run(cutAt(messageId).conversation.id, question, { question, replaceFrom: messageId });
    },
    async stop() {
      const streaming = get().streaming;
      if (streaming) await api.call('chat.stop', { conversationId: streaming.conversationId });
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
