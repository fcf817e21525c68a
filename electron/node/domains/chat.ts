// Conversations: creating, asking (local or remote engine), stopping, editing the thread, the fit check, and
// exporting an answer or a whole conversation.
import { QuireError } from '../../common/errors.ts';
import { exportConversation } from '../export/exporter.ts';
import type { AppContext, DomainHandlers } from './context.ts';

type Chat =
  | 'chat.list'
  | 'chat.get'
  | 'chat.create'
  | 'chat.setEngine'
  | 'chat.setStyle'
  | 'chat.delete'
  | 'chat.rename'
  | 'chat.removeTurn'
  | 'chat.switchVersion'
  | 'chat.ask'
  | 'chat.stop'
  | 'chat.fit'
  | 'export.conversation';

export function chatHandlers({ chat, conversations, documents, printPdf }: AppContext): DomainHandlers<Chat> {
  return {
    'chat.list': () => conversations.list(),
    'chat.get': ({ id }) => chat.get(id),
    'chat.create': ({ documentIds, engine }) => chat.create(documentIds, engine ?? null),
    'chat.setEngine': ({ id, engine }) => chat.setEngine(id, engine),
    'chat.setStyle': ({ id, style }) => chat.setStyle(id, style),
    'chat.delete': ({ id }) => ({ deleted: conversations.delete(id) }),
    'chat.rename': ({ id, title }) => {
      if (!conversations.rename(id, title)) throw new QuireError('NOT_FOUND', `no conversation with id ${id}`);
      return { renamed: true };
    },
    'chat.removeTurn': ({ conversationId, messageId }) => chat.removeTurn(conversationId, messageId),
    'chat.switchVersion': ({ conversationId, messageId, version }) => chat.switchVersion(conversationId, messageId, version),
    'chat.ask': (request) => chat.ask(request),
    'chat.stop': ({ conversationId }) => ({ stopped: chat.stop(conversationId) }),
    'chat.fit': ({ documentIds, engine }) => chat.fit(documentIds, engine ?? null),
    'export.conversation': ({ conversationId, format, messageId }) => {
      const conversation = chat.get(conversationId);
      const summaries = conversation.documentIds.flatMap((id) => documents.summary(id) ?? []);
      return exportConversation(conversation, summaries, chat.samplingOf(conversation), format, printPdf, messageId);
    },
  };
}
