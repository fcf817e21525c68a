import { useApp } from '../../store/context.tsx';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { Icon } from '../../components/icons.tsx';
import { NewConversation } from './NewConversation.tsx';
import { Thread } from './Thread.tsx';

export function ChatView() {
  const conversations = useApp((s) => s.conversations);
  const current = useApp((s) => s.conversation);
  const openConversation = useApp((s) => s.openConversation);
  const newConversation = useApp((s) => s.newConversation);
  const deleteConversation = useApp((s) => s.deleteConversation);
  const busy = useApp((s) => s.streaming !== null);
  return (
    <div className="chat-layout">
      <aside className="conversation-list" aria-label="Conversations">
        <button type="button" className="button primary new-chat" onClick={() => newConversation()} disabled={busy}>
          New conversation
        </button>
        <ul>
          {conversations.map((c) => (
            <li key={c.id} className={current?.id === c.id ? 'active' : ''}>
              <button type="button" className="conversation-item" onClick={() => void openConversation(c.id)} disabled={busy}>
                <span className="conversation-title">{c.title || 'New conversation'}</span>
                <span className="conversation-meta">{new Date(c.updatedAt).toLocaleDateString()} · {c.documentIds.length} document{c.documentIds.length === 1 ? '' : 's'}</span>
              </button>
              <ConfirmButton
                className="icon-button"
                label={`Delete conversation ${c.title || 'New conversation'}`}
                question="Delete this conversation?"
                confirm="Delete"
                disabled={busy}
                onConfirm={() => void deleteConversation(c.id)}
              >
                <Icon name="trash" size={14} />
              </ConfirmButton>
            </li>
          ))}
        </ul>
      </aside>
      <section className="chat-pane" aria-label="Conversation">
        {current ? <Thread /> : <NewConversation />}
      </section>
    </div>
  );
}
