import { useState } from 'react';
import { useApp } from '../../store/context.tsx';
import { readOnlyReason } from '../../store/database-slice.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { Icon } from '../../components/icons.tsx';
import { NewConversation } from './NewConversation.tsx';
import { Thread } from './Thread.tsx';

export function ChatView() {
  const conversations = useApp((s) => s.conversations);
  const documents = useApp((s) => s.documents);
  const current = useApp((s) => s.conversation);
  const openConversation = useApp((s) => s.openConversation);
  const newConversation = useApp((s) => s.newConversation);
  const deleteConversation = useApp((s) => s.deleteConversation);
  const busy = useApp((s) => s.streaming !== null);
  const readOnly = useApp(readOnlyReason);
  const [filter, setFilter] = useState('');
  // A conversation is known by its title and by the documents it is about.
  const documentNames = (ids: string[]) => ids.map((id) => documents.find((d) => d.id === id)?.title ?? 'deleted document').join(', ');
  const needle = filter.trim().toLocaleLowerCase();
  const shown = needle ? conversations.filter((c) => `${c.title} ${documentNames(c.documentIds)}`.toLocaleLowerCase().includes(needle)) : conversations;
  return (
    <div className="chat-layout">
      <aside className="conversation-list" aria-label="Conversations">
        <button type="button" className="button primary new-chat" onClick={() => newConversation()} disabled={busy}>
          New conversation
        </button>
        {conversations.length > 3 ? (
          <input type="search" className="text-input conversation-filter" aria-label="Find a conversation" placeholder="Find a conversation" value={filter} onChange={(e) => setFilter(e.target.value)} />
        ) : null}
        <ul>
          {shown.map((c) => (
            <li key={c.id} className={current?.id === c.id ? 'active' : ''}>
              <button type="button" className="conversation-item" onClick={() => void openConversation(c.id)} disabled={busy}>
                <span className="conversation-title">{c.title || 'New conversation'}</span>
                <span className="conversation-meta">
                  {documentNames(c.documentIds)} · {c.engine ? `on ${c.engine.host} · ` : ''}{new Date(c.updatedAt).toLocaleDateString()}
                </span>
              </button>
              <ConfirmButton
                className="icon-button"
                label={`Delete conversation ${c.title || 'New conversation'}`}
                question="Delete this conversation?"
                confirm="Delete"
                disabled={busy || readOnly !== null}
                title={readOnly ?? undefined}
                onConfirm={() => void deleteConversation(c.id)}
              >
                <Icon name="trash" size={14} />
              </ConfirmButton>
            </li>
          ))}
        </ul>
        {needle && shown.length === 0 ? <p className="subtle">No conversation matches “{filter}”.</p> : null}
      </aside>
      <section className="chat-pane" aria-label="Conversation">
        {current ? <Thread /> : <NewConversation />}
      </section>
    </div>
  );
}
